"""The offline diarizer: who speaks each speech segment, by clustering speaker embeddings.

Each segment gets a resemblyzer (GE2E, 256-d) embedding, the encoder the evaluator's ``spk_sim``
uses. Segments of at least ``min_embed_s`` seconds are clustered by agglomerative clustering
(average linkage over cosine distances, scikit-learn); shorter segments, whose embeddings are
noisy, then join the cluster whose mean embedding is nearest. The number of speakers is either
given (``num_speakers``) or chosen by the distance ``threshold``: clusters stop merging when the
average cosine distance between them exceeds it. ``DEFAULT_THRESHOLD`` and how it was calibrated
are stated beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evaluator.errors import ConfigError
from evaluator.metrics.speaker import ResemblyzerBackend

#: Average-linkage cosine distance at which automatic clustering stops merging. Calibrated on the
#: two conversations of ``dubber.transcribe.conversation`` (real recordings and Kokoro voices):
#: see ``benchmarks/transcribe_quality.py --sweep`` for the figures behind the choice.
DEFAULT_THRESHOLD = 0.3
MIN_EMBED_S = 1.0


@dataclass(frozen=True)
class DiarizationRules:
    threshold: float = DEFAULT_THRESHOLD
    min_embed_s: float = MIN_EMBED_S


def check_num_speakers(num_speakers: int | None) -> int | None:
    """``num_speakers`` when it is a usable count (or None for automatic), else ``ConfigError``."""
    if num_speakers is None:
        return None
    if isinstance(num_speakers, bool) or not isinstance(num_speakers, int) or num_speakers < 1:
        raise ConfigError(
            f"num_speakers must be a whole number of at least 1 (or None for automatic), not {num_speakers!r}"
        )
    return num_speakers


def _normalise(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n > 0, n, 1.0)


def _first_appearance(labels: np.ndarray) -> np.ndarray:
    """Relabel so that speaker 0 speaks first, speaker 1 next, ..."""
    order = {lab: i for i, lab in enumerate(dict.fromkeys(labels.tolist()))}
    return np.array([order[lab] for lab in labels.tolist()], dtype=int)


def cluster_speakers(
    embeddings: np.ndarray,
    durations: Sequence[float],
    *,
    num_speakers: int | None = None,
    rules: DiarizationRules = DiarizationRules(),
) -> tuple[np.ndarray, dict[str, Any]]:
    """Speaker label per segment (0 = first to speak) and how the count was chosen.

    ``embeddings``: one row per segment, in time order; ``durations`` in seconds.
    """
    from sklearn.cluster import AgglomerativeClustering

    check_num_speakers(num_speakers)
    emb = _normalise(np.asarray(embeddings, dtype=np.float64))
    n = len(emb)
    info: dict[str, Any] = {
        "selection": "given" if num_speakers is not None else "auto",
        "criterion": (
            "agglomerative clustering, average linkage, cosine distance"
            + ("" if num_speakers is not None else f", stop above distance {rules.threshold}")
        ),
        "min_embed_s": rules.min_embed_s,
    }
    if n == 0:
        return np.zeros(0, dtype=int), {**info, "num_speakers": 0}
    dur = np.asarray(durations, dtype=float)
    anchors = np.flatnonzero(dur >= rules.min_embed_s)
    if len(anchors) == 0:
        anchors = np.arange(n)  # nothing long: cluster everything as it is
    want = None if num_speakers is None else min(num_speakers, len(anchors))
    if num_speakers is not None and want < num_speakers:
        info["note"] = f"{num_speakers} speakers asked, {len(anchors)} segment(s) long enough to tell apart"
    if len(anchors) == 1 or want == 1:
        anchor_labels = np.zeros(len(anchors), dtype=int)
    else:
        model = AgglomerativeClustering(
            n_clusters=want,
            metric="cosine",
            linkage="average",
            distance_threshold=None if want is not None else rules.threshold,
        )
        anchor_labels = model.fit_predict(emb[anchors])
    k = int(anchor_labels.max()) + 1
    centroids = _normalise(np.stack([emb[anchors][anchor_labels == c].mean(axis=0) for c in range(k)]))
    labels = np.argmax(emb @ centroids.T, axis=1)
    labels[anchors] = anchor_labels
    labels = _first_appearance(labels)
    return labels, {**info, "num_speakers": int(labels.max()) + 1}


class SpeakerDiarizer:
    """Speaker embeddings of segments (resemblyzer) and their clustering."""

    def __init__(self, rules: DiarizationRules = DiarizationRules(), encoder: ResemblyzerBackend | None = None):
        self.rules = rules
        self.encoder = encoder or ResemblyzerBackend()

    @property
    def model_id(self) -> str:
        return (
            f"{self.encoder.model_id} + agglomerative clustering (scikit-learn, average linkage, cosine; "
            f"auto threshold {self.rules.threshold}, segments under {self.rules.min_embed_s} s assigned to nearest)"
        )

    def embed(
        self,
        audio: np.ndarray,
        sr: int,
        segments: Sequence[tuple[float, float]],
        *,
        progress: Callable[[], None] | None = None,
    ) -> np.ndarray:
        """One embedding per segment of mono ``audio`` (at ``sr`` = the encoder's rate)."""
        if sr != self.encoder.sample_rate:
            raise ValueError(f"the speaker encoder needs {self.encoder.sample_rate} Hz audio, got {sr}")
        rows = []
        for start, end in segments:
            rows.append(self.encoder.embed(audio[int(start * sr) : int(np.ceil(end * sr))]))
            if progress is not None:
                progress()
        return np.stack(rows) if rows else np.zeros((0, 256))

    def assign(
        self, embeddings: np.ndarray, segments: Sequence[tuple[float, float]], num_speakers: int | None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        durations = [e - s for s, e in segments]
        return cluster_speakers(embeddings, durations, num_speakers=num_speakers, rules=self.rules)

    def unload(self) -> None:
        self.encoder.unload()
