"""Query vectors and retrieval hits (what a dub line records in ``Line.retrieved``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


def similarity(a: np.ndarray, b: np.ndarray, metric: str) -> float:
    """Higher-is-better score: cosine similarity, dot product, or minus the Euclidean distance."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if metric == "cosine":
        na, nb = np.linalg.norm(a), np.linalg.norm(b)
        return float(a @ b / (na * nb)) if na > 0 and nb > 0 else 0.0
    if metric == "dot":
        return float(a @ b)
    if metric == "euclidean":
        return -float(np.linalg.norm(a - b))
    raise ValueError(f"unknown metric {metric!r}")


@dataclass
class QueryVectors:
    """A target line's vectors per modality and the encoder id of each (None entries are skipped)."""

    vectors: dict[str, np.ndarray | None]
    encoders: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "vectors": {m: None if v is None else [round(float(x), 6) for x in v] for m, v in self.vectors.items()},
            "encoders": dict(self.encoders),
        }


@dataclass
class Hit:
    """One retrieved clip: found through ``modality`` at ``rank`` with ``score`` under ``metric``."""

    modality: str
    rank: int
    id: str
    score: float
    metric: str
    speaker: str
    text: str
    video: str | None
    audio: str | None
    start: float | None
    end: float | None
    emotion: str | None
    audio_vector: list[float] | None
    encoder: str
    audio_encoder: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (None fields dropped) for ``Line.retrieved`` and ``--json`` output."""
        d = asdict(self)
        d["score"] = round(self.score, 6)
        if self.audio_vector is not None:
            d["audio_vector"] = [round(x, 6) for x in self.audio_vector]
        return {k: v for k, v in d.items() if v is not None}
