"""LoRA adapters (peft) on the transformer cue encoders, for ``--finetune-encoders``.

The pretrained weights stay frozen; only the low-rank adapters train, end to end with the fusion
network. Target modules default to the attention projections of the architecture
(``q_proj``/``v_proj`` in Wav2Vec2, ``qkv`` in TimeSformer, ``query``/``value`` in ViT/BERT).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from evaluator.errors import ConfigError, MissingDependencyError

_CANDIDATES = (("q_proj", "v_proj"), ("query", "value"), ("qkv",))


def target_modules(module: nn.Module) -> list[str]:
    """Attention projection names present in ``module`` (the first family that matches)."""
    names = {n.rsplit(".", 1)[-1] for n, m in module.named_modules() if isinstance(m, nn.Linear)}
    for family in _CANDIDATES:
        if all(f in names for f in family):
            return list(family)
    raise ConfigError(f"no attention projections found in {type(module).__name__}", hint="pass target_modules")


def add_lora(
    module: nn.Module, rank: int = 8, alpha: int = 16, dropout: float = 0.05, targets: list[str] | None = None
) -> Any:
    """``module`` with LoRA adapters on its attention projections; base weights frozen (requires_grad False)."""
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError:
        raise MissingDependencyError("peft (LoRA adapters)", install="pip install peft==0.21.2") from None
    if rank < 1:
        raise ConfigError(f"LoRA rank must be >= 1, got {rank}")
    cfg = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=dropout, target_modules=targets or target_modules(module))
    return get_peft_model(module, cfg)


def trainable_parameters(module: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    total = sum(p.numel() for p in module.parameters())
    train = sum(p.numel() for p in module.parameters() if p.requires_grad)
    return train, total
