"""What a metric is: a frozen spec the scorer reads, and the values a metric returns.

>>> s = MetricSpec(name="wer", description="word error rate", inputs=("audio", "text"),
...                higher_is_better=False, score_range=(0.0, None), backend="pocketsphinx",
...                model_id="cmusphinx-en-us-5.2", offline=True, sample_rate=16000, family="transcript")
>>> s.to_dict()["inputs"]
['audio', 'text']

A metric whose ideal is a value (``stretch_ratio``: 1) sets ``target``; ranking then uses the distance:

>>> r = MetricSpec(name="stretch_ratio", description="", inputs=("fit",), higher_is_better=False,
...                score_range=(0.0, None), backend="manifest", model_id="m", offline=True, sample_rate=None,
...                family="manifest", target=1.0, target_distance="log")
>>> round(r.badness(0.8), 4) == round(r.badness(1.25), 4), r.badness(1.0)
(True, 0.0)

A metric with (bad, good) ``anchors`` (presets.yaml) maps its values to [0, 1], 1 = good:

>>> d = MetricSpec(name="dnsmos_ovrl", description="", inputs=("audio",), higher_is_better=True,
...                score_range=(1.0, 5.0), backend="speechmos", model_id="m", offline=True, sample_rate=16000,
...                family="dnsmos", anchors=(1.0, 5.0))
>>> d.normalised(3.0), d.normalised(7.0)
(0.5, 1.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: The inputs a metric may need. ``audio`` is the dubbed speech; ``reference`` is speech with the
#: same words (ground truth, for mcd and log_f0_rmse); ``voice`` is a clip of the target voice
#: (spk_sim and emo_sim accept either); ``video`` has the face; ``text`` is the target text;
#: ``fit`` is a dubkit manifest line's fit record.
INPUT_KINDS = ("audio", "reference", "voice", "video", "reference_video", "text", "fit")
TARGET_DISTANCES = ("abs", "log")


def badness(
    value: float, *, higher_is_better: bool, target: float | None = None, target_distance: str = "abs"
) -> float:
    """A number where lower is better: the distance to ``target`` when there is one, else the value (negated if
    higher is better). ``target_distance`` ``log`` measures |log(value / target)| (non-positive values: inf)."""
    v = float(value)
    if target is not None:
        if target_distance == "log":
            return abs(math.log(v / target)) if v > 0 and target > 0 else math.inf
        return abs(v - target)
    return -v if higher_is_better else v


def normalise(value: Any, anchors: tuple[Any, Any]) -> Any:
    """``value`` mapped linearly from ``anchors`` (bad, good) onto [0, 1] and clipped: bad -> 0, good -> 1 (either
    order, so lower-is-better metrics give (high, low)). NaN stays NaN. Works on floats and, elementwise, on numpy
    arrays (anchors may then be arrays, one pair per column)."""
    bad, good = (np.asarray(a, dtype=float) for a in anchors)
    z = np.clip((np.asarray(value, dtype=float) - bad) / (good - bad), 0.0, 1.0)
    return float(z) if z.ndim == 0 else z


@dataclass(frozen=True)
class MetricSpec:
    """Everything the scorer needs to know about one metric with one backend."""

    name: str
    description: str
    inputs: tuple[str, ...]
    higher_is_better: bool
    score_range: tuple[float | None, float | None]
    backend: str
    model_id: str
    offline: bool
    sample_rate: int | None
    family: str
    unit: str = ""
    #: alternatives: an input named ``"reference|voice"`` is satisfied by either
    paper: str = ""
    extra: str | None = None
    min_duration_s: float = 0.0
    #: the ideal value, for metrics where closer is better (``higher_is_better`` then refers to the distance)
    target: float | None = None
    #: how the distance to ``target`` is measured: ``abs`` or ``log`` (see :func:`badness`)
    target_distance: str = "abs"
    #: (bad, good): the values :meth:`normalised` maps to 0 and 1 (presets.yaml ``anchors``; None: not normalisable)
    anchors: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.target_distance not in TARGET_DISTANCES:
            from evaluator.errors import ConfigError

            raise ConfigError(
                f"metric {self.name}: unknown target_distance {self.target_distance!r}",
                hint=f"use one of {', '.join(TARGET_DISTANCES)}",
            )
        if self.anchors is not None and self.target is not None:
            from evaluator.errors import ConfigError

            raise ConfigError(f"metric {self.name}: anchors and a target together are not supported")

    def normalised(self, value: float) -> float:
        """``value`` on [0, 1] between the spec's anchors, 1 = good (see :func:`normalise`)."""
        if self.anchors is None:
            from evaluator.errors import ConfigError

            raise ConfigError(
                f"metric {self.name} with backend {self.backend} has no anchors to normalise by",
                hint="learn proxy weights from ratings, or use a backend presets.yaml gives anchors for",
            )
        return normalise(value, self.anchors)

    def badness(self, value: float) -> float:
        """Lower is better: see :func:`badness`."""
        return badness(
            value, higher_is_better=self.higher_is_better, target=self.target, target_distance=self.target_distance
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "inputs": list(self.inputs),
            "higher_is_better": self.higher_is_better,
            "range": list(self.score_range),
            "backend": self.backend,
            "model_id": self.model_id,
            "offline": self.offline,
            "sample_rate": self.sample_rate,
            "family": self.family,
            "unit": self.unit,
            "paper": self.paper,
            "extra": self.extra,
            "min_duration_s": self.min_duration_s,
            "target": self.target,
            "target_distance": self.target_distance,
            "anchors": None if self.anchors is None else list(self.anchors),
        }


@dataclass
class MetricValue:
    """One metric's outcome on one item: a value, or the reason it was skipped."""

    name: str
    value: float | None
    backend: str
    model_id: str
    sample_rate: int | None
    skipped: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    #: caveats of the value, short and shared across items so a summary can count them ("transcribed the mix
    #: (no dialogue stem found)", "under 1.25 s: pocketsphinx WER unreliable")
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "value": self.value,
            "backend": self.backend,
            "model_id": self.model_id,
            "sample_rate": self.sample_rate,
        }
        if self.skipped is not None:
            d["skipped"] = self.skipped
        if self.details:
            d["details"] = self.details
        if self.notes:
            d["notes"] = list(self.notes)
        return d


class SkipMetric(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised (or returned per metric) when the item cannot be scored (no face, too short, no sync found...): the
    reason is recorded, with ``details`` of what was measured on the way (the signed lag of a failed search)."""

    def __init__(self, reason: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.details = dict(details or {})
