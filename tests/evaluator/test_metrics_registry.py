"""The metric registry and specs: every metric declares what the scorer needs; paper backends load real code."""

from __future__ import annotations

import numpy as np
import pytest

from evaluator.errors import ConfigError
from evaluator.metrics import METRICS, OFFLINE_SUITE, create_metric, list_metrics
from evaluator.scoring import ScoreConfig, Scorer


def test_every_metric_has_a_complete_spec_with_backend_and_model():
    scorer = Scorer(ScoreConfig(metrics=tuple(list_metrics())))
    specs = scorer.specs()
    assert set(OFFLINE_SUITE) < set(specs) and "utmos" in specs
    for name, s in specs.items():
        assert s["description"] and s["inputs"] and s["backend"] and s["model_id"], name
        assert isinstance(s["higher_is_better"], bool) and len(s["range"]) == 2
        assert s["offline"] is (name != "utmos"), name
    assert specs["wer"]["inputs"] == ["audio", "text"] and specs["wer"]["higher_is_better"] is False
    assert specs["mcd"]["sample_rate"] == 22050 and specs["dnsmos_ovrl"]["range"] == [1.0, 5.0]


def test_unknown_names_suggest_close_matches():
    with pytest.raises(ConfigError, match="did you mean"):
        METRICS.get("speakr")
    with pytest.raises(ConfigError, match="unknown metric 'wr'"):
        Scorer(ScoreConfig(metrics=("wr",)))
    with pytest.raises(ConfigError, match="unknown backend"):
        create_metric("wer", backend="nope")
    assert list_metrics("dnsmos_*") == ["dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl", "dnsmos_p808"]


def test_utmos_without_weights_is_skipped_with_the_reason():
    from metric_helpers import item

    res = create_metric("utmos").score(item(np.zeros(22050, np.float32)), ["utmos"])["utmos"]
    assert res.value is None and "utmos_model=DIR" in res.skipped


def test_paper_profile_picks_paper_backends_and_auto_falls_back():
    assert create_metric("wer", profile="paper").backend_name == "faster-whisper"
    assert create_metric("spk_sim", profile="auto").backend_name == "resemblyzer"  # no local WavLM weights
    spec = create_metric("wer", profile="paper", faster_whisper_model="/models/large-v3").spec("wer")
    assert spec.offline is False and spec.model_id == "whisper:/models/large-v3"


def test_wavlm_sv_paper_backend_with_a_small_random_model(tmp_path):
    """Real WavLMForXVector code path: a tiny random-initialised model saved and loaded from a directory."""
    from transformers import Wav2Vec2FeatureExtractor, WavLMConfig, WavLMForXVector

    cfg = WavLMConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 8), num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2, tdnn_dim=(16, 16), tdnn_kernel=(3, 1), tdnn_dilation=(1, 1),
        xvector_output_dim=24,
    )  # fmt: skip
    WavLMForXVector(cfg).save_pretrained(tmp_path)
    Wav2Vec2FeatureExtractor(sampling_rate=16000).save_pretrained(tmp_path)
    from metric_helpers import item

    fam = create_metric("spk_sim", profile="auto", wavlm_sv_model=str(tmp_path))
    assert fam.backend_name == "wavlm-sv"
    x = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    res = fam.score(item(x, 16000, voice=x), ["spk_sim"])["spk_sim"]
    assert res.value == pytest.approx(1.0, abs=1e-4) and res.model_id == f"wavlm-sv:{tmp_path.name}"
    fam.unload()


def test_missing_paper_dependency_is_recorded_not_raised(monkeypatch):
    import sys

    from metric_helpers import item

    monkeypatch.setitem(sys.modules, "funasr", None)  # `import funasr` fails here whether or not it is installed
    fam = create_metric("emo_sim", backend="emotion2vec")
    x = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 0.1
    res = fam.score(item(x, 16000, voice=x), ["emo_sim"])["emo_sim"]
    assert res.value is None and "funasr (emotion2vec) is not installed" in res.skipped
    assert "dubkit[paper]" in res.skipped and res.model_id == "emotion2vec:iic/emotion2vec_plus_base"
