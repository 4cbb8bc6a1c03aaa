"""The dub project manifest: typed, versioned, written atomically.

It lives in the lowest layer because both sides use it: the dubber writes it, the evaluator scores
a project from it. A project directory holds ``manifest.json`` and the files it names (relative
paths). Version 2 stores each line as the line record (:mod:`evaluator.project.record`); version 1
files are upgraded on load by :func:`migrate_v1_to_v2`.

>>> from evaluator.project.record import Line
>>> m = Manifest(video="ep1.mp4", script="ep1.en.srt", lang="en")
>>> m.lines.append(Line(index=1, start=1.0, end=2.5, text="Hello.", speaker="ANNA"))
>>> Manifest.from_dict(m.to_dict()).lines[0].text
'Hello.'
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluator.errors import ManifestError
from evaluator.fileio import write_json
from evaluator.project.record import Line
from evaluator.project.typed import from_json, to_json

SCHEMA_VERSION = 2
KIND = "dubkit.project"
MANIFEST_NAME = "manifest.json"


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
    voice: str | None = None  # the synthesizer's own voice assigned to the speaker (Synthesizer.assign_voices)


@dataclass
class FileStamp:
    """A file a run wrote, as it was when the run finished (size and modification time, not a hash:
    hashing a feature-length video would take longer than the check it saves)."""

    path: str
    size: int
    mtime_ns: int


@dataclass
class RunStamp:
    """The last completed run: the key of everything its outputs depend on, and the files it wrote. A
    re-run with the same key whose files are untouched has nothing to do."""

    key: str
    files: list[FileStamp] = field(default_factory=list)


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
    run: RunStamp | None = None
    schema_version: int = SCHEMA_VERSION
    kind: str = KIND

    def to_dict(self) -> dict[str, Any]:
        return to_json(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "manifest") -> Manifest:
        if not isinstance(d, dict) or d.get("kind") != KIND:
            kind = d.get("kind") if isinstance(d, dict) else None
            raise ManifestError(f"{where}: not a dubkit project manifest (kind={kind!r})")
        version = d.get("schema_version")
        if version == 1:
            d = migrate_v1_to_v2(d)
        elif version != SCHEMA_VERSION:
            raise ManifestError(
                f"{where}: manifest schema version {version} is not supported "
                f"(this dubkit reads 1 and {SCHEMA_VERSION})",
                hint="upgrade dubkit",
            )
        lines = d.get("lines", [])
        if not isinstance(lines, list):
            raise ManifestError(f"{where}: 'lines' must be a list")
        body = {k: v for k, v in d.items() if k != "lines"}
        manifest = from_json(cls, body, where)
        try:
            manifest.lines = [Line.from_dict(x) for x in lines]
        except ManifestError as exc:
            raise ManifestError(f"{where}: {exc.message}", hint=exc.hint or "fix or remove that line") from None
        return manifest

    def line(self, index: int) -> Line:
        for line in self.lines:
            if line.index == index:
                return line
        raise KeyError(index)


def migrate_v1_to_v2(d: dict[str, Any]) -> dict[str, Any]:
    """Upgrade a version-1 manifest: the free ``params``/``scene_reading``/``retrieved`` fields of each
    line become the record's typed ``conditions`` and ``plan``; candidates keep seed, guidance, round and
    scores. A v1 line's input hash is kept but will not match a v2 run (the hash covers more), so a
    re-run renders every line again; readings and retrievals are reused by their annotation keys."""
    out = {**d, "schema_version": 2, "lines": []}
    for old in d.get("lines", []):
        if not isinstance(old, dict):
            raise ManifestError("manifest (v1): each line must be an object")
        params = old.get("params") or {}
        line = {k: old[k] for k in ("index", "start", "end", "text", "speaker", "lang", "source_text") if k in old}
        line.update({k: old[k] for k in ("audio", "fit", "status", "error", "annotation_keys") if old.get(k)})
        conditions: dict[str, Any] = {}
        if old.get("scene_reading"):
            conditions["reading"] = old["scene_reading"]
        if old.get("retrieved"):
            conditions["hits"] = old["retrieved"]
        if params.get("voice_prompt"):
            conditions["voice_prompt"] = params["voice_prompt"]
        line["conditions"] = conditions
        if old.get("input_hash"):
            line["plan"] = {
                "input_hash": old["input_hash"],
                "seed": old.get("seed", 0),
                "room": 0.0,  # v1 did not record it
                "synth": old.get("synth") or {},
                "reference": old.get("reference"),
            }
        info = {k: v for k, v in params.items() if k not in ("style", "voice_prompt")}
        if old.get("fit"):
            line["takes"] = [{"pace": "natural", "duration": old["fit"]["raw_duration"], "info": info}]
        cands = []
        for c in old.get("candidates") or []:
            p = c.get("params") or {}
            cands.append(
                {
                    "seed": c["seed"],
                    "round": p.get("round", 0),
                    "guidance": p.get("guidance") or {},
                    "score": c.get("score"),
                    "scores": c.get("scores") or {},
                    "chosen": bool(c.get("chosen")),
                    "passed": p.get("passed"),
                    "audio": c.get("audio"),
                }
            )
        line["candidates"] = cands
        scores = old.get("scores")
        if scores and "candidate_score" in scores:
            extra = {k: v for k, v in scores.items() if k not in ("candidate_score", "scorer", "passed", "rounds")}
            line["score"] = {
                "value": scores["candidate_score"],
                "scorer": scores.get("scorer", "?"),
                "passed": bool(scores.get("passed", True)),
                "rounds": int(scores.get("rounds", 1)),
                "details": extra,
            }
        out["lines"].append({k: v for k, v in line.items() if v is not None})
    return out


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
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" ({exc.msg} at line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise ManifestError(f"{path}: not valid JSON{where}") from None
    return Manifest.from_dict(data, where=str(path))


def save_manifest(project: str | os.PathLike[str], manifest: Manifest) -> None:
    """Write ``manifest.json`` atomically."""
    write_json(manifest_path(project), manifest.to_dict())
