"""Train a scene-reading VLM (Qwen2-VL / Qwen2.5-VL family) the way DeepDubber trains its CoT stage.

1. ``sft``: supervised fine-tuning on chain-of-thought answers (the four tagged stages), LoRA.
2. ``mpo``: mixed preference optimisation on the SFT model: TRL's DPO trainer with the losses
   ``sigmoid`` (preference), ``bco_pair`` (quality) and ``sft`` (generation), weighted, plus DeepDubber's
   format and accuracy loss terms (``reward_losses.py``, weighted by ``--reward-loss-weights``); pairs are
   built from candidate answers with the format and accuracy rewards (chosen = well formed and
   correct); ``--sample N`` adds N answers sampled from the model itself per clip.

Each stage writes ``OUT/adapter`` (the LoRA weights) and ``OUT/merged`` (the model with the adapter
merged, plus the base directory's processor files), which is what the next stage and
``dubkit cot read --backend transformers --cot-model OUT/merged`` load. See README.md.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # cot_data beside this script

from cot_data import CotExample, load_examples, load_frames, preference_rows, sft_rows  # noqa: E402

logger = logging.getLogger("train_cot")

#: LoRA on the language model's attention and MLP projections only (the vision tower stays frozen).
LORA_TARGETS = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
PROCESSOR_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.json",
    "merges.txt",
    "special_tokens_map.json",
    "added_tokens.json",
    "preprocessor_config.json",
    "video_preprocessor_config.json",
    "processor_config.json",
    "chat_template.json",
    "chat_template.jinja",
)
MPO_LOSSES = ("sigmoid", "bco_pair", "sft")


@dataclass
class TrainOptions:
    """Options shared by both stages (defaults for a 7B model on one 80 GB GPU)."""

    mode: str = "cot"
    epochs: float = 1.0
    max_steps: int = -1
    lr: float = 1e-4
    batch_size: int = 1
    grad_accum: int = 8
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    fps: float = 2.0
    max_frames: int = 4
    max_width: int = 448
    bf16: bool = False
    gradient_checkpointing: bool = False
    seed: int = 0
    # mpo only
    beta: float = 0.1
    loss_weights: list[float] = field(default_factory=lambda: [0.8, 0.2, 1.0])
    #: weights of the format and accuracy loss terms (DeepDubber's; 0 turns one off): reward_losses.py
    reward_loss_weights: list[float] = field(default_factory=lambda: [0.2, 0.2])
    sample: int = 0
    max_new_tokens: int = 768
    max_pairs_per_clip: int = 4


def _require_trl() -> Any:
    try:
        import trl
    except ImportError:
        from evaluator.errors import MissingDependencyError

        raise MissingDependencyError("trl (the training recipe)", extra="cot-train") from None
    return trl


def _load(model_dir: Path, opts: TrainOptions) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForImageTextToText

    from dubber.scene.vlm_processor import load_vlm_processor

    processor = load_vlm_processor(model_dir)
    dtype = torch.bfloat16 if opts.bf16 else torch.float32
    model = AutoModelForImageTextToText.from_pretrained(model_dir, local_files_only=True, dtype=dtype)
    return model, processor


def _lora(opts: TrainOptions) -> Any:
    from peft import LoraConfig

    return LoraConfig(
        r=opts.lora_r,
        lora_alpha=opts.lora_alpha,
        lora_dropout=opts.lora_dropout,
        target_modules=LORA_TARGETS,
        task_type="CAUSAL_LM",
    )


def _common_args(out: Path, opts: TrainOptions) -> dict[str, Any]:
    import torch

    return {
        "output_dir": str(out),
        "num_train_epochs": opts.epochs,
        "max_steps": opts.max_steps,
        "learning_rate": opts.lr,
        "per_device_train_batch_size": opts.batch_size,
        "gradient_accumulation_steps": opts.grad_accum,
        "bf16": opts.bf16,
        "gradient_checkpointing": opts.gradient_checkpointing,
        "use_cpu": not torch.cuda.is_available(),
        "max_length": None,  # never cut image placeholder tokens
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "seed": opts.seed,
        "remove_unused_columns": False,
        "dataloader_num_workers": 0,
    }


@dataclass
class StageResult:
    """What a stage wrote, and the trainer's log (loss, and for mpo the DPO rewards/margins, per step)."""

    merged: Path
    adapter: Path
    examples: int
    log_history: list[dict[str, float]]
    losses: list[str] | None = None  # the DPO trainer's loss types (mpo)
    reward_weights: dict[str, float] | None = None  # the format and accuracy loss weights (mpo)


def _save(trainer: Any, base_dir: Path, out: Path, examples: int) -> StageResult:
    """Write OUT/adapter and OUT/merged (adapter merged into the weights, with the base's processor files)."""
    log = list(trainer.state.log_history)
    trainer.model.eval()
    model = trainer.model
    model.save_pretrained(out / "adapter")
    merged = model.merge_and_unload()
    merged.save_pretrained(out / "merged")
    for name in PROCESSOR_FILES:
        if (base_dir / name).is_file():
            shutil.copy2(base_dir / name, out / "merged" / name)
    losses = list(trainer.loss_types) if hasattr(trainer, "loss_types") else None
    rewards = dict(trainer.reward_weights) if hasattr(trainer, "reward_weights") else None
    return StageResult(out / "merged", out / "adapter", examples, log, losses, rewards)


