"""The synthesizer contract every backend fills in: a batch of requests in, one speech per request out.

A request asks for a text in a language, optionally in the voice of a reference clip, at a
duration, under a line's typed conditions (scene reading, retrieved footage, video span, guidance).
``synthesize_many`` is the contract; one line is a batch of one (:meth:`Synthesizer.synthesize`).
Backends that cannot control length ignore ``duration``; the duration ladder
(:mod:`dubber.fitting`) then time-stretches within its caps. Each backend declares its options
(:class:`evaluator.options.Option`); :func:`dubber.synth.create_synthesizer` checks and converts them.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from evaluator.errors import ConfigError
from evaluator.options import Option
from evaluator.project import Conditions

#: seconds of silence a trimmed take keeps before its first and after its last sound
TRIM_KEEP_S = 0.02


@dataclass(frozen=True)
class VoiceReference:
    """A clip of the original speaker, for cloning backends (and pitch matching)."""

    path: Path
    transcript: str | None = None
    median_f0: float | None = None


@dataclass(frozen=True)
class Precomputed:
    """Conditions already encoded (training data, tests): a control branch uses them instead of
    encoding the line's video span and retrieved hits."""

    video_features: np.ndarray | None = None  # [frames, dim] at any frame rate
    emotion_knowledge: tuple[np.ndarray, ...] | None = None  # one [nodes, dim] array per graph stage


@dataclass(frozen=True)
class SynthRequest:
    """One synthesis: ``text`` in ``lang`` with ``seed``; ``duration`` (seconds) is a target for backends
    that control length (None: the natural pace): the length of the take once its leading and
    trailing silence are trimmed (keeping ``TRIM_KEEP_S`` at each end)."""

    text: str
    lang: str
    seed: int = 0
    duration: float | None = None
    voice: VoiceReference | None = None
    conditions: Conditions = field(default_factory=Conditions)
    precomputed: Precomputed | None = None
    speaker_voice: str | None = None  # the synthesizer's own voice for the line's speaker (assign_voices)
    pitch_hz: float | None = None  # median F0 to speak at, for synthesizers that control pitch

    def at(self, duration: float | None) -> SynthRequest:
        """The same request at another duration."""
        return dataclasses.replace(self, duration=duration)


@dataclass(frozen=True)
class Speech:
    """Synthesized audio: mono float32 at ``sr`` Hz, and what the backend reports about it."""

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
    #: True when the voice follows the request's ``voice`` reference
    clones_voice: ClassVar[bool] = False
    #: True when ``pitch_hz`` is honoured natively (espeak's pitch); else the fit moves the pitch
    controls_pitch: ClassVar[bool] = False
    #: the options the constructor takes (keyword arguments of the same names)
    options: ClassVar[tuple[Option, ...]] = ()
    #: True when the same request (text, seed, options) gives the same audio
    reproducible: ClassVar[bool] = True
    #: True when :meth:`natural_durations` predicts a take's natural length without synthesizing it
    #: (the render stage then synthesizes each line once, at its planned length)
    predicts_length: ClassVar[bool] = False

    @property
    @abc.abstractmethod
    def model_id(self) -> str:
        """Identifies the model and voice, for manifests and reports."""

    @abc.abstractmethod
    def languages(self) -> list[str]:
        """Language codes this backend can speak."""

    @abc.abstractmethod
    def synthesize_many(self, requests: Sequence[SynthRequest]) -> list[Speech]:
        """Speak every request; one speech per request, in order. Backends that batch (F5 on a GPU)
        generate requests of similar length together; the others go one by one."""

    def natural_durations(self, requests: Sequence[SynthRequest]) -> list[float]:
        """The trimmed length (seconds, as ``SynthRequest.duration`` counts it) each request would have
        at its natural pace, predicted without synthesizing; only where ``predicts_length``."""
        raise NotImplementedError(f"the {self.name} synthesizer does not predict durations")

    def assign_voices(
        self,
        genders: Mapping[str, str | None],
        given: Mapping[str, str],
        *,
        references: Mapping[str, Path] | None = None,
        lang: str = "en",
    ) -> dict[str, str | None]:
        """Each speaker's voice among the synthesizer's own (``SynthRequest.speaker_voice``): ``given``
        (speaker -> voice, checked), else the synthesizer's pick from the speaker's gender (``male``,
        ``female`` or None when unknown) and reference clip (``references``: speaker -> wav), for
        text in ``lang``; None is the default voice. A synthesizer without voices of its own refuses
        ``given``."""
        if given:
            raise ConfigError(
                f"the {self.name} synthesizer has no per-speaker voices (given for {', '.join(sorted(given))})",
                hint="per-speaker voices are piper voice files or espeak variants",
                param="voices",
            )
        return {name: None for name in genders}

    def synthesize(self, request: SynthRequest) -> Speech:
        """One request (a batch of one)."""
        return self.synthesize_many([request])[0]

    def supports(self, lang: str) -> bool:
        """True when ``lang`` (e.g. ``en``, ``en-US``, ``hi``) is spoken by this backend."""
        langs = {code.lower() for code in self.languages()}
        lang = lang.lower()
        return lang in langs or lang.split("-")[0] in langs

    def describe(self) -> dict[str, Any]:
        """Backend and model, as recorded with every line."""
        return {"backend": self.name, "model": self.model_id}

    @property
    def reads_conditions(self) -> bool:
        """True when the output depends on the line's full conditions (video span, hits, reading),
        not only on the style a scene reading gives (a trained F5 control branch)."""
        return False

    def guidance_options(self) -> list[dict[str, float]]:
        """Guidance settings the generate-score loop's candidates cycle through ([{}]: none to vary)."""
        return [{}]

    def load(self) -> None:  # noqa: B027 - optional hook
        """Load the default model now rather than on the first request (the dub run loads it while it
        reads the episode); safe to skip: every request loads what it needs."""

    def unload(self) -> None:  # noqa: B027 - optional hook
        """Free loaded models (for GPU memory); the next call loads them again."""


def check_voice_speakers(speakers: Iterable[str], given: Mapping[str, str]) -> None:
    """Refuse per-speaker voices given for speakers the script does not have."""
    known = set(speakers)
    unknown = sorted(set(given) - known)
    if unknown:
        raise ConfigError(
            f"voices names speaker(s) {', '.join(unknown)} that the script does not have",
            hint=f"its speakers are {', '.join(sorted(known))}",
            param="voices",
        )
