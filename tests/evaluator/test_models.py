"""One cache directory, one resolver, one hub-offline switch (evaluator/models.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from evaluator import models
from evaluator.errors import ModelLoadError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """DUBKIT_CACHE at a fresh directory, downloads off (restored afterwards)."""
    monkeypatch.setenv("DUBKIT_CACHE", str(tmp_path / "cache"))
    was = models.is_offline()
    models.set_offline(True)
    yield tmp_path / "cache"
    models.set_offline(was)


def _snapshot(cache: Path, repo: str, files: dict[str, str]) -> Path:
    """A hub snapshot in huggingface_hub's cache layout, as a download leaves it."""
    root = cache / "hub" / f"models--{repo.replace('/', '--')}"
    snap = root / "snapshots" / "0123456789abcdef"
    snap.mkdir(parents=True)
    (root / "refs").mkdir()
    (root / "refs" / "main").write_text("0123456789abcdef")
    for name, text in files.items():
        (snap / name).write_text(text)
    return snap


def test_cache_dir_default_env_and_setter(tmp_path, monkeypatch):
    monkeypatch.delenv("DUBKIT_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert models.cache_dir() == tmp_path / ".cache" / "dubkit"
    monkeypatch.setenv("DUBKIT_CACHE", str(tmp_path / "c"))
    assert models.cache_dir() == tmp_path / "c" and models.hub_cache() == tmp_path / "c" / "hub"
    models.set_cache_dir(tmp_path / "d")
    assert os.environ["DUBKIT_CACHE"] == str(tmp_path / "d")  # child processes see it too
    from evaluator.dubscore.data import default_cache_dir

    assert default_cache_dir() == tmp_path / "d" / "features"


def test_local_paths_resolve_to_themselves_and_missing_ones_say_so(cache, tmp_path):
    (tmp_path / "w.pt").write_bytes(b"x")
    assert models.resolve(tmp_path / "w.pt", what="weights") == tmp_path / "w.pt"
    assert models.resolve(str(tmp_path), what="model") == tmp_path
    for spec in (str(tmp_path / "nope"), "./nope", "syncnet_v2.model", "a/b/c"):
        with pytest.raises(ModelLoadError, match=r"no such SyncNet weights file or directory \(pass .* as syncnet_m"):
            models.resolve(spec, what="SyncNet weights", param="syncnet_model")


def test_hub_ids_resolve_to_the_cached_snapshot_offline_and_missing_ones_name_the_model(cache):
    snap = _snapshot(cache, "org/tiny", {"config.json": "{}"})
    assert models.resolve("org/tiny", what="model") == snap
    assert models.resolve("hf://org/tiny/config.json", what="model") == snap / "config.json"
    assert models.local_path("org/tiny") == snap and models.local_path("org/absent") is None
    with pytest.raises(ModelLoadError) as err:
        models.resolve("org/absent", what="WavLM x-vector model", param="wavlm_sv_model")
    msg = str(err.value)
    assert "WavLM x-vector model 'org/absent' is not in the model cache" in msg and str(cache / "hub") in msg
    assert "downloads are off (offline)" in msg and "pass a local copy as wavlm_sv_model" in msg
    assert err.value.params == ("wavlm_sv_model",)


def test_a_paper_backend_loads_a_hub_id_from_dubkits_cache(cache):
    """The WavLM speaker backend given a hub id reads the snapshot in DUBKIT_CACHE (no hub access)."""
    from transformers import Wav2Vec2FeatureExtractor, WavLMConfig, WavLMForXVector

    from evaluator.metrics import create_metric

    snap = _snapshot(cache, "org/tiny-wavlm", {})
    cfg = WavLMConfig(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 8), num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2, tdnn_dim=(16, 16), tdnn_kernel=(3, 1), tdnn_dilation=(1, 1),
        xvector_output_dim=24,
    )  # fmt: skip
    WavLMForXVector(cfg).save_pretrained(snap)
    Wav2Vec2FeatureExtractor(sampling_rate=16000).save_pretrained(snap)
    fam = create_metric("spk_sim", profile="auto", wavlm_sv_model="org/tiny-wavlm")
    assert fam.backend_name == "wavlm-sv"  # auto: the cached copy counts as weights found here
    assert fam.backend.embed(np.zeros(16000, np.float32)).shape == (24,)


OFFLINE_PROBE = textwrap.dedent(
    """
    import json, os
    import huggingface_hub
    from huggingface_hub import is_offline_mode
    from transformers.utils import hub as tf_hub
    out = {"before": is_offline_mode()}
    os.environ["HF_HUB_OFFLINE"] = "1"  # what hub_offline() did: too late, the hub read it at import
    out["env_after_import"] = is_offline_mode()
    from evaluator.models import is_offline, set_offline
    set_offline(True)
    out["switch"] = is_offline_mode()
    out["transformers"] = tf_hub.is_offline_mode()
    out["dubkit"] = is_offline()
    try:
        huggingface_hub.hf_hub_download("org/never-cached", "config.json", cache_dir=os.environ["DUBKIT_CACHE"])
    except Exception as exc:
        out["download"] = type(exc).__name__
    set_offline(False)
    out["back_on"] = is_offline_mode()
    print(json.dumps(out))
    """
)


def test_the_offline_switch_works_after_the_hub_library_is_imported(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(DUBKIT_CACHE=str(tmp_path), PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", OFFLINE_PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["before"] is False and got["env_after_import"] is False  # the bug: setting the env late does nothing
    assert got["switch"] is True and got["transformers"] is True and got["dubkit"] is True
    assert got["download"] == "LocalEntryNotFoundError"  # refused locally, no request sent
    assert got["back_on"] is False


def test_dubkit_cache_dir_and_offline_options_set_the_switches(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cli.main import main

    monkeypatch.setenv("DUBKIT_CACHE", "unchanged")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    was = models.is_offline()
    try:
        res = CliRunner().invoke(main, ["--cache-dir", str(tmp_path / "c"), "--offline", "score", "--list", "x"])
        assert res.exit_code == 0, res.output
        assert os.environ["DUBKIT_CACHE"] == str(tmp_path / "c") and models.is_offline()
    finally:
        models.set_offline(was)
