"""The duration ladder: fitting each line's speech into its slot.

In order (DESIGN.md): (1) generate to the slot length where the backend controls length;
(2) borrow silence after the cue, up to ``max_borrow`` and never into the next line of any
speaker; (3) time-stretch with Rubber Band; (4) otherwise keep the whole line and report the
overrun. The caps bound the TOTAL change of pace from the synthesizer's natural pace
(native length control and time-stretch together), so speech never sounds sped up or slowed
down beyond ``min_ratio``..``max_ratio`` (ratio = placed duration / natural duration).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evaluator.errors import ConfigError


@dataclass(frozen=True)
class FitCaps:
    """Bounds on the change of pace and on borrowed silence."""

    min_ratio: float = 0.8
    max_ratio: float = 1.25
    max_borrow: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.min_ratio <= 1.0 <= self.max_ratio:
            raise ConfigError(
                "stretch caps must satisfy 0 < min_ratio <= 1 <= max_ratio "
                f"(got {self.min_ratio} and {self.max_ratio})",
                param="min_ratio" if not 0 < self.min_ratio <= 1.0 else "max_ratio",
            )
        if self.max_borrow < 0:
            raise ConfigError(f"max_borrow must be >= 0 (got {self.max_borrow})", param="max_borrow")


@dataclass(frozen=True)
class FitPlan:
    """The placed length of a line and how it is reached."""

    raw_duration: float
    duration: float
    borrow: float
    overrun: float
    slot: float

    @property
    def ratio(self) -> float:
        return self.duration / self.raw_duration if self.raw_duration > 0 else 1.0

    @property
    def error(self) -> float:
        return self.duration - self.slot


def borrow_room(
    starts: Sequence[float], ends: Sequence[float], i: int, max_borrow: float, media_end: float | None = None
) -> float:
    """Silence available after line ``i``: up to ``max_borrow``, never into the next line start
    of any speaker (a line that starts before ``i`` ends, e.g. another speaker's overlap, does not
    count), and never past the end of the media."""
    end = ends[i]
    room = max_borrow
    for j, s in enumerate(starts):
        if j != i and s >= end - 1e-9:
            room = min(room, s - end)
    if media_end is not None:
        room = min(room, max(0.0, media_end - end))
    return max(0.0, room)


def plan_fit(raw_duration: float, slot: float, room: float, caps: FitCaps, *, native: bool = True) -> FitPlan:
    """Choose the placed duration of a line whose natural-pace speech lasts ``raw_duration``.

    ``native``: the backend generates to a requested length (rung 1), so the slot itself is the
    target and the ratio ``slot / raw`` is clamped to the caps; what still exceeds the slot is
    borrowed from ``room``. Without native control, borrowing comes before stretching (rung 2
    before rung 3): a line that fits in slot + room keeps its natural pace, a longer one is
    compressed to slot + room within the caps. A line shorter than its slot is slowed toward the
    slot within the caps either way. Whatever remains is an overrun (rung 4): speech is never
    truncated, and the placed duration is always ``raw * ratio`` with the ratio inside the caps.
    """
    if raw_duration <= 0:
        raise ValueError("raw_duration must be positive")
    if native or raw_duration <= slot:
        target = slot
    elif raw_duration <= slot + room:
        target = raw_duration
    else:
        target = slot + room
    ratio = min(max(target / raw_duration, caps.min_ratio), caps.max_ratio)
    duration = raw_duration * ratio
    excess = max(0.0, duration - slot)
    borrow = min(excess, room)
    return FitPlan(raw_duration=raw_duration, duration=duration, borrow=borrow, overrun=excess - borrow, slot=slot)
