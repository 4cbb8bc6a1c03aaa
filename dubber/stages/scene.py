"""The scene-reading stage (chain of thought): each line's scene type, speaker gender, age and emotion.

Each reading is keyed by what it depends on (the video, the line's span and speaker, the spans of
the speaker's other lines (a named speaker's voice is measured over all of them), the backend and
its options); a re-run reuses every reading whose key is unchanged, so only edited lines are read
again. Readers that measure the episode once keep those measurements in the project's
``analysis/`` folder (keyed by the video's hash and their parameters).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dubber.stages.episode import Episode
from evaluator.fileio import stable_hash
from evaluator.project import Line, SceneReading
from evaluator.script import DEFAULT_SPEAKER, Cue

KEY = "scene_reading"


def previous_annotations(episode: Episode, kind: str) -> dict[str, Line]:
    """The previous run's lines by the key of their ``kind`` annotation."""
    lines = episode.previous.lines if episode.previous else []
    return {line.annotation_keys[kind]: line for line in lines if kind in line.annotation_keys}


ANALYSIS_DIR = "analysis"


def reading_key(
    episode: Episode, line: Line, backend: str, options: Mapping[str, Any], voice: Sequence[tuple[float, float]] = ()
) -> str:
    """What a line's reading depends on; ``voice``: the spans of the named speaker's lines."""
    opts = {k: str(v) for k, v in sorted(options.items())}
    return stable_hash(
        {
            "video": episode.video_hash,
            "span": [line.start, line.end],
            "speaker": line.speaker,
            "voice": [list(s) for s in voice],
            "backend": backend,
            "options": opts,
        }
    )


def read_scenes(
    episode: Episode,
    lines: Sequence[Line],
    backend: str,
    options: Mapping[str, Any],
    progress: Callable[[], None] | None = None,
) -> list[Line]:
    """``lines`` with ``conditions.reading`` set, reading only the lines not read before."""
    from dubber.scene import read_scenes as read_clips

    cached = previous_annotations(episode, KEY)
    spans: dict[str, list[tuple[float, float]]] = {}
    for line in lines:
        if line.speaker != DEFAULT_SPEAKER:
            spans.setdefault(line.speaker, []).append((line.start, line.end))
    keys = [reading_key(episode, line, backend, options, sorted(spans.get(line.speaker, []))) for line in lines]
    readings: dict[str, SceneReading] = {
        k: cached[k].conditions.reading for k in keys if k in cached and cached[k].conditions.reading is not None
    }
    todo = [(line, k) for line, k in zip(lines, keys, strict=True) if k not in readings]
    if todo:
        cues = [Cue(ln.index, ln.start, ln.end, ln.text, ln.speaker) for ln, _ in todo]
        found = read_clips(
            episode.config.video,
            cues,
            backend,
            progress=progress,
            cache_dir=episode.project / ANALYSIS_DIR,
            video_hash=episode.video_hash,
            **options,
        )
        for (_, key), reading in zip(todo, found, strict=True):
            readings[key] = reading
    return [
        dataclasses.replace(
            line,
            conditions=dataclasses.replace(line.conditions, reading=readings[k]),
            annotation_keys={**line.annotation_keys, KEY: k},
        )
        for line, k in zip(lines, keys, strict=True)
    ]
