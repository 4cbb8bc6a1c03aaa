"""The training config of a DubScore head and its named presets (no torch: the CLI reads the defaults).

>>> c = preset_config("paper", epochs=5)
>>> (c.optimizer, c.lr, c.batch_size, c.dropout, c.epochs, c.folds, c.hidden, c.projection)
('adam', 0.0001, 64, 0.2, 5, 4, 256, 'lora')
>>> preset_config("paper", head="avfusion").projection
'gelu'
>>> TrainConfig(head="avfusion").hidden
512
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from evaluator.errors import ConfigError

#: the model width of each head when none is given: dubkit's small-data default, and AV-FusionNet's 512
HEAD_WIDTH = {"dubscore": 64, "avfusion": 512}
#: how a cue is projected to the model width: ``adapter`` (linear, LayerNorm, residual bottleneck adapter; dubkit),
#: ``lora`` (a linear projection adapted by LoRA, the DubScore paper's), ``gelu`` (linear then GELU, AV-FusionNet's)
PROJECTIONS = ("adapter", "lora", "gelu")
#: the projection of each head when none is given
HEAD_PROJECTION = {"dubscore": "adapter", "avfusion": "gelu"}


@dataclass(frozen=True)
class TrainConfig:
    head: str = "dubscore"
    modalities: tuple[str, ...] = ("A", "V", "T")
    hidden: int | None = None  # None: the head's width (HEAD_WIDTH: dubscore 64, avfusion 512)
    layers: int = 3
    heads: int = 4
    dropout: float = 0.1
    epochs: int = 60
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    folds: int = 4
    seed: int = 0
    loss_lambda: float = 0.6
    mc_samples: int = 20
    coverage: float = 0.9
    label_range: tuple[float, float] = (1.0, 5.0)
    pca_dims: int = 0  # >0: cues wider than this are projected on their first principal axes (fitted on training data)
    val_fraction: float = 0.0  # >0: early stopping on this share of the training clips (best epoch kept)
    patience: int = 10  # epochs without validation improvement before stopping
    ensemble: int = 1  # members (different seeds) averaged by ``fit_ensemble``/``predict_ensemble``
    quantile_dims: int = 0  # >0: cues of at most this many features are quantile-normalised (network.py)
    rank_weight: float = 0.0  # >0: adds this times the pairwise ranking loss (losses.ranking_loss)
    projection: str | None = None  # cue projection (PROJECTIONS); None: the head's (HEAD_PROJECTION)
    proj_rank: int = 8  # rank of the LoRA adapter of a ``lora`` projection
    optimizer: str = "adamw"  # adamw (weight decay decoupled) or adam (the DubScore paper's; weight decay as L2)

    def __post_init__(self) -> None:  # the head's defaults, so a saved config names the numbers it used
        if self.hidden is None and self.head in HEAD_WIDTH:
            object.__setattr__(self, "hidden", HEAD_WIDTH[self.head])
        if self.projection is None and self.head in HEAD_PROJECTION:
            object.__setattr__(self, "projection", HEAD_PROJECTION[self.head])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: named training settings: ``paper`` is the DubScore paper's recipe (Adam, lr 1e-4, batch 64, dropout 0.2, 50 epochs,
#: 4-fold CV, each encoder projected to 256-d by a LoRA-adapted linear projection)
TRAIN_PRESETS: dict[str, dict[str, Any]] = {
    "paper": {"optimizer": "adam", "lr": 1e-4, "batch_size": 64, "dropout": 0.2, "epochs": 50, "folds": 4,
              "weight_decay": 0.0, "hidden": 256, "projection": "lora"},
}  # fmt: skip


def preset_config(preset: str | None = None, **given: Any) -> TrainConfig:
    """A :class:`TrainConfig` from a named preset (:data:`TRAIN_PRESETS`) with ``given`` fields on top (a field given
    as None is not given). The ``paper`` preset's width and LoRA projection are the ``dubscore`` head's; another
    head keeps its own (AV-FusionNet: 512-d, GELU)."""
    fields: dict[str, Any] = {}
    if preset is not None:
        if preset not in TRAIN_PRESETS:
            raise ConfigError(f"unknown training preset {preset!r}", hint=f"use {', '.join(TRAIN_PRESETS)}",
                              param="preset")  # fmt: skip
        fields.update(TRAIN_PRESETS[preset])
        if given.get("head", "dubscore") != "dubscore":
            fields.pop("hidden"), fields.pop("projection")
    fields.update({k: v for k, v in given.items() if v is not None})
    return TrainConfig(**fields)


#: (field, test, what the value must be, hint) for :func:`check_config`
_CHECKS: tuple[tuple[str, Callable[[Any], bool], str, str], ...] = (
    ("epochs", lambda v: v >= 1, ">= 1", ""),
    ("lr", lambda v: v > 0, "> 0", ""),
    ("batch_size", lambda v: v >= 2, ">= 2", "batches of one clip are skipped"),
    ("dropout", lambda v: 0 <= v < 1, "in [0, 1)", ""),
    ("weight_decay", lambda v: v >= 0, ">= 0", ""),
    ("pca_dims", lambda v: v >= 0, ">= 0", "0 turns PCA off"),
    ("val_fraction", lambda v: 0 <= v < 1, "in [0, 1)", "0 turns early stopping off"),
    ("patience", lambda v: v >= 1, ">= 1", ""),
    ("ensemble", lambda v: v >= 1, ">= 1", "1 trains a single model"),
    ("mc_samples", lambda v: v >= 0, ">= 0", "0 turns MC dropout off"),
    ("coverage", lambda v: 0 < v < 1, "in (0, 1)", "e.g. 0.9 for 90% intervals"),
    ("quantile_dims", lambda v: v >= 0, ">= 0", "0 standardises every cue"),
    ("rank_weight", lambda v: v >= 0, ">= 0", "0 turns the ranking loss off"),
    ("hidden", lambda v: v >= 1, ">= 1", ""),
    ("projection", lambda v: v in PROJECTIONS, f"one of {', '.join(PROJECTIONS)}", ""),
    ("proj_rank", lambda v: v >= 1, ">= 1", ""),
    ("optimizer", lambda v: v in ("adam", "adamw"), "adam or adamw", ""),
)


def check_config(cfg: TrainConfig) -> None:
    """Refuse out-of-range training options with one line naming the field (``ConfigError``)."""
    for name, ok, want, hint in _CHECKS:
        value = getattr(cfg, name)
        if not ok(value):
            raise ConfigError(f"{name} must be {want}, got {value}", hint=hint or None, param=name)
