"""The retrieval stage: each line's emotionally similar clips from the footage library, and for
cloning synthesizers an emotion-matched voice prompt among the speaker's clean clips.

Keyed like the scene readings (:mod:`dubber.stages.scene`): a re-run retrieves only lines whose
span, text, speaker or library changed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from dubber.stages.episode import Episode
from dubber.stages.scene import previous_annotations
from evaluator.fileio import stable_hash
from evaluator.project import Hit, Line, VoicePrompt

KEY = "retrieved"


def library_id(library_path: Path) -> str:
    """Identifies a footage library's content (its info: clips, encoders, index)."""
    from retrieval import FootageLibrary

    return _library_id(FootageLibrary.open(library_path))


def _library_id(library: object) -> str:
    return stable_hash(json.loads(json.dumps(library.info(), default=str)))  # type: ignore[attr-defined]


def retrieve(
    episode: Episode,
    lines: Sequence[Line],
    library_path: Path,
    *,
    k: int,
    same_speaker: bool,
    voice_prompts: bool,
) -> list[Line]:
    """``lines`` with ``conditions.hits`` (top-``k`` per modality) and, with ``voice_prompts``,
    ``conditions.voice_prompt`` set."""
    from retrieval import FootageLibrary, retrieve_lines

    library = FootageLibrary.open(library_path)
    lib_id = _library_id(library)
    cached = previous_annotations(episode, KEY)

    def key(line: Line) -> str:
        return stable_hash(
            {
                "video": episode.video_hash,
                "span": [line.start, line.end],
                "text": line.text,
                "source": line.source_text,
                "speaker": line.speaker,
                "library": lib_id,
                "k": k,
                "same_speaker": same_speaker,
                "prompts": voice_prompts,
            }
        )

    keys = [key(line) for line in lines]
    found: dict[str, tuple[tuple[Hit, ...], VoicePrompt | None]] = {
        kk: (cached[kk].conditions.hits, cached[kk].conditions.voice_prompt) for kk in keys if kk in cached
    }
    todo = [(line, kk) for line, kk in zip(lines, keys, strict=True) if kk not in found]
    if todo:
        results = retrieve_lines(
            library,
            [line for line, _ in todo],
            episode.config.video,
            k=k,
            same_speaker=same_speaker,
            voice_prompts=voice_prompts,
        )
        for (_, kk), (hits, prompt) in zip(todo, results, strict=True):
            found[kk] = (tuple(hits), prompt)
    out = []
    for line, kk in zip(lines, keys, strict=True):
        hits, prompt = found[kk]
        conditions = dataclasses.replace(line.conditions, hits=hits, voice_prompt=prompt)
        out.append(dataclasses.replace(line, conditions=conditions, annotation_keys={**line.annotation_keys, KEY: kk}))
    return out
