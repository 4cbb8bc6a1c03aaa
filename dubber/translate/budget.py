"""The length budget of a line: how long its translation may take to say.

A line's slot is ``end - start``. Spoken at the target voice's rate, a wording of ``n`` syllables
lasts ``n / rate`` seconds at natural pace. The dubber's duration ladder can compress speech to
``min_ratio`` of its natural length at most (``dubber.fitting.FitCaps``: placed / natural >=
``min_ratio``), so the longest wording that still fits the slot lasts ``slot / min_ratio`` at
natural pace. A wording over that needs more than the stretch cap: it is too long. (Borrowed
silence after the cue is not counted: the budget is the slot itself.)

>>> from dubber.translate.speech_rate import SpeakingRate
>>> b = LengthBudget(slot=2.0, rate=SpeakingRate(6.0, "demo"), min_ratio=0.8)
>>> b.target_syllables, b.max_syllables, b.max_seconds
(12, 15, 2.5)
>>> b.check("one two three four five six seven eight nine ten eleven twelve thirteen", "en").fits
False
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dubber.translate.speech_rate import SpeakingRate
from dubber.translate.syllables import count_syllables


def default_min_ratio() -> float:
    """The dubber's default speed-up cap (``FitCaps().min_ratio``), read from its one home."""
    from dubber.fitting import FitCaps

    return FitCaps().min_ratio


@dataclass(frozen=True)
class LengthCheck:
    """A wording's estimated spoken length against its budget."""

    syllables: int | None
    seconds: float | None
    max_seconds: float
    fits: bool | None  # None: the length could not be estimated (see syllables.count_syllables)

    def to_dict(self) -> dict[str, object]:
        return {
            "syllables": self.syllables,
            "estimated_s": None if self.seconds is None else round(self.seconds, 3),
            "max_s": round(self.max_seconds, 3),
            "fits": self.fits,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LengthCheck:
        return cls(d.get("syllables"), d.get("estimated_s"), float(d["max_s"]), d.get("fits"))


@dataclass(frozen=True)
class LengthBudget:
    """The slot of one line, the target voice's rate and the dubber's speed-up cap."""

    slot: float
    rate: SpeakingRate
    min_ratio: float

    @property
    def max_seconds(self) -> float:
        return self.slot / self.min_ratio

    @property
    def target_syllables(self) -> int:
        """Syllables that fill the slot at natural pace."""
        return max(1, round(self.slot * self.rate.syllables_per_second))

    @property
    def max_syllables(self) -> int:
        """Most syllables that still fit the slot within the speed-up cap."""
        return max(1, math.floor(self.max_seconds * self.rate.syllables_per_second + 1e-9))

    def check(self, text: str, lang: str) -> LengthCheck:
        n = count_syllables(text, lang)
        if n is None:
            return LengthCheck(None, None, self.max_seconds, None)
        seconds = n / self.rate.syllables_per_second
        return LengthCheck(n, seconds, self.max_seconds, seconds <= self.max_seconds + 1e-9)

    def to_dict(self) -> dict[str, object]:
        return {
            "slot_s": round(self.slot, 3),
            "rate": self.rate.to_dict(),
            "min_ratio": self.min_ratio,
            "target_syllables": self.target_syllables,
            "max_syllables": self.max_syllables,
            "max_s": round(self.max_seconds, 3),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LengthBudget:
        rate = SpeakingRate(float(d["rate"]["syllables_per_second"]), str(d["rate"]["source"]))
        return cls(slot=float(d["slot_s"]), rate=rate, min_ratio=float(d["min_ratio"]))
