"""What a line is spoken under: its scene reading, retrieved footage, video span, voice prompt, guidance.

These are the typed conditions of a line record (:class:`evaluator.project.record.Line`): the dubber's
stages fill them (scene reading, retrieval, planning), synthesizers read them (a formant voice reads
the reading's gender, age and emotion; F5's control branch reads all of them), and the manifest
stores them as they are.

>>> r = SceneReading(scene_type="monologue", num_people=1, speaker_on_screen_talking=True,
...                  gender="female", age="adult", emotion="joy", confidence=0.8,
...                  backend="heuristic", model="demo")
>>> SceneReading.from_dict(r.to_dict()) == r
True
>>> Conditions(reading=r).style
Style(gender='female', age='adult', emotion='joy')
>>> Guidance(text=2.0, video=1.0).scales()
{'text': 2.0, 'video': 1.0}
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluator.errors import ConfigError, ManifestError
from evaluator.project.typed import from_json, to_json

#: the tagged parts of a chain-of-thought scene reading, in order
TAGS: tuple[str, ...] = ("SUMMARY", "CAPTION", "REASONING", "CONCLUSION")
#: A voice reference (the speaker's clip from the original audio) lasts 3-10 s: F5-TTS clones best from
#: that much and dubkit cuts longer references to REFERENCE_MAX_S (transcript cut to match).
REFERENCE_MIN_S = 3.0
REFERENCE_MAX_S = 10.0
#: A single footage-library clip may serve as a line's voice prompt from this length (F5 warns under 3 s).
PROMPT_MIN_S = 1.5
#: guidance groups, outermost first (F5's nested classifier-free guidance: text, then video, then reading)
GUIDANCE_GROUPS: tuple[str, ...] = ("text", "video", "reading")


@dataclass(frozen=True)
class SceneReading:
    """One line's scene reading (the CoT stage's conclusion and its reasoning).

    ``summary``/``caption``/``reasoning``/``conclusion`` are the four tagged texts (the model's own, or
    written by the heuristic from its measurements). ``format_ok`` is the paper's format reward: the
    response had the four tags in order and conclusion values in the label sets. ``error`` is set
    when the backend gave up on the line (then the labels are the neutral defaults and confidence 0).
    ``measurements`` holds the numbers a heuristic used (face counts, correlations, F0...).
    """

    scene_type: str
    num_people: int
    speaker_on_screen_talking: bool
    gender: str
    age: str
    emotion: str
    confidence: float
    backend: str
    model: str
    summary: str = ""
    caption: str = ""
    reasoning: str = ""
    conclusion: str = ""
    format_ok: bool = True
    attempts: int = 1
    cue_index: int | None = None
    start: float | None = None
    end: float | None = None
    error: str | None = None
    measurements: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (None fields dropped), as stored in the line record."""
        return to_json(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "scene reading") -> SceneReading:
        return from_json(cls, data, where)

    def tagged_text(self) -> str:
        """The four tagged stages as one response text."""
        parts = [self.summary, self.caption, self.reasoning, self.conclusion]
        return "\n".join(f"<{t}>{p}</{t}>" for t, p in zip(TAGS, parts, strict=True))


@dataclass(frozen=True)
class Style:
    """How a non-cloning voice is acted: gender, age group and emotion (None: the backend's default)."""

    gender: str | None = None
    age: str | None = None
    emotion: str | None = None


@dataclass(frozen=True)
class Hit:
    """One retrieved clip: found through ``modality`` at ``rank`` with ``score`` under ``metric``.

    ``audio_vector`` is the clip's stored audio emotion vector (the graph's audio node); ``vector`` the
    vector of the retrieving modality when the hit carries it (training data), else it is re-encoded
    from the clip's media. ``encoder``/``audio_encoder`` name the encoders of those vectors.
    """

    modality: str
    rank: int
    id: str
    score: float
    metric: str = "cosine"
    speaker: str = "default"
    text: str = ""
    video: str | None = None
    audio: str | None = None
    start: float | None = None
    end: float | None = None
    emotion: str | None = None
    audio_vector: tuple[float, ...] | None = None
    vector: tuple[float, ...] | None = None
    encoder: str | None = None
    audio_encoder: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (None fields dropped; scores and vectors rounded to 6 decimals)."""
        d = to_json(self)
        d["score"] = round(self.score, 6)
        for key in ("audio_vector", "vector"):
            if key in d:
                d[key] = [round(x, 6) for x in d[key]]
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "hit") -> Hit:
        return from_json(cls, data, where)


@dataclass(frozen=True)
class VideoSpan:
    """A span of a video file (seconds; None: from the start / to the end)."""

    path: str
    start: float | None = None
    end: float | None = None

    def __post_init__(self) -> None:
        if not self.path:
            raise ConfigError("a video span needs a video path")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ConfigError(f"{self.path}: span ends at {self.end} s, before its start {self.start} s")


@dataclass(frozen=True)
class VoicePrompt:
    """A voice prompt picked from the footage library: a span of ``path`` with its transcript, and how
    close its emotion is to the line's (``score``, mean cosine over ``modalities``)."""

    path: str
    score: float
    start: float | None
    end: float | None
    clip_id: str
    text: str
    modalities: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = to_json(self)
        d["score"] = round(self.score, 6)
        return d

    def write_wav(self, dest: str | os.PathLike[str], sr: int = 24000) -> Path:
        """Cut the span to a mono WAV (atomic) for synthesizers that take a file."""
        from evaluator.media import load_audio, write_wav

        write_wav(dest, load_audio(self.path, sr, start=self.start, end=self.end), sr)
        return Path(dest)


@dataclass(frozen=True)
class Guidance:
    """Classifier-free guidance scale per condition group (None: the synthesizer's default)."""

    text: float | None = None
    video: float | None = None
    reading: float | None = None

    def scales(self) -> dict[str, float]:
        """The scales that are set, by group."""
        return {g: float(v) for g in GUIDANCE_GROUPS if (v := getattr(self, g)) is not None}

    @classmethod
    def of(cls, scales: dict[str, float]) -> Guidance:
        unknown = set(scales) - set(GUIDANCE_GROUPS)
        if unknown:
            raise ConfigError(
                f"unknown guidance group(s) {', '.join(sorted(unknown))}", hint=f"use {', '.join(GUIDANCE_GROUPS)}"
            )
        return cls(**{k: float(v) for k, v in scales.items()})


@dataclass(frozen=True)
class Conditions:
    """Everything a line is spoken under besides its text and voice (see the module docstring)."""

    reading: SceneReading | None = None
    hits: tuple[Hit, ...] = ()
    video_span: VideoSpan | None = None
    voice_prompt: VoicePrompt | None = None
    guidance: Guidance = field(default_factory=Guidance)

    @property
    def style(self) -> Style:
        """The acting a non-cloning voice takes from the scene reading; empty for none or a failed one
        (the voice keeps its defaults rather than act on a guess)."""
        r = self.reading
        if r is None or r.error is not None:
            return Style()
        return Style(gender=r.gender, age=r.age, emotion=r.emotion)

    def to_dict(self) -> dict[str, Any]:
        return to_json(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "conditions") -> Conditions:
        try:
            return from_json(cls, data, where)
        except ConfigError as exc:  # a video span that cannot be
            raise ManifestError(f"{where}: {exc}") from None
