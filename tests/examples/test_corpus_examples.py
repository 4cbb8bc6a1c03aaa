"""examples/meld and examples/m2h2: the --smoke recipe end to end on the fixture trees (corpus, scores, a
trained DubScore checkpoint, the clips to rate), and the full recipe's commands."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def recipe_module():
    spec = importlib.util.spec_from_file_location("corpus_recipe", EXAMPLES / "corpus_recipe.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_recipe"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _one_thread():
    """The CI machine is shared: one torch thread avoids oversubscription (as the DubScore tests do)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.mark.parametrize(("dataset", "target", "voice"), [("meld", "hi", "espeak"), ("m2h2", "en", "piper")])
def test_smoke_recipe(dataset, target, voice, tmp_path, capsys) -> None:
    from evaluator.corpus import read_corpus
    from evaluator.dubscore.checkpoint import load_checkpoint

    assert recipe_module().main(dataset, ["--smoke", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = read_corpus(tmp_path / f"{dataset}-{target}")
    assert sum(r.kind == "dubbed" for r in rows) == 7 and sum(r.kind == "original" for r in rows) == 3
    assert all(r.synthesizer["backend"] == voice and r.target_lang == target for r in rows if r.kind == "dubbed")
    scores = [json.loads(x) for x in (tmp_path / "scores" / "scores.jsonl").read_text().splitlines()]
    assert sorted(s["id"] for s in scores) == sorted(r.id for r in rows)
    assert all(s["proxy_mos"]["value"] is not None and "dnsmos_ovrl" in s["metrics"] for s in scores)
    ckpt = load_checkpoint(tmp_path / "dubscore-stage1" / "dubscore.pt")
    assert ckpt.info["stage"] == "proxy" and set(ckpt.encoder_ids) == {"voice", "quality"}
    report = json.loads((tmp_path / "dubscore-stage1" / "report.json").read_text())
    assert report["clips"] == 10 and report["labels"] == "proxy MOS (proxy_mos column)"
    picked = json.loads((tmp_path / "picked.json").read_text())["next"]
    assert len(picked) == 3 and set(picked) <= {r.id for r in rows}
    page = (tmp_path / "listening_test.html").read_text(encoding="utf-8")
    assert all(cid in page for cid in picked)
    assert f"{dataset}: 7 dubbed + 3 original clips; 1 utterances skipped" in out


def test_full_recipe_commands(capsys) -> None:
    recipe = recipe_module()
    args = ["--dry-run", "--dataset-dir", "/data/MELD.Raw", "--vllm-url", "http://gpu:8000/v1",
            "--f5-ckpt", "hi/model.safetensors", "--f5-vocab", "hi/vocab.txt", "--f5-config", "F5TTS_Small",
            "--out", "runs"]  # fmt: skip
    assert recipe.main("meld", args) == 0
    build, score, train, nxt, page = (x[len("$ dubkit ") :] for x in capsys.readouterr().out.splitlines())
    assert build.startswith("corpus build /data/MELD.Raw --dataset meld --to hi -o runs/meld-hi --fit global")
    assert "--translate vllm --url http://gpu:8000/v1 --model Qwen/Qwen2.5-7B-Instruct --synth f5" in build
    assert "--f5-vocab hi/vocab.txt --synth-opt languages=hi,en" in build and "--sample 6000 " in build
    assert score.startswith("score runs/meld-hi -o runs/scores --resume")
    assert train.startswith("train dubscore --data runs/meld-hi --scores runs/scores") and "--ensemble 5" in train
    assert nxt == "ratings next --scores runs/scores --budget 200 --json > runs/picked.json"
    assert page == "ratings page runs/meld-hi --pick runs/picked.json -o runs/listening_test.html"
    with pytest.raises(SystemExit):
        recipe.main("m2h2", ["--out", "runs"])  # the full recipe needs its inputs
