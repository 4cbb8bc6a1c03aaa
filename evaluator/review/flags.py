"""Which lines a reviewer should look at first, and why: the flag rules of the review page (their one home).

- ``overrun``: the line's speech runs past its cue end and the silence it may borrow (``fit.overrun_ms``);
- ``cap``: its duration ratio sits at a stretch cap of the dub (``manifest.config["caps"]``): it was
  compressed or slowed as far as allowed, so it may sound rushed or dragged;
- ``score``: one of its scores is under a threshold the reviewer set (``scores.parse_min_scores``);
- ``failed``: it was not rendered, or the generate-score loop kept a candidate under the dub's minimum
  score (no candidate passed).

>>> from evaluator.project import Fit, Line
>>> fit = Fit(raw_duration=2.6, duration=2.08, ratio=0.8, placed_start=4.58, placed_end=6.66, error_ms=1060,
...           borrow_ms=500, overrun_ms=560)
>>> [f.kind for f in line_flags(Line(index=2, start=4.58, end=5.6, text="Hi", fit=fit, status="done"),
...                              caps=(0.8, 1.25))]
['overrun', 'cap']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evaluator.project import Line
from evaluator.review.scores import ScoreValue

#: flag kinds, in the order the page lists them, with their names
FLAG_KINDS: dict[str, str] = {
    "overrun": "overrun",
    "cap": "at a stretch cap",
    "score": "score under threshold",
    "failed": "failed",
}
#: a ratio within this of a cap is at the cap (the manifest rounds ratios to 4 decimals)
CAP_TOLERANCE = 5e-4


@dataclass(frozen=True)
class Flag:
    """Why a line is flagged: its kind (a key of ``FLAG_KINDS``) and a short text for the reviewer."""

    kind: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}


def dub_caps(config: Mapping[str, Any]) -> tuple[float, float] | None:
    """The dub's (min, max) duration ratio from ``manifest.config["caps"]`` (None when not recorded)."""
    caps = config.get("caps")
    if isinstance(caps, list | tuple) and len(caps) >= 2 and all(isinstance(c, int | float) for c in caps[:2]):
        return float(caps[0]), float(caps[1])
    return None


def line_flags(
    line: Line,
    *,
    caps: tuple[float, float] | None,
    scores: Sequence[ScoreValue] = (),
    thresholds: Mapping[str, float] | None = None,
) -> list[Flag]:
    """The flags of one line (see the module docstring), in ``FLAG_KINDS`` order."""
    out: list[Flag] = []
    fit = line.fit
    if fit is not None and fit.overrun_ms > 0:
        out.append(
            Flag("overrun", f"overruns its slot by {fit.overrun_ms:.0f} ms (after borrowing {fit.borrow_ms:.0f} ms)")
        )
    if fit is not None and caps is not None:
        lo, hi = caps
        if fit.ratio <= lo + CAP_TOLERANCE:
            out.append(Flag("cap", f"compressed to the {lo:g}x cap (ratio {fit.ratio:.3f})"))
        elif fit.ratio >= hi - CAP_TOLERANCE:
            out.append(Flag("cap", f"slowed to the {hi:g}x cap (ratio {fit.ratio:.3f})"))
    for name, minimum in (thresholds or {}).items():
        for v in scores:
            if v.name == name and v.value is not None and v.value < minimum:
                out.append(Flag("score", f"{name} {v.value:.4g} < {minimum:g} ({v.model})"))
                break
    if line.status == "failed" or line.error:
        out.append(Flag("failed", f"not rendered: {line.error or 'failed'}"))
    elif line.fit is None:
        out.append(Flag("failed", "not rendered yet"))
    elif line.score is not None and not line.score.passed:
        minimum = line.plan.min_score if line.plan else None
        under = f" under the minimum {minimum:g}" if minimum is not None else ""
        out.append(
            Flag("failed", f"no candidate passed{under} in {line.score.rounds} round(s); kept {line.score.value:.3g}")
        )
    return out
