"""The line record: one line of an episode and everything known about how it was dubbed.

A line enters the pipeline as its script cue (index, slot, text, speaker) and leaves it with the
same record filled in stage by stage: ``conditions`` (scene reading, retrieved footage, video span,
voice prompt, guidance), ``plan`` (the input hash that decides reuse, seed, borrowable room, the
synthesizer), ``takes`` (each synthesis: natural pace, then fitted), ``fit`` (how it sits in its slot),
``candidates`` and ``score`` (the generate-score loop). The manifest stores the record as it is.

>>> line = Line(index=3, start=1.0, end=2.5, text="Hello.", speaker="ANNA")
>>> Line.from_dict(line.to_dict()) == line
True
>>> Line.from_dict({"index": 3, "start": 1.0, "end": 2.5, "text": "Hi", "colour": "red"})
Traceback (most recent call last):
...
evaluator.errors.ManifestError: line 3: unknown key 'colour' (expected index, start, end, text, speaker, lang, \
source_text, source_words, translation, conditions, annotation_keys, plan, takes, fit, audio, candidates, score, \
status, error, notes)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from evaluator.asr.base import WordTiming
from evaluator.project.conditions import Conditions, Guidance
from evaluator.project.typed import from_json, to_json

Status = Literal["pending", "done", "failed"]


@dataclass
class Fit:
    """How a line was fitted to its slot (seconds and ratios; see DESIGN.md, the duration ladder)."""

    raw_duration: float
    duration: float
    ratio: float
    placed_start: float
    placed_end: float
    error_ms: float
    borrow_ms: float
    overrun_ms: float
    native_ratio: float = 1.0
    stretch_ratio: float = 1.0
    pitch_shift_semitones: float = 0.0
    formant_shift_semitones: float = 0.0


@dataclass
class Take:
    """One synthesis of a line: at the synthesizer's natural pace, or asked for a duration (fitted)."""

    pace: Literal["natural", "fitted"]
    duration: float  # seconds of speech, leading and trailing silence trimmed
    requested: float | None = None  # the duration asked for (fitted takes)
    info: dict[str, Any] = field(default_factory=dict)  # what the backend reports (length scale, frames, ...)


@dataclass
class Candidate:
    """One drawn candidate of a line (generate-score loop)."""

    seed: int
    round: int = 0
    guidance: Guidance = field(default_factory=Guidance)
    score: float | None = None
    scores: dict[str, Any] = field(default_factory=dict)
    chosen: bool = False
    passed: bool | None = None  # against the loop's minimum score, when one is set
    audio: str | None = None
    fit: Fit | None = None


@dataclass
class LineScore:
    """The chosen candidate's score: its value, the scorer (and model) that gave it, and the loop's outcome."""

    value: float
    scorer: str
    passed: bool
    rounds: int
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class LineTranslation:
    """How the line's text was translated from ``source_text``: backend, model and prompt version, the
    first wording when a re-ask replaced it, the length check against the slot's budget, the glossary
    check, and ``edited`` when a person changed the translation by hand afterwards."""

    backend: str
    model: str
    target_lang: str
    prompt_version: str | None = None
    source_lang: str | None = None
    first_wording: str | None = None
    revisions: list[dict[str, Any]] = field(default_factory=list)
    budget: dict[str, Any] | None = None
    length: dict[str, Any] | None = None
    glossary_terms: list[str] = field(default_factory=list)
    glossary_lost: list[str] = field(default_factory=list)
    edited: bool = False


@dataclass
class Plan:
    """How the line is rendered, and ``input_hash``: the hash of all its audio depends on (the reuse key)."""

    input_hash: str
    seed: int
    room: float  # seconds of silence after the cue the line may borrow
    synth: dict[str, Any]  # backend, model and its settings
    reference: str | None = None  # the voice reference file, relative to the project
    reference_transcript: str | None = None
    match_pitch_to: float | None = None  # Hz, for non-cloning voices moved toward the speaker
    voice: str | None = None  # the synthesizer's own voice for the speaker (a piper voice, an espeak variant)
    candidates: int = 1
    min_score: float | None = None
    retake: int = 0  # how many times the line was sent back for a new take (--lines, review verdicts)


@dataclass
class Line:
    """One line of the episode (see the module docstring)."""

    index: int  # the cue's own number in the script
    start: float
    end: float
    text: str
    speaker: str = "default"
    lang: str | None = None
    source_text: str | None = None
    source_words: list[WordTiming] = field(default_factory=list)  # the source speech's words (transcription)
    translation: LineTranslation | None = None
    conditions: Conditions = field(default_factory=Conditions)
    annotation_keys: dict[str, str] = field(default_factory=dict)  # what each cached annotation was made from
    plan: Plan | None = None
    takes: list[Take] = field(default_factory=list)
    fit: Fit | None = None
    audio: str | None = None
    candidates: list[Candidate] = field(default_factory=list)
    score: LineScore | None = None
    status: Status = "pending"
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # reviewers' notes

    @property
    def slot(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return to_json(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Line:
        where = f"line {data.get('index', '?')}" if isinstance(data, dict) else "line"
        return from_json(cls, data, where)
