"""Library entry points for the dubber: retrieval per line and emotion-matched voice prompts.

``retrieve_for_line`` returns the top-K hits per modality for one target line (what
``Line.retrieved`` records). ``pick_voice_prompt`` chooses, among a speaker's clean clips, the one
whose emotion vectors are closest to the target line's, for cloning synthesizers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from evaluator.project import PROMPT_MIN_S, REFERENCE_MAX_S, Hit, VoicePrompt
from retrieval.hits import QueryVectors, similarity
from retrieval.library import FootageLibrary
from retrieval.profiles import QUERY_MODALITIES
from retrieval.store import sql_quote, vec_col


def retrieve_for_line(
    library: FootageLibrary,
    video_path: str | os.PathLike[str] | None,
    start: float | None,
    end: float | None,
    text: str | None,
    speaker: str | None = None,
    k: int = 3,
    same_speaker: bool = False,
    *,
    metric: str = "cosine",
    exclude_ids: Sequence[str] = (),
) -> list[Hit]:
    """Top-``k`` clips per modality (scene, face, text) for one target line."""
    target = library.encode_target(video_path, start, end, text)
    return library.query(
        target, k=k, metric=metric, speaker=speaker, same_speaker=same_speaker, exclude_ids=exclude_ids
    )


def speaker_candidates(
    library: FootageLibrary, speaker: str, *, min_s: float = PROMPT_MIN_S, max_s: float = REFERENCE_MAX_S
) -> list[dict[str, Any]]:
    """The speaker's clean clips: audio encoded (readable speech) and a span of ``min_s``..``max_s``."""
    where = f"speaker = {sql_quote(speaker)} AND {vec_col('audio')} IS NOT NULL"
    out = []
    for row in library.rows(where):
        if row.get("start") is None or row.get("end") is None:
            continue
        if min_s <= row["end"] - row["start"] <= max_s and (row.get("audio_path") or row.get("video_path")):
            out.append(row)
    return out


def pick_voice_prompt(
    library_or_candidates: FootageLibrary | Sequence[dict[str, Any]],
    target_vectors: QueryVectors,
    speaker: str,
    *,
    modalities: Sequence[str] = QUERY_MODALITIES,
) -> VoicePrompt | None:
    """The speaker's clip most similar in emotion to the target line, or None (use the default reference).

    The score is the mean cosine similarity over the modalities present in both the target and the
    candidate. ``library_or_candidates`` is a library (its clean clips of ``speaker`` are used) or
    rows as :func:`speaker_candidates` returns them.
    """
    if isinstance(library_or_candidates, FootageLibrary):
        library_or_candidates.check_encoders(target_vectors.encoders)
        rows = speaker_candidates(library_or_candidates, speaker)
    else:
        rows = [r for r in library_or_candidates if (r.get("speaker") or "default") == speaker]
    best: VoicePrompt | None = None
    for row in rows:
        scores, used = [], []
        for m in modalities:
            q, c = target_vectors.vectors.get(m), row.get(vec_col(m))
            if q is None or c is None:
                continue
            scores.append(similarity(np.asarray(q), np.asarray(c), "cosine"))
            used.append(m)
        if not scores:
            continue
        score = float(np.mean(scores))
        if best is None or score > best.score:
            best = VoicePrompt(
                path=row.get("audio_path") or row["video_path"],
                score=score,
                start=row.get("start"),
                end=row.get("end"),
                clip_id=row["id"],
                text=row.get("text") or "",
                modalities=tuple(used),
            )
    return best
