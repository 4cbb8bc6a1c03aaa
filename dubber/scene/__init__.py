"""Scene reading: per line, scene type, people, who talks, and the speaker's gender, age and emotion.

Backends (``SCENE_READERS``): ``vllm`` (OpenAI-compatible server), ``transformers`` (in-process
Qwen2.5-VL-family model from a local directory), ``heuristic`` (offline, models from wheels).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dubber.scene.base import SceneClip, SceneReader, iter_clips
from dubber.scene.labels import AGE_GROUPS, EMOTIONS, GENDERS, SCENE_TYPES
from dubber.scene.parser import ResponseFormatError, format_ok, parse_response
from evaluator.project import SceneReading
from evaluator.registry import Registry
from evaluator.script import Cue

SCENE_READERS = Registry("scene reader")
SCENE_READERS.register("heuristic", "dubber.scene.heuristic:HeuristicSceneReader")
SCENE_READERS.register("vllm", "dubber.scene.vllm:VLLMSceneReader")
SCENE_READERS.register("transformers", "dubber.scene.transformers_vlm:TransformersSceneReader")


def create_reader(backend: str = "heuristic", **options: Any) -> SceneReader:
    """Build the named scene reader with its options (e.g. ``url``/``model`` for vllm)."""
    return SCENE_READERS.get(backend)(**options)


def read_scenes(
    video_path: str | os.PathLike[str],
    cues: Sequence[Cue],
    backend: str | SceneReader = "heuristic",
    *,
    progress: Callable[[], None] | None = None,
    cache_dir: Path | None = None,
    video_hash: str | None = None,
    **options: Any,
) -> list[SceneReading]:
    """Read every cue of ``video_path`` with the named backend (or a reader instance); one reading per
    cue. ``cache_dir`` and ``video_hash`` let a reader keep per-episode measurements between runs."""
    reader = backend if isinstance(backend, SceneReader) else create_reader(backend, **options)
    return reader.read_episode(video_path, cues, cache_dir=cache_dir, video_hash=video_hash, progress=progress)


__all__ = [
    "AGE_GROUPS",
    "EMOTIONS",
    "GENDERS",
    "SCENE_READERS",
    "SCENE_TYPES",
    "ResponseFormatError",
    "SceneClip",
    "SceneReader",
    "SceneReading",
    "create_reader",
    "format_ok",
    "iter_clips",
    "parse_response",
    "read_scenes",
]
