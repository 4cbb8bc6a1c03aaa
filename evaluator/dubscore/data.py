"""Training data for DubScore: a CLIPS.csv (the ``dubkit score`` list format plus label columns), or any
input of ``dubkit score`` (a corpus directory) with the rows ``dubkit score`` wrote for it.

CLIPS.csv has the columns ``dubkit score`` reads (``audio`` required; ``id``, ``video``, ``text``,
``reference``, ``voice``, ``lang``, ``start``, ``end``) and label columns: ``mos`` (human MOS, stage
``human``) and/or ``proxy_mos`` (stage ``proxy``). Metric columns named like the metric suite
(``wer``, ``dnsmos_ovrl``, ...) may be given instead of ``proxy_mos``; the proxy is then computed
from them with the weights given (learned, or equal weights labelled uncalibrated).

With ``scores`` (a ``dubkit score`` output directory or its ``scores.jsonl``) the label columns come
from the score rows, joined by clip id (:func:`score_label_rows`): each metric's value, and the
``proxy_mos`` that ``dubkit score`` computed (left out when the proxy is to be recomputed with other
weights). That is how a corpus (``dubkit corpus build``), which has no label columns, is trained on.
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


def load_clips(
    path: str | os.PathLike[str], scores: str | os.PathLike[str] | None = None, *, proxy_mos: bool = True
) -> tuple[list[ScoreItem], list[dict[str, Any]]]:
    """Score items of ``path`` (resolved as ``dubkit score`` resolves its input) and one label row per item:
    CLIPS.csv's rows, or with ``scores`` the score rows' labels (:func:`score_label_rows`)."""
    from evaluator.corpus import is_corpus
    from evaluator.scoring import resolve_input

    if scores is None and is_corpus(path):
        raise ConfigError(
            f"{path}: a corpus has no label columns",
            hint="score it with `dubkit score CORPUS_DIR` and pass that output as scores",
            param="scores",
        )
    items = resolve_input(path)
    if scores is not None:
        return items, score_label_rows(items, scores, proxy_mos=proxy_mos)
    return items, read_rows(path)


def score_label_rows(
    items: Sequence[ScoreItem], scores: str | os.PathLike[str], *, proxy_mos: bool = True
) -> list[dict[str, Any]]:
    """Per item (by id), the metric values of its ``dubkit score`` row as columns, and its ``proxy_mos``
    (unless ``proxy_mos`` is False). An item without a row, or without a proxy MOS, is an error naming it."""
    p = Path(scores)
    p = p / "scores.jsonl" if p.is_dir() else p
    if not p.is_file():
        raise ConfigError(f"{p}: no such scores file", hint="pass the output of `dubkit score` on the same input")
    from evaluator.scoring.rows import read_rows as read_score_rows

    by_id = read_score_rows(p)
    missing = [it.id for it in items if it.id not in by_id]
    if missing:
        raise ConfigError(
            f"{p}: no scores for {len(missing)} clip(s): {', '.join(missing[:10])}",
            hint="score them first (`dubkit score` with its resume option)",
        )
    out = []
    for it in items:
        row = by_id[it.id]
        labels: dict[str, Any] = {"id": it.id}
        labels.update({n: m.get("value") for n, m in row.get("metrics", {}).items()})
        if proxy_mos:
            labels["proxy_mos"] = (row.get("proxy_mos") or {}).get("value")
        out.append(labels)
    unlabelled = [r["id"] for r in out if proxy_mos and r["proxy_mos"] is None]
    if unlabelled:
        raise ConfigError(
            f"{p}: {len(unlabelled)} clip(s) have no proxy MOS (no metric value): {', '.join(unlabelled[:10])}",
            hint="check their scores' skip reasons",
        )
    return out


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
