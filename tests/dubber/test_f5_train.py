"""Training the control branch on two utterances lowers the loss; checkpoints resume and load."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

pytest.importorskip("f5_tts.model", reason="needs the f5 extra (scripts/setup_f5.sh)")
pytestmark = pytest.mark.slow  # trains a tiny F5 for a dozen steps (about 40 s here)

from dubber.synth import SynthRequest, VoiceReference  # noqa: E402
from dubber.synth.f5 import F5Synthesizer  # noqa: E402
from dubber.synth.f5.tiny import write_tiny_f5  # noqa: E402
from dubber.synth.f5.train import SynthTrainConfig, SynthTrainer, train_synth  # noqa: E402
from evaluator.errors import ConfigError  # noqa: E402
from evaluator.media import write_wav  # noqa: E402
from evaluator.project import Conditions, SceneReading  # noqa: E402

LINES = ["I never said that.", "Get out of here, now!"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, espeak):
    d = tmp_path_factory.mktemp("v2c")
    rows = []
    for i, text in enumerate(LINES):
        s = espeak.synthesize(SynthRequest(text, "en"))
        write_wav(d / f"u{i}.wav", s.audio, s.sr)
        np.save(d / f"u{i}.npy", np.random.default_rng(i).normal(size=(12, 8)).astype(np.float32))
        reading = {"emotion": ["neutral", "anger"][i], "gender": "male"}
        rows.append({"audio": f"u{i}.wav", "text": text, "video_features": f"u{i}.npy", "scene_reading": reading})
    (d / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    tiny = write_tiny_f5(d / "tiny")
    return d, tiny


def _cfg(dataset, out, **kw):
    d, tiny = dataset
    opts = {"n_blocks": 1, "graph_dim": 8, "reading_dim": 8, "heads": 2}
    return SynthTrainConfig(
        data=d / "train.jsonl",
        out=out,
        ckpt=str(tiny.ckpt),
        model_config=str(tiny.config),
        lr=3e-3,
        batch_size=2,
        save_every=5,
        control=opts,
        **kw,
    )


def test_a_few_steps_lower_the_loss_and_resume(dataset, tmp_path):
    cfg = _cfg(dataset, tmp_path / "run", steps=12)
    trainer = SynthTrainer(cfg)
    base_before = {k: v.clone() for k, v in trainer.model.transformer.state_dict().items()}
    before = trainer.loss()
    for _ in range(12):
        trainer.step()
    after = trainer.loss()
    assert after["flow_loss"] < before["flow_loss"]
    assert after["duration_loss"] < before["duration_loss"]
    for k, v in trainer.model.transformer.state_dict().items():  # base stays frozen
        assert torch.equal(v, base_before[k]), k
    path = trainer.save()
    resumed = SynthTrainer(_cfg(dataset, tmp_path / "run", steps=13))
    assert resumed.step_count == 12
    assert resumed.loss() == pytest.approx(after)

    # the saved branch loads into the synthesizer and changes its output
    d, tiny = dataset
    ref = VoiceReference(path=d / "u0.wav", transcript=LINES[0])
    plain = F5Synthesizer(ckpt=tiny.ckpt, vocoder=tiny.vocoder, model_config=tiny.config, steps=2)
    ctl = F5Synthesizer(ckpt=tiny.ckpt, vocoder=tiny.vocoder, model_config=tiny.config, steps=2, control=path)
    reading = SceneReading("dialogue", 1, True, "male", "adult", "anger", 0.9, "heuristic", "m")
    request = SynthRequest("Again.", "en", 0, 0.6, ref, Conditions(reading=reading))
    a = plain.synthesize(request)
    b = ctl.synthesize(request)
    assert len(a.audio) == len(b.audio) and not np.array_equal(a.audio, b.audio)
    assert "+control:last.pt" in ctl.model_id


def test_lora_mode_trains_adapters_only(dataset, tmp_path):
    summary = train_synth(_cfg(dataset, tmp_path / "lora", steps=2, mode="lora"))
    state = torch.load(summary["checkpoint"], weights_only=True)
    assert state["lora"]["state"] and all("lora_" in k for k in state["lora"]["state"])
    assert summary["steps"] == 2 and summary["mode"] == "lora"
    with pytest.raises(ConfigError, match="unknown training mode"):
        SynthTrainer(_cfg(dataset, tmp_path / "x", mode="half"))


def test_cli_train_synth(dataset, tmp_path):
    from click.testing import CliRunner

    from cli.main import main

    d, tiny = dataset
    args = ["train", "synth", "--data", str(d / "train.jsonl"), "--out", str(tmp_path / "cli"), "--f5-ckpt"]
    args += [str(tiny.ckpt), "--f5-config", str(tiny.config), "--steps", "2", "--control-blocks", "1", "--json", "-q"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["steps"] == 2 and (tmp_path / "cli" / "last.pt").is_file()
    bad = CliRunner().invoke(main, ["train", "synth", "--data", str(tmp_path / "none.jsonl"), "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "no such training manifest" in bad.output
