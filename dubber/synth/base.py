"""The synthesizer interface every backend fills in.

A backend turns text in a language into speech, optionally in the voice of a reference clip and
at a requested duration. Backends that cannot control length ignore ``duration``; the duration
ladder (:mod:`dubber.fitting`) then time-stretches within its caps.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np


@dataclass(frozen=True)
class VoiceReference:
    """A clip of the original speaker, for cloning backends (and pitch matching)."""

    path: Path
    transcript: str | None = None
    median_f0: float | None = None


@dataclass(frozen=True)
class Speech:
    """Synthesized audio: mono float32 at ``sr`` Hz."""

    audio: np.ndarray
    sr: int
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sr


class Synthesizer(abc.ABC):
    """Base class of the synthesizer backends (registered in ``dubber.synth.SYNTHESIZERS``)."""

    #: registry name
    name: ClassVar[str]
    #: True when ``duration`` is honoured natively (piper length_scale, espeak rate, F5 total frames)
    controls_length: ClassVar[bool] = False
    #: True when the voice follows ``reference``
    clones_voice: ClassVar[bool] = False

    @property
    @abc.abstractmethod
    def model_id(self) -> str:
        """Identifies the model and voice, for manifests and reports."""

    @abc.abstractmethod
    def languages(self) -> list[str]:
        """Language codes this backend can speak."""

    @abc.abstractmethod
    def synthesize(
        self,
        text: str,
        lang: str,
        *,
        reference: VoiceReference | None = None,
        duration: float | None = None,
        seed: int = 0,
        style: dict[str, Any] | None = None,
    ) -> Speech:
        """Speak ``text``; ``duration`` (seconds) is a target for backends that control length.

        ``style`` carries optional conditions (a scene reading's gender, age, emotion) that a
        backend may use; unknown keys are ignored.
        """

    def supports(self, lang: str) -> bool:
        """True when ``lang`` (e.g. ``en``, ``en-US``, ``hi``) is spoken by this backend."""
        langs = {code.lower() for code in self.languages()}
        lang = lang.lower()
        return lang in langs or lang.split("-")[0] in langs

    def describe(self) -> dict[str, Any]:
        """Backend and model, as recorded with every line."""
        return {"backend": self.name, "model": self.model_id}

    def unload(self) -> None:  # noqa: B027 - optional hook
        """Free loaded models (for GPU memory); the next call loads them again."""
