"""Retrieval for every line of a dub project: hits into ``Line.retrieved``, emotion-matched voice prompts.

The dubber calls :func:`annotate_lines` once per episode when ``--library`` is given.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from evaluator.manifest import Manifest
from retrieval.clip_ids import media_digest
from retrieval.library import FootageLibrary
from retrieval.prompts import VoicePrompt, pick_voice_prompt, speaker_candidates


def annotate_lines(
    library: FootageLibrary,
    manifest: Manifest,
    video: str | os.PathLike[str],
    *,
    k: int = 3,
    same_speaker: bool = False,
    metric: str = "cosine",
    voice_prompts: bool = False,
    on_line: Callable[[int], None] | None = None,
) -> dict[int, VoicePrompt | None]:
    """Set ``line.retrieved`` of every line (top-``k`` per modality, the line's own span excluded).

    The target vectors are the line's scene and face (the original video over its slot) and the
    emotion of its text (source-language text when the manifest has it, as the library's clips
    are transcribed in the source language). With ``voice_prompts``, also choose each line's prompt
    among its speaker's clean clips; returns ``{line index: VoicePrompt or None}`` (None: keep the
    speaker's default reference).
    """
    prompts: dict[int, VoicePrompt | None] = {}
    candidates: dict[str, list] = {}
    video_sha = media_digest(video)
    for line in manifest.lines:
        target = library.encode_target(video, line.start, line.end, line.source_text or line.text)
        hits = library.query(
            target,
            k=k,
            metric=metric,
            speaker=line.speaker,
            same_speaker=same_speaker,
            exclude_span=(str(video), line.start, line.end),
        )
        line.retrieved = [h.to_dict() for h in hits]
        if voice_prompts:
            if line.speaker not in candidates:
                candidates[line.speaker] = speaker_candidates(library, line.speaker)
            own = [
                r
                for r in candidates[line.speaker]
                if not (r.get("video_sha256") == video_sha and r["start"] < line.end and r["end"] > line.start)
            ]
            prompts[line.index] = pick_voice_prompt(own, target, line.speaker)
        if on_line:
            on_line(line.index)
    return prompts
