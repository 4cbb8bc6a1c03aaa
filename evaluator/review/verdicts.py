"""The reviewer's verdict file: what the review page exports and ``dubkit dub --lines-from`` reads.

A versioned JSON object (``kind`` ``dubkit.review.verdicts``, ``schema_version`` 1) that names the project it
was made for (its directory name, target language, and the input hashes of its manifest) and lists, per
line the reviewer acted on, the verdict (``approve``, ``rerender``, or none: a note only), the note, and the
line as it was reviewed (cue number, slot, text, a hash of the audio heard)::

    {"kind": "dubkit.review.verdicts", "schema_version": 1,
     "project": {"name": "ep.dubkit", "lang": "en", "video": "ep.mp4", "script": "ep.en.srt"},
     "inputs": {"video_sha256": "...", "script_sha256": "..."},
     "exported": "2025-01-01T10:00:00Z",
     "lines": [{"index": 3, "start": 4.58, "end": 5.6, "text": "...", "verdict": "rerender",
                "note": "too fast", "render": "..."}]}

:meth:`ReviewVerdicts.check` decides whether a file belongs to the episode being dubbed: the same video
(its SHA-256) and language, and every named cue in the script; when the script changed since the review
(its hash differs), every named cue must still have the slot it was reviewed at, so a renumbered script
cannot send a verdict to the wrong line.

>>> v = ReviewVerdicts.from_dict({"kind": KIND, "schema_version": 1,
...     "project": {"name": "ep.dubkit", "lang": "en"},
...     "inputs": {"video_sha256": "ab", "script_sha256": "cd"},
...     "lines": [{"index": 2, "start": 1.0, "end": 2.0, "verdict": "rerender", "note": "too fast"},
...               {"index": 5, "start": 7.0, "end": 8.5, "verdict": "approve"}]})
>>> sorted(v.rerender()), v.notes()
([2], {2: 'too fast'})
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from evaluator.errors import ConfigError, ManifestError
from evaluator.project.typed import from_json, to_json

KIND = "dubkit.review.verdicts"
SCHEMA_VERSION = 1
#: what a reviewer can decide about a line (besides writing a note)
VERDICTS = ("approve", "rerender")
#: a cue keeps its identity when its slot moved by less than this (seconds; scripts store milliseconds)
SLOT_TOLERANCE = 0.0015


@dataclass(frozen=True)
class VerdictProject:
    """The project a verdict file was made for."""

    name: str
    lang: str
    video: str = ""
    script: str = ""


@dataclass(frozen=True)
class VerdictInputs:
    """The input hashes of the project's manifest (``manifest.inputs``)."""

    video_sha256: str
    script_sha256: str


@dataclass(frozen=True)
class LineVerdict:
    """A reviewer's verdict on one line, and the line as it was reviewed."""

    index: int
    start: float
    end: float
    verdict: Literal["approve", "rerender"] | None = None
    note: str = ""
    text: str = ""
    render: str | None = None  # hash of the line audio the reviewer heard


@dataclass(frozen=True)
class ReviewVerdicts:
    """A verdict file (see the module docstring)."""

    project: VerdictProject
    inputs: VerdictInputs
    lines: tuple[LineVerdict, ...] = ()
    exported: str = ""
    kind: str = KIND
    schema_version: int = SCHEMA_VERSION

    def rerender(self) -> frozenset[int]:
        """The cue numbers the reviewer sent back for re-rendering."""
        return frozenset(v.index for v in self.lines if v.verdict == "rerender")

    def notes(self) -> dict[int, str]:
        """The reviewer's notes by cue number (blank notes left out)."""
        return {v.index: v.note.strip() for v in self.lines if v.note.strip()}

    def to_dict(self) -> dict[str, Any]:
        return to_json(self)

    @classmethod
    def from_dict(cls, data: Any, where: str = "verdicts") -> ReviewVerdicts:
        if not isinstance(data, dict) or data.get("kind") != KIND:
            kind = data.get("kind") if isinstance(data, dict) else None
            raise ConfigError(
                f"{where}: not a dubkit verdict file (kind={kind!r})",
                hint="export it from the review page that `dubkit review` builds",
            )
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ConfigError(
                f"{where}: verdict file version {data.get('schema_version')!r} is not supported "
                f"(this dubkit reads {SCHEMA_VERSION})",
                hint="upgrade dubkit",
            )
        try:
            verdicts = from_json(cls, data, where)
        except ManifestError as exc:
            raise ConfigError(exc.message, hint="export the verdicts again from the review page") from None
        seen: set[int] = set()
        for v in verdicts.lines:
            if v.index in seen:
                raise ConfigError(f"{where}: cue {v.index} is listed twice")
            seen.add(v.index)
        return verdicts

    def check(
        self,
        *,
        video_sha256: str,
        script_sha256: str,
        lang: str,
        cues: Sequence[tuple[int, float, float]],
        where: str = "verdicts",
        param: str | None = None,
    ) -> None:
        """Refuse the file unless it was made for this episode (see the module docstring); ``cues`` are the
        script's ``(index, start, end)``."""
        if video_sha256 != self.inputs.video_sha256:
            raise ConfigError(
                f"{where}: made for another episode (project {self.project.name}, video {self.project.video or '?'}"
                f" with SHA-256 {self.inputs.video_sha256[:12]}..., not {video_sha256[:12]}...)",
                hint="pass the verdicts exported from this project's review page",
                param=param,
            )
        if lang != self.project.lang:
            raise ConfigError(
                f"{where}: made for the {self.project.lang!r} dub of this video (project {self.project.name}), "
                f"not the {lang!r} one",
                hint="pass the verdicts exported from this project's review page",
                param=param,
            )
        slots = {i: (s, e) for i, s, e in cues}
        missing = sorted(v.index for v in self.lines if v.index not in slots)
        if missing:
            raise ConfigError(
                f"{where}: names cue(s) {', '.join(map(str, missing[:10]))} that the script does not have",
                hint=f"its cues are numbered {min(slots)}-{max(slots)}" if slots else "the script has no cues",
                param=param,
            )
        if script_sha256 == self.inputs.script_sha256:
            return
        moved = [
            v
            for v in self.lines
            if abs(slots[v.index][0] - v.start) > SLOT_TOLERANCE or abs(slots[v.index][1] - v.end) > SLOT_TOLERANCE
        ]
        if moved:
            v = moved[0]
            now = slots[v.index]
            raise ConfigError(
                f"{where}: the script changed since the review and cue {v.index} moved "
                f"(reviewed at {v.start:.3f}-{v.end:.3f} s, now {now[0]:.3f}-{now[1]:.3f} s)"
                + (f"; {len(moved) - 1} more cue(s) moved" if len(moved) > 1 else ""),
                hint="build a new review page for the edited script and review those lines again",
                param=param,
            )


def read_verdicts(path: str | os.PathLike[str]) -> ReviewVerdicts:
    """Read a verdict file; a file that is not one (or not this version) is a ``ConfigError`` naming it."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file", hint="download the verdicts from the review page first") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ConfigError(f"{p}: not valid JSON", hint="export the verdicts again from the review page") from None
    return ReviewVerdicts.from_dict(data, where=str(p))
