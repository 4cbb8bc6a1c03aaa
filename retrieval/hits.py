"""Query vectors and the similarity a query ranks clips by (hits are :class:`evaluator.project.Hit`)."""

from __future__ import annotations

from dataclasses import dataclass, field
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
