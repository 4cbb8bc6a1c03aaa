"""The ASR interface: 16 kHz mono float audio in, a transcript out (with word timings where the
backend gives them: ``transcribe_timed``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from evaluator.registry import Registry

ASR_BACKENDS = Registry("ASR backend")


@dataclass(frozen=True)
class WordTiming:
    """One recognised (or aligned) word. Times in seconds from the start of the audio given.

    ``score`` is the backend's own confidence in [0, 1] where it gives one (Whisper's word probability,
    pocketsphinx's posterior), else None; scores of different backends are not comparable.
    """

    text: str
    start: float
    end: float
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text, "start": round(self.start, 3), "end": round(self.end, 3)}
        if self.score is not None:
            d["score"] = round(self.score, 4)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WordTiming:
        score = d.get("score")
        return cls(str(d["text"]), float(d["start"]), float(d["end"]), None if score is None else float(score))

    def shifted(self, offset: float) -> WordTiming:
        return WordTiming(self.text, self.start + offset, self.end + offset, self.score)


@dataclass(frozen=True)
class TimedTranscript:
    """A transcript with its words' timings (empty ``words`` when the backend gives none)."""

    text: str
    words: tuple[WordTiming, ...] = ()


class ASRBackend(ABC):
    """One speech recogniser. Models load on first use; ``unload()`` frees them."""

    name: ClassVar[str]
    offline: ClassVar[bool]
    sample_rate: ClassVar[int] = 16000
    #: speech shorter than this (seconds) gets an unreliable WER from this recogniser; None: not measured
    reliable_from_s: ClassVar[float | None] = None

    @property
    @abstractmethod
    def model_id(self) -> str:
        """Which model transcribes (recorded beside every number derived from it)."""

    @abstractmethod
    def languages(self) -> tuple[str, ...]:
        """ISO 639-1 codes this backend transcribes; empty means any."""

    @abstractmethod
    def transcribe(self, audio: np.ndarray, lang: str = "en") -> str:
        """Transcript of ``audio`` (mono float32 at ``sample_rate``)."""

    def transcribe_timed(self, audio: np.ndarray, lang: str = "en") -> TimedTranscript:
        """Transcript of ``audio`` with word timings; backends without timings return no words."""
        return TimedTranscript(self.transcribe(audio, lang))

    def available(self) -> bool:
        return self.offline

    def unload(self) -> None:  # noqa: B027 - optional hook
        """Free the model."""
