"""DubScore in ``dubkit score``: per row, ``dubscore`` (with ``--model``) and ``proxy_mos``."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from evaluator.metrics.item import ScoreItem

Annotator = Callable[[dict[str, dict[str, Any]], list[ScoreItem]], dict[str, Any]]


def row_annotator(
    checkpoint: str | os.PathLike[str] | None,
    proxy_weights: str | os.PathLike[str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Annotator:
    """A ``score(..., annotate=...)`` hook adding ``proxy_mos`` to each row, and ``dubscore`` with a checkpoint."""
    from evaluator.dubscore.proxy import ProxyWeights

    weights = ProxyWeights.load(proxy_weights) if proxy_weights else None
    if checkpoint is not None:
        from evaluator.dubscore.checkpoint import load_checkpoint

        load_checkpoint(checkpoint)  # a bad path fails before any metric runs

    def annotate(rows: dict[str, dict[str, Any]], items: list[ScoreItem]) -> dict[str, Any]:
        from evaluator.dubscore.api import proxy_for_rows, score_with_model

        added: dict[str, Any] = {}
        proxy = proxy_for_rows(rows, weights)
        for rid, entry in proxy.items():
            rows[rid]["proxy_mos"] = entry
        if proxy:
            vals = [e["value"] for e in proxy.values()]
            src = weights.source if weights else "equal weights, default anchors (uncalibrated)"
            added["proxy_mos"] = {"mean": float(np.mean(vals)), "n": len(vals), "source": src,
                                  "calibrated": bool(weights and weights.calibrated)}  # fmt: skip
        if checkpoint is not None:
            clips = [it for it in items if it.kind == "clip"]
            scored = score_with_model(clips, checkpoint, cache_dir=cache_dir) if clips else {}
            for rid, entry in scored.items():
                rows[rid]["dubscore"] = entry
            if scored:
                vals = [e["value"] for e in scored.values()]
                added["dubscore"] = {"mean": float(np.mean(vals)), "n": len(vals),
                                     "source": next(iter(scored.values()))["model_id"]}  # fmt: skip
        return added

    return annotate
