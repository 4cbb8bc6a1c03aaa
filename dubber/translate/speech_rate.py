"""How fast the target voice speaks, in syllables per second: the one home of the rate table.

The published rates are the mean syllabic rates of read speech in Pellegrino, Coupé & Marsico
(2011), "A cross-language perspective on speech information rate", Language 87(3): 539-558
(59 speakers reading the same 20 texts, long silences removed). Languages outside that study have
no published rate here; a caller passes the rate of its own voice instead, best measured from it:
``measure_rate`` turns recordings of the target voice (or of the chosen synthesizer) and their
texts into a rate, counted with the same syllable rules as the estimates it will be compared with.

>>> published_rate("es").syllables_per_second
7.82
>>> measure_rate(["uno dos tres"], [0.5], "es").syllables_per_second  # u-no dos tres
8.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dubber.translate.languages import language
from dubber.translate.syllables import count_syllables
from evaluator.errors import ConfigError

PELLEGRINO_2011 = "Pellegrino, Coupé & Marsico 2011 (Language 87(3)), mean syllabic rate of read speech"

#: ISO 639-1 -> syllables per second (source: ``PELLEGRINO_2011``).
PUBLISHED_RATES: dict[str, float] = {
    "de": 5.97,
    "en": 6.19,
    "es": 7.82,
    "fr": 7.18,
    "it": 6.99,
    "ja": 7.84,
    "vi": 5.22,
    "zh": 5.18,
}


@dataclass(frozen=True)
class SpeakingRate:
    """A speaking rate and where it comes from (recorded with every estimate made from it)."""

    syllables_per_second: float
    source: str

    def __post_init__(self) -> None:
        if not self.syllables_per_second > 0:
            raise ConfigError(f"rate must be > 0 syllables per second (got {self.syllables_per_second})")

    def to_dict(self) -> dict[str, object]:
        return {"syllables_per_second": round(self.syllables_per_second, 3), "source": self.source}


def published_rate(lang: str) -> SpeakingRate | None:
    """The published rate of ``lang``, or ``None`` when the table has none."""
    code = language(lang).code
    if code not in PUBLISHED_RATES:
        return None
    return SpeakingRate(PUBLISHED_RATES[code], PELLEGRINO_2011)


def given_rate(syllables_per_second: float) -> SpeakingRate:
    """A rate the caller states (e.g. measured from its voice elsewhere)."""
    return SpeakingRate(float(syllables_per_second), "given by the caller")


def measure_rate(texts: Sequence[str], durations: Sequence[float], lang: str) -> SpeakingRate:
    """The rate of a voice from its recordings: total syllables of ``texts`` over the total
    ``durations`` (seconds of speech, pauses trimmed)."""
    if len(texts) != len(durations) or not texts:
        raise ConfigError("measure_rate needs one duration per text, and at least one text")
    counts = [count_syllables(t, language(lang).code) for t in texts]
    if any(c is None for c in counts):
        raise ConfigError(f"cannot count syllables of {lang!r} text (its script does not write every vowel)")
    total = float(sum(durations))
    if total <= 0:
        raise ConfigError("measure_rate needs durations > 0")
    return SpeakingRate(sum(c for c in counts if c is not None) / total, f"measured on {len(texts)} recording(s)")
