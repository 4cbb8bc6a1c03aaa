"""Retrieval for the lines of a dub: top-K hits per line and emotion-matched voice prompts.

The dubber's retrieval stage (:mod:`dubber.stages.retrieve`) calls :func:`retrieve_lines` with the
lines whose retrieval is not cached.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from evaluator.project import Hit, Line, VoicePrompt
from retrieval.clip_ids import media_digest
from retrieval.library import FootageLibrary
from retrieval.prompts import pick_voice_prompt, speaker_candidates


def retrieve_lines(
    library: FootageLibrary,
    lines: Sequence[Line],
    video: str | os.PathLike[str],
    *,
    k: int = 3,
    same_speaker: bool = False,
    metric: str = "cosine",
    voice_prompts: bool = False,
) -> list[tuple[list[Hit], VoicePrompt | None]]:
    """For each line: its top-``k`` hits per modality (the line's own span excluded) and, with
    ``voice_prompts``, the voice prompt among its speaker's clean clips (None: keep the speaker's
    default reference).

    The target vectors are the line's scene and face (the original video over its slot) and the
    emotion of its text (source-language text when the line has it, as the library's clips are
    transcribed in the source language).
    """
    out: list[tuple[list[Hit], VoicePrompt | None]] = []
    candidates: dict[str, list] = {}
    video_sha = media_digest(video)
    for line in lines:
        target = library.encode_target(video, line.start, line.end, line.source_text or line.text)
        hits = library.query(
            target,
            k=k,
            metric=metric,
            speaker=line.speaker,
            same_speaker=same_speaker,
            exclude_span=(str(video), line.start, line.end),
        )
        prompt = None
        if voice_prompts:
            if line.speaker not in candidates:
                candidates[line.speaker] = speaker_candidates(library, line.speaker)
            own = [
                r
                for r in candidates[line.speaker]
                if not (r.get("video_sha256") == video_sha and r["start"] < line.end and r["end"] > line.start)
            ]
            prompt = pick_voice_prompt(own, target, line.speaker)
        out.append((hits, prompt))
    return out
