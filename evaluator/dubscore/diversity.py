"""The condition features active learning spreads its picks over (the DubScore paper's diversity criteria):
clip length, background level and speaker identity.

- ``length``: seconds of dubbed audio;
- ``background``: the clip's noise floor in dBFS, the 10th percentile of its 20 ms frame levels (the level in
  the pauses: music, effects or noise under the speech);
- ``speaker``: the first :data:`SPEAKER_COMPONENTS` principal components, over the clips at hand, of the
  resemblyzer speaker embedding of the target voice (the ``voice`` clip, else the ``reference``, else the dub
  itself), so each voice is a point and similar voices are near.

Each column is later standardised (``active.k_center``, ``active.diverse_in_order``): the speaker identity
weighs as much as its few components, not as its 256 dimensions.

>>> import numpy as np
>>> hum = 0.01 * np.ones(16000, np.float32)  # -40 dBFS under the speech
>>> round(noise_floor_db(np.r_[hum, 0.5 * np.ones(4000, np.float32)], 16000), 1)
-40.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from evaluator.metrics.item import ScoreItem

SAMPLE_RATE = 16000
#: principal components of the speaker embeddings kept as features
SPEAKER_COMPONENTS = 3
#: the floor of the level scale (digital silence)
SILENCE_DB = -120.0
CONDITION_NAMES = ("length", "background", *(f"speaker_pc{i + 1}" for i in range(SPEAKER_COMPONENTS)))


def noise_floor_db(audio: np.ndarray, sr: int, frame_s: float = 0.02, percentile: float = 10.0) -> float:
    """The ``percentile`` of the clip's frame RMS levels in dBFS (frames of ``frame_s``)."""
    n = max(1, int(frame_s * sr))
    frames = len(audio) // n
    if frames == 0:
        return SILENCE_DB
    rms = np.sqrt(np.mean(np.square(audio[: frames * n].reshape(frames, n), dtype=np.float64), axis=1))
    db = 20 * np.log10(np.maximum(rms, 10 ** (SILENCE_DB / 20)))
    return float(np.percentile(db, percentile))


def _principal_components(emb: np.ndarray, k: int) -> np.ndarray:
    """``emb`` ``(N, d)`` on its first ``k`` principal axes (zeros past the rank)."""
    out = np.zeros((len(emb), k))
    if len(emb) < 2:
        return out
    centred = emb - emb.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    r = min(k, len(s))
    out[:, :r] = u[:, :r] * s[:r]
    return out


def condition_features(
    items: Sequence[ScoreItem],
    *,
    embed: Callable[[np.ndarray], np.ndarray] | None = None,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """``(N, len(CONDITION_NAMES))`` features of ``items``; ``embed`` maps 16 kHz audio to a speaker embedding
    (default: resemblyzer, :class:`evaluator.metrics.speaker.ResemblyzerBackend`). A voice clip shared by several
    items is embedded once."""
    backend: Any = None
    if embed is None:
        from evaluator.metrics.speaker import ResemblyzerBackend

        backend = ResemblyzerBackend()
        embed = backend.embed
    rows, voices, cache = [], [], {}
    try:
        for i, item in enumerate(items):
            audio = item.audio(SAMPLE_RATE)
            kind = next((k for k in ("voice", "reference") if item.has(k)), "audio")
            src = item.sources[kind]
            key = (kind, src.path, src.start, src.end) if src is not None and src.path else (item.id, kind)
            if key not in cache:
                cache[key] = np.asarray(embed(item.voice(SAMPLE_RATE) if kind != "audio" else audio), np.float64)
            voices.append(cache[key])
            rows.append([len(audio) / SAMPLE_RATE, noise_floor_db(audio, SAMPLE_RATE)])
            item.release()
            if progress is not None:
                progress(i + 1)
    finally:
        if backend is not None:
            backend.unload()
    if not rows:
        return np.zeros((0, len(CONDITION_NAMES)))
    return np.hstack([np.asarray(rows), _principal_components(np.stack(voices), SPEAKER_COMPONENTS)])
