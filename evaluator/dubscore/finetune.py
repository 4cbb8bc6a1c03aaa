"""``--finetune-encoders``: which encoders can carry LoRA adapters, checked before any work starts."""

from __future__ import annotations

from evaluator.errors import ConfigError

#: paper-profile cues with a transformers module that LoRA can wrap (see evaluator.dubscore.lora)
LORA_CUES = ("wav2vec2", "timesformer", "face_expression")


def check_finetune(profile: str, rank: int) -> None:
    """Refuse ``--finetune-encoders`` where it cannot run, with the reason."""
    if profile != "paper":
        raise ConfigError(
            "--finetune-encoders needs --profile paper (the offline encoders are not transformers)",
            hint="add --profile paper with local model directories, or drop --finetune-encoders",
        )
    if rank < 1:
        raise ConfigError(f"--lora-rank must be >= 1, got {rank}")
    raise ConfigError(
        "end-to-end LoRA training of the encoders is not wired into `dubkit train dubscore` yet",
        hint="train on cached features (drop --finetune-encoders); evaluator.dubscore.lora.add_lora adds the adapters",
    )
