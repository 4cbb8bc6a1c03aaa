"""Smoke test of examples/train_cot: SFT then MPO (TRL DPO trainer, sigmoid + bco_pair + sft) with LoRA, a few
steps each, on a tiny random Qwen2-VL on CPU; the rewards and the pair building; the data checks."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
from tiny_qwen2vl import build_tiny_qwen2vl

from dubber.scene.rewards import accuracy_reward, format_reward, is_preferred
from evaluator.errors import ConfigError

RECIPE = Path(__file__).resolve().parents[3] / "examples" / "train_cot"
PHOTO = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
VALUES = {
    "scene_type": "monologue",
    "num_people": 1,
    "speaker_talking": True,
    "gender": "female",
    "age": "senior",
    "emotion": "neutral",
    "confidence": 0.8,
}
LABELS = {"scene_type": "monologue", "gender": "female", "age": "senior", "emotion": "neutral"}


def answer(values: dict) -> str:
    return (
        "<SUMMARY>Decide the scene.</SUMMARY><CAPTION>One woman in uniform.</CAPTION><REASONING>Step 1: one person. "
        "Step 2: she talks. Step 3: monologue. Step 4: a senior woman, calm.</REASONING>"
        f"<CONCLUSION>{json.dumps(values)}</CONCLUSION>"
    )


GOOD, WRONG, BROKEN = answer(VALUES), answer({**VALUES, "gender": "male"}), "<SUMMARY>Decide the scene.</SUMMARY>"


def recipe(name: str):  # noqa: ANN201
    if str(RECIPE) not in sys.path:
        sys.path.insert(0, str(RECIPE))
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cot_data")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-loop", "1", "-i", str(PHOTO), "-t", "2", "-r", "10"]
        + ["-vf", "scale=160:-2", "-pix_fmt", "yuv420p", str(root / "hopper.mp4")],
        check=True,
    )
    clip = {"video": "hopper.mp4", "start": 0.0, "end": 1.5, "text": "We must keep going.", "labels": LABELS}
    rows = [{**clip, "response": r} for r in (GOOD, WRONG, BROKEN)]
    (root / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return root / "train.jsonl"


def test_rewards_split_chosen_and_rejected() -> None:
    assert format_reward(GOOD) == format_reward(WRONG) == 1.0 and format_reward(BROKEN) == 0.0
    assert accuracy_reward(GOOD, LABELS) == 1.0 and accuracy_reward(WRONG, LABELS) == 0.75
    assert accuracy_reward(BROKEN, LABELS) == 0.0
    assert is_preferred(GOOD, LABELS) and not is_preferred(WRONG, LABELS) and not is_preferred(BROKEN, LABELS)
    with pytest.raises(ConfigError, match="mood"):
        accuracy_reward(GOOD, {"mood": "joy"})


def test_data_rows_and_pairs(data: Path) -> None:
    cot_data = recipe("cot_data")
    examples = cot_data.load_examples(data)
    assert len(examples) == 3 and "We must keep going." in examples[0].prompt  # default CoT instruction
    frames = cot_data.load_frames(examples, fps=2.0, max_frames=2, max_width=448)
    assert len(frames) == 1 and len(next(iter(frames.values()))) == 2  # one clip, decoded once, 2 frames
    sft = cot_data.sft_rows(examples, frames)
    assert [r["completion"][0]["content"] for r in sft] == [GOOD]
    pairs = cot_data.preference_rows(examples, frames)
    assert [(p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in pairs] == [(GOOD, WRONG), (GOOD, BROKEN)]
    assert pairs[0]["prompt"][1]["content"] == examples[0].prompt and len(pairs[0]["images"]) == 2
    # both rewards of both answers travel with each pair: the targets of the format and accuracy loss terms
    rewards = [{k: p[k] for k in ("format_chosen", "format_rejected", "accuracy_chosen", "accuracy_rejected")}
               for p in pairs]  # fmt: skip
    assert rewards == [
        {"format_chosen": 1.0, "format_rejected": 1.0, "accuracy_chosen": 1.0, "accuracy_rejected": 0.75},
        {"format_chosen": 1.0, "format_rejected": 0.0, "accuracy_chosen": 1.0, "accuracy_rejected": 0.0},
    ]


def test_data_errors_name_the_line(tmp_path: Path) -> None:
    cot_data = recipe("cot_data")
    bad = tmp_path / "bad.jsonl"
    row = {"video": "a.mp4", "start": 0, "end": 1, "response": GOOD, "labels": LABELS}
    bad.write_text(json.dumps(row) + "\n{oops\n")
    with pytest.raises(ConfigError, match=r"bad.jsonl:2: not JSON"):
        cot_data.load_examples(bad)
    bad.write_text(json.dumps({**row, "labels": {"age": "old"}}))
    with pytest.raises(ConfigError, match=r"bad.jsonl:1: age='old'"):
        cot_data.load_examples(bad)


@pytest.mark.slow  # TRL SFT + DPO (MPO) smoke run
def test_sft_then_mpo_on_a_tiny_qwen2vl(data: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    pytest.importorskip("trl", reason="trl is not installed: pip install 'dubkit[cot-train]'")
    import torch
    from safetensors.torch import load_file

    from dubber.scene import read_scenes
    from dubber.scene.transformers_vlm import TransformersSceneReader
    from evaluator.script import Cue

    train_cot = recipe("train_cot")
    root = tmp_path_factory.mktemp("train_cot")
    base = build_tiny_qwen2vl(root / "base")
    opts = train_cot.TrainOptions(max_steps=2, grad_accum=1, max_frames=2, lr=1e-3, sample=1, max_new_tokens=8)

    sft = train_cot.run_sft(base, data, root / "sft", opts)
    assert sft.examples == 1 and [h["loss"] for h in sft.log_history if "loss" in h][0] > 0
    adapter = load_file(sft.adapter / "adapter_model.safetensors")
    assert adapter and all("language_model" in k for k in adapter)  # LoRA on the language model only
    assert any("lora_B" in k and v.abs().sum() > 0 for k, v in adapter.items())  # the adapter was trained
    before, after = load_file(base / "model.safetensors"), load_file(sft.merged / "model.safetensors")
    q = next(k for k in before if "visual" not in k and k.endswith("q_proj.weight"))
    assert not torch.equal(before[q], after[q])  # merged weights moved
    assert (sft.merged / "tokenizer.json").is_file() and (sft.merged / "preprocessor_config.json").is_file()

    mpo = train_cot.run_mpo(sft.merged, data, root / "mpo", opts)
    assert mpo.examples == 3  # good vs wrong, good vs broken, good vs the sampled answer
    assert mpo.losses == ["sigmoid", "bco_pair", "sft"] and mpo.reward_weights == {"format": 0.2, "accuracy": 0.2}
    steps = [h for h in mpo.log_history if "loss" in h]
    assert len(steps) == 2 and all("rewards/margins" in h and h["loss"] > 0 for h in steps)
    # the format and accuracy loss terms ran (binary cross-entropy of the implicit reward against each reward)
    assert all(h["loss/format"] > 0 and h["loss/accuracy"] > 0 for h in steps)

    # The trained model is a scene-reading backend as it stands.
    reader = TransformersSceneReader(str(mpo.merged), max_new_tokens=8, retries=0, max_frames=2)
    (r,) = read_scenes(data.parent / "hopper.mp4", [Cue(1, 0.0, 1.5, "We must keep going.")], reader)
    assert r.backend == "transformers" and r.model == "transformers:merged" and r.attempts == 1
