"""DubScoreModel: a checkpoint and its cue encoders are loaded once and score batch after batch."""

from __future__ import annotations

import numpy as np
import pytest

import evaluator.dubscore.model as model_mod
from evaluator.dubscore.api import score_with_model
from evaluator.dubscore.checkpoint import save_checkpoint
from evaluator.dubscore.features import CUES, FeatureTable
from evaluator.dubscore.model import DubScoreModel
from evaluator.dubscore.training import TrainConfig, fit
from evaluator.metrics.item import ScoreItem, Source


def _speechlike(seed: int, seconds: float = 1.0, sr: int = 16000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    f0 = 120 + 40 * rng.random()
    tone = np.sin(2 * np.pi * f0 * t * (1 + 0.1 * np.sin(2 * np.pi * 3 * t)))
    return (0.3 * tone * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2)).astype(np.float32)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A tiny DubScore net on the real offline prosody cue (trained on random features of its width)."""
    cue = CUES.get("prosody")()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, cue.dim)).astype(np.float32)
    table = FeatureTable([f"t{i}" for i in range(24)], {"prosody": x}, {"prosody": np.ones(24, bool)},
                         {"prosody": cue.encoder_id})  # fmt: skip
    cfg = TrainConfig(hidden=8, epochs=2, modalities=("A",), mc_samples=0)
    path = tmp_path_factory.mktemp("ck") / "m.pt"
    save_checkpoint(path, fit(table, 3 + np.tanh(x[:, 0]), cfg), cfg, encoder_ids=table.encoder_ids,
                    profile="offline", sigma_res=0.2)  # fmt: skip
    return path


def _items(ids: range) -> list[ScoreItem]:
    return [ScoreItem(f"cand{i}", audio_src=Source.of_array(_speechlike(i), 16000)) for i in ids]


def test_loads_once_and_scores_many_batches_like_score_with_model(checkpoint, tmp_path, monkeypatch):
    calls = {"load_checkpoint": 0, "features_for_checkpoint": 0}

    def counted(name):
        real = getattr(model_mod, name)

        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return wrapper

    for name in calls:
        monkeypatch.setattr(model_mod, name, counted(name))
    with DubScoreModel.load(checkpoint, cache_dir=tmp_path / "cache") as model:
        first = model.score(_items(range(3)))
        second = model.score(_items(range(3, 5)))
        again = model.score(_items(range(2)))
        assert model.cache.hits == 2  # the repeated candidates come from the feature cache
    assert calls == {"load_checkpoint": 1, "features_for_checkpoint": 1}  # not once per batch
    assert list(first) == ["cand0", "cand1", "cand2"] and list(second) == ["cand3", "cand4"]
    assert again["cand1"]["value"] == first["cand1"]["value"]
    one_shot = score_with_model(_items(range(3, 5)), checkpoint, cache_dir=tmp_path / "other")
    for k in ("cand3", "cand4"):
        assert one_shot[k]["value"] == pytest.approx(second[k]["value"], abs=1e-6)
        assert one_shot[k]["model_id"] == second[k]["model_id"] and "dubscore-dubscore" in one_shot[k]["model_id"]
    assert len({round(v["value"], 6) for v in (*first.values(), *second.values())}) > 1  # inputs matter
