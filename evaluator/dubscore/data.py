"""Training data for DubScore: a CLIPS.csv (the ``dubkit score`` list format plus label columns).

CLIPS.csv has the columns ``dubkit score`` reads (``audio`` required; ``id``, ``video``, ``text``,
``reference``, ``voice``, ``lang``, ``start``, ``end``) and label columns: ``mos`` (human MOS, stage
``human``) and/or ``proxy_mos`` (stage ``proxy``). Metric columns named like the metric suite
(``wer``, ``dnsmos_ovrl``, ...) may be given instead of ``proxy_mos``; the proxy is then computed
from them with the weights given (learned, or equal weights labelled uncalibrated).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.dubscore.features import FeatureCache, FeatureTable, build_cues, extract_features
from evaluator.errors import ConfigError
from evaluator.metrics.item import ScoreItem


def default_cache_dir() -> Path:
    """``$DUBKIT_CACHE/features`` (default ``~/.cache/dubkit/features``): see :func:`evaluator.models.cache_dir`."""
    from evaluator.models import cache_dir

    return cache_dir() / "features"


def read_rows(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: no such file", hint="pass a CLIPS.csv with an audio column")
    with p.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_clips(path: str | os.PathLike[str]) -> tuple[list[ScoreItem], list[dict[str, str]]]:
    """Score items of CLIPS.csv (resolved as ``dubkit score`` resolves lists) and the raw rows."""
    from evaluator.scoring import resolve_input

    items = resolve_input(path)
    return items, read_rows(path)


def label_column(
    rows: Sequence[dict[str, str]],
    column: str,
    path: str | os.PathLike[str] = "CLIPS.csv",
    *,
    allow_empty: bool = False,
) -> np.ndarray:
    """The float labels in ``column``; a missing column or a non-numeric cell is an error naming the row, and so
    is an empty cell unless ``allow_empty`` (then it is NaN: an unlabelled clip)."""
    if not rows or column not in rows[0]:
        raise ConfigError(f"{path}: no {column!r} column", hint=f"add a {column} column (one value per clip)")
    out = []
    for n, r in enumerate(rows, 2):
        if allow_empty and not str(r.get(column) or "").strip():
            out.append(math.nan)
            continue
        try:
            v = float(r[column])
        except (TypeError, ValueError):
            raise ConfigError(f"{path}: line {n}: {column}={r.get(column)!r} is not a number") from None
        if not math.isfinite(v):
            raise ConfigError(f"{path}: line {n}: {column} is not finite")
        out.append(v)
    return np.asarray(out, dtype=np.float64)


def clip_features(
    items: Sequence[ScoreItem],
    *,
    profile: str = "offline",
    modalities: Sequence[str] = ("A", "V", "T"),
    cache_dir: str | os.PathLike[str] | None = None,
    models: dict[str, str] | None = None,
    cue_names: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
    metric_cues: bool = False,
) -> FeatureTable:
    """Cue vectors of ``items`` (through the on-disk cache); encoders are unloaded afterwards. ``metric_cues``:
    the metric suite's values join the profile's cues (:data:`evaluator.dubscore.features.METRIC_CUES`)."""
    cues = build_cues(profile, modalities, models, names=cue_names, metric_cues=metric_cues)
    cache = FeatureCache(cache_dir or default_cache_dir())
    try:
        return extract_features(items, cues, cache, profile=profile, progress=progress)
    finally:
        for c in cues:
            c.unload()


def metric_matrix(rows: Sequence[dict[str, Any]], names: Sequence[str]) -> np.ndarray:
    """``(N, len(names))`` metric values from ``dubkit score`` rows (``row["metrics"][name]["value"]``) or
    flat CSV rows (``row[name]``); missing values are NaN."""
    out = np.full((len(rows), len(names)), np.nan)
    for i, r in enumerate(rows):
        for j, n in enumerate(names):
            if "metrics" in r:
                v = (r["metrics"].get(n) or {}).get("value")
            else:
                v = r.get(n)
            try:
                out[i, j] = float(v) if v not in (None, "") else np.nan
            except (TypeError, ValueError):
                out[i, j] = np.nan
    return out