def _dataset(rows: list[dict[str, Any]], what: str) -> Any:
    from datasets import Dataset

    from evaluator.errors import ConfigError

    if not rows:
        raise ConfigError(f"no {what}: check the responses and labels in the data file")
    return Dataset.from_list(rows)


def run_sft(model_dir: str | Path, data: str | Path, out: str | Path, opts: TrainOptions | None = None) -> StageResult:
    """Supervised fine-tuning on the well-formed, correct CoT answers of ``data``; returns what it wrote."""
    trl = _require_trl()
    opts = opts or TrainOptions()
    model_dir, out = Path(model_dir), Path(out)
    examples = load_examples(data, opts.mode)
    frames = load_frames(examples, fps=opts.fps, max_frames=opts.max_frames, max_width=opts.max_width)
    dataset = _dataset(sft_rows(examples, frames, opts.mode), "SFT examples")
    model, processor = _load(model_dir, opts)
    args = trl.SFTConfig(**_common_args(out, opts), completion_only_loss=True)
    trainer = trl.SFTTrainer(
        model=model, args=args, train_dataset=dataset, processing_class=processor, peft_config=_lora(opts)
    )
    trainer.train()
    return _save(trainer, model_dir, out, len(dataset))


def sample_candidates(model_dir: Path, examples: list[CotExample], opts: TrainOptions) -> list[CotExample]:
    """``opts.sample`` sampled answers per clip from the model (as extra, reward-scored candidates)."""
    import numpy as np

    from dubber.scene.base import SceneClip, iter_clips
    from dubber.scene.transformers_vlm import TransformersSceneReader
    from evaluator.script import Cue

    reader = TransformersSceneReader(str(model_dir), mode=opts.mode, max_new_tokens=opts.max_new_tokens)
    seen: dict[Any, CotExample] = {}
    for ex in examples:
        seen.setdefault(ex.clip_key, ex)
    out = []
    for ex in seen.values():
        cue = Cue(index=0, start=ex.start, end=ex.end, text=ex.text)
        if isinstance(ex.source, tuple):
            from cot_data import clip_frames

            pics = clip_frames(ex, fps=opts.fps, max_frames=opts.max_frames, max_width=opts.max_width)
            clip = SceneClip(cue, np.stack([np.asarray(p) for p in pics]), np.zeros(len(pics)), None)
        else:
            (clip,) = iter_clips(
                ex.source, [cue], fps=opts.fps, max_frames=opts.max_frames, max_width=opts.max_width, with_audio=False
            )
        for k in range(opts.sample):
            text = reader.generate(clip, attempt=k + 1, prompt=ex.prompt)  # attempt > 0: sampled, seeded
            out.append(CotExample(ex.source, ex.start, ex.end, ex.prompt, text, ex.labels, ex.text))
    reader.unload()
    return out


def run_mpo(model_dir: str | Path, data: str | Path, out: str | Path, opts: TrainOptions | None = None) -> StageResult:
    """Mixed preference optimisation (DPO trainer, losses sigmoid + bco_pair + sft, plus the format and accuracy
    loss terms) with LoRA; returns what it wrote."""
    trl = _require_trl()
    from reward_losses import RewardMPOTrainer

    opts = opts or TrainOptions()
    model_dir, out = Path(model_dir), Path(out)
    examples = load_examples(data, opts.mode)
    if opts.sample > 0:
        examples = examples + sample_candidates(model_dir, examples, opts)
    frames = load_frames(examples, fps=opts.fps, max_frames=opts.max_frames, max_width=opts.max_width)
    rows = preference_rows(examples, frames, mode=opts.mode, max_pairs_per_clip=opts.max_pairs_per_clip)
    dataset = _dataset(rows, "preference pairs (each clip needs a chosen and a rejected answer)")
    model, processor = _load(model_dir, opts)
    args = trl.DPOConfig(
        **_common_args(out, opts), loss_type=list(MPO_LOSSES), loss_weights=list(opts.loss_weights), beta=opts.beta
    )
    trainer = RewardMPOTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=processor,
        peft_config=_lora(opts),
        reward_weights=opts.reward_loss_weights,
    )
    trainer.train()
    return _save(trainer, model_dir, out, len(dataset))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["sft", "mpo"])
    parser.add_argument("--model", required=True, help="local VLM directory (base model for sft, sft/merged for mpo)")
    parser.add_argument("--data", required=True, help="JSONL of {video|frames, start, end, prompt, response, labels}")
    parser.add_argument("--out", required=True, help="output directory (adapter/ and merged/ are written there)")
    defaults = TrainOptions()
    for name, value in vars(defaults).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, action="store_true", default=value)
        elif isinstance(value, list):
            parser.add_argument(flag, type=float, nargs=len(value), default=value)
        else:
            parser.add_argument(flag, type=type(value), default=value)
    ns = parser.parse_args(argv)
    opts = TrainOptions(**{k: getattr(ns, k) for k in vars(defaults)})
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    run = run_sft if ns.stage == "sft" else run_mpo
    result = run(ns.model, ns.data, ns.out, opts)
    logger.info("%s: %d examples; wrote %s and %s", ns.stage, result.examples, result.adapter, result.merged)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
