"""Per-line annotations made before rendering, cached in the manifest.

- scene readings (``dubber.scene``: the CoT stage), which become the synthesizer's ``style``;
- retrieved reference footage (``retrieval``: top-K emotionally similar clips per modality), and
  for cloning synthesizers an emotion-matched voice prompt per line;
- source-language text from a source script (matched by time overlap), used as the transcript of
  voice references.

Each annotation is keyed by what it depends on; a re-run reuses every annotation whose key is
unchanged, so only edited lines are read or retrieved again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evaluator.fileio import stable_hash
from evaluator.manifest import Line, Manifest
from evaluator.script import Cue

log = logging.getLogger(__name__)


def _cached(previous: Manifest | None, kind: str) -> dict[str, Any]:
    """Annotations of ``kind`` in the previous manifest, by key."""
    out: dict[str, Any] = {}
    for line in previous.lines if previous else []:
        key = (line.annotation_keys or {}).get(kind)
        if key is None:
            continue
        if kind == "scene_reading" and line.scene_reading is not None:
            out[key] = line.scene_reading
        elif kind == "retrieved" and line.retrieved is not None:
            out[key] = {"retrieved": line.retrieved, "prompt": (line.params or {}).get("voice_prompt")}
    return out


def scene_readings(
    video: Path,
    video_hash: str,
    cues: Sequence[Cue],
    backend: str,
    options: dict[str, Any],
    previous: Manifest | None,
    progress: Callable[[], None] | None = None,
) -> dict[int, tuple[str, dict[str, Any]]]:
    """``{cue index: (key, reading dict)}`` for every cue, reading only those not cached."""
    from dubber.scene import read_scenes

    cache = _cached(previous, "scene_reading")
    opts = {k: str(v) for k, v in sorted(options.items())}
    keys = {
        c.index: stable_hash(
            {"video": video_hash, "span": [c.start, c.end], "speaker": c.speaker, "backend": backend, "options": opts}
        )
        for c in cues
    }
    todo = [c for c in cues if keys[c.index] not in cache]
    if todo:
        readings = read_scenes(video, todo, backend, progress=progress, **options)
        for cue, reading in zip(todo, readings, strict=True):
            cache[keys[cue.index]] = reading.to_dict()
    return {c.index: (keys[c.index], cache[keys[c.index]]) for c in cues}


def retrievals(
    library_path: Path,
    video: Path,
    video_hash: str,
    cues: Sequence[Cue],
    source_text: dict[int, str],
    *,
    k: int,
    same_speaker: bool,
    voice_prompts: bool,
    previous: Manifest | None,
) -> dict[int, tuple[str, dict[str, Any]]]:
    """``{cue index: (key, {"retrieved": hits, "prompt": voice prompt dict or None})}``."""
    from retrieval import FootageLibrary, annotate_lines

    library = FootageLibrary.open(library_path)
    cache = _cached(previous, "retrieved")
    lib_id = stable_hash(json.loads(json.dumps(library.info(), default=str)))
    keys = {
        c.index: stable_hash(
            {
                "video": video_hash,
                "span": [c.start, c.end],
                "text": c.text,
                "source": source_text.get(c.index),
                "speaker": c.speaker,
                "library": lib_id,
                "k": k,
                "same_speaker": same_speaker,
                "prompts": voice_prompts,
            }
        )
        for c in cues
    }
    todo = [c for c in cues if keys[c.index] not in cache]
    if todo:
        scratch = Manifest(video=str(video), script="", lang="")
        scratch.lines = [
            Line(
                index=c.index,
                start=c.start,
                end=c.end,
                text=c.text,
                speaker=c.speaker,
                source_text=source_text.get(c.index),
            )
            for c in todo
        ]
        prompts = annotate_lines(library, scratch, video, k=k, same_speaker=same_speaker, voice_prompts=voice_prompts)
        for line in scratch.lines:
            prompt = prompts.get(line.index)
            cache[keys[line.index]] = {
                "retrieved": line.retrieved or [],
                "prompt": prompt.to_dict() if prompt is not None else None,
            }
    return {c.index: (keys[c.index], cache[keys[c.index]]) for c in cues}


def match_source_text(cues: Sequence[Cue], source: Sequence[Cue]) -> dict[int, str]:
    """Source-language text per target cue: the source cues overlapping it most, joined in order."""
    out: dict[int, str] = {}
    for cue in cues:
        overlaps = [(min(cue.end, s.end) - max(cue.start, s.start), s) for s in source]
        hits = sorted((s for ov, s in overlaps if ov > 0.5 * min(cue.duration, s.duration)), key=lambda s: s.start)
        if hits:
            out[cue.index] = " ".join(s.text for s in hits)
    return out
