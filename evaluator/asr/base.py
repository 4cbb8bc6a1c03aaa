"""The ASR interface: 16 kHz mono float audio in, a transcript out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from evaluator.registry import Registry

ASR_BACKENDS = Registry("ASR backend")


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

    def available(self) -> bool:
        return self.offline

    def unload(self) -> None:  # noqa: B027 - optional hook
        """Free the model."""
