"""The dub project manifest: typed, versioned, written atomically.

It lives in the lowest layer because both sides use it: the dubber writes it, the evaluator scores
a project from it. A project directory holds ``manifest.json`` and the files it names (relative
paths).

>>> m = Manifest(video="ep1.mp4", script="ep1.en.srt", lang="en")
>>> m.lines.append(Line(index=1, start=1.0, end=2.5, text="Hello.", speaker="ANNA"))
>>> Manifest.from_dict(m.to_dict()).lines[0].text
'Hello.'
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluator.errors import ManifestError
from evaluator.fileio import write_json

SCHEMA_VERSION = 1
KIND = "dubkit.project"
MANIFEST_NAME = "manifest.json"


def _drop_none(value: Any) -> Any:
    """Drop ``None`` fields; non-finite floats (a measurement that could not be made) become ``None``
    inside lists and are dropped as fields, so the file stays strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        out = {k: _drop_none(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_none(v) for v in value]
    return value


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


@dataclass
class Candidate:
    """One drawn candidate of a line (generate-score loop)."""

    seed: int
    params: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    chosen: bool = False
    audio: str | None = None


@dataclass
class Line:
    """One line of the episode and everything known about its rendering."""

    index: int
    start: float
    end: float
    text: str
    speaker: str = "default"
    source_text: str | None = None
    lang: str | None = None
    input_hash: str | None = None
    synth: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    seed: int = 0
    audio: str | None = None
    fit: Fit | None = None
    reference: str | None = None
    scene_reading: dict[str, Any] | None = None
    retrieved: list[dict[str, Any]] | None = None
    scores: dict[str, Any] | None = None
    candidates: list[Candidate] | None = None
    annotation_keys: dict[str, str] | None = None  # what each cached annotation was computed from
    status: str = "pending"  # pending | done | failed
    error: str | None = None

    @property
    def slot(self) -> float:
        return self.end - self.start

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Line:
        d = dict(d)
        if d.get("fit") is not None:
            d["fit"] = Fit(**d["fit"])
        if d.get("candidates") is not None:
            d["candidates"] = [Candidate(**c) for c in d["candidates"]]
        return cls(**d)


@dataclass
class Speaker:
    """A speaker of the episode and the reference clip picked from the original audio."""

    name: str
    reference: str | None = None
    reference_duration: float | None = None
    reference_segments: list[list[float]] | None = None
    reference_transcript: str | None = None
    median_f0: float | None = None
    input_hash: str | None = None
    note: str | None = None


@dataclass
class Manifest:
    """Top level of ``manifest.json``."""

    video: str
    script: str
    lang: str
    inputs: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    speakers: dict[str, Speaker] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    mix: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    kind: str = KIND

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Manifest:
        if d.get("kind") != KIND:
            raise ManifestError(f"not a dubkit project manifest (kind={d.get('kind')!r})")
        version = d.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ManifestError(
                f"manifest schema version {version} is not supported (this dubkit reads {SCHEMA_VERSION})",
                hint="upgrade dubkit",
            )
        d = dict(d)
        d["speakers"] = {k: Speaker(**v) for k, v in d.get("speakers", {}).items()}
        d["lines"] = [Line.from_dict(x) for x in d.get("lines", [])]
        try:
            return cls(**d)
        except TypeError as exc:
            raise ManifestError(f"invalid manifest: {exc}") from None

    def line(self, index: int) -> Line:
        for line in self.lines:
            if line.index == index:
                return line
        raise KeyError(index)


def manifest_path(project: str | os.PathLike[str]) -> Path:
    p = Path(project)
    return p if p.name == MANIFEST_NAME else p / MANIFEST_NAME


def load_manifest(project: str | os.PathLike[str]) -> Manifest:
    """Load ``manifest.json`` from a project directory (or the file itself)."""
    path = manifest_path(project)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{path}: no such manifest", hint="is this a dubkit project directory?") from None
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return Manifest.from_dict(data)


def save_manifest(project: str | os.PathLike[str], manifest: Manifest) -> None:
    """Write ``manifest.json`` atomically."""
    write_json(manifest_path(project), manifest.to_dict())
