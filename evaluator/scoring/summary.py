"""Aggregate scored rows: mean, standard deviation and 95% confidence interval (clamped to the metric's range) per
metric and item kind, the skips with their reasons, and the notes rows carry (what was transcribed, short lines)."""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from typing import Any

import numpy as np

SUMMARY_FIELDS = (
    "kind",
    "metric",
    "n",
    "mean",
    "std",
    "ci95_low",
    "ci95_high",
    "higher_is_better",
    "backend",
    "model_id",
)


def mean_ci(
    values: list[float] | np.ndarray,
    confidence: float = 0.95,
    score_range: tuple[float | None, float | None] | list[float | None] | None = None,
) -> tuple[float, float, float, float]:
    """(mean, sample std, ci low, ci high) with a Student-t interval; std and CI are NaN for one value.

    The interval is clamped to ``score_range`` (the metric's range; None ends are open): a mean of values
    that cannot go below 0 has no plausible values below 0, whatever the symmetric t interval says.

    >>> [round(v, 3) for v in mean_ci([0.0, 0.1, 1.0], score_range=(0.0, None))]
    [0.367, 0.551, 0.0, 1.735]
    """
    from scipy import stats

    x = np.asarray(values, dtype=np.float64)
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan, math.nan
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, len(x) - 1)) * std / math.sqrt(len(x))
    lo, hi = mean - half, mean + half
    if score_range is not None:
        floor, ceiling = score_range
        lo = lo if floor is None else max(lo, float(floor))
        hi = hi if ceiling is None else min(hi, float(ceiling))
    return mean, std, lo, hi


def _clean(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), 6)


def summarize(rows: list[dict[str, Any]], specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per item kind (clip, line) and metric: n, mean, std, 95% CI, skips with their reasons, notes of the values
    (how many values carry each), backend and model."""
    out: dict[str, Any] = {}
    for kind in sorted({r.get("kind", "clip") for r in rows}):
        per: dict[str, Any] = {}
        for name in specs:
            vals, skipped, models, notes = [], Counter(), Counter(), Counter()
            for r in rows:
                if r.get("kind", "clip") != kind or name not in r.get("metrics", {}):
                    continue
                m = r["metrics"][name]
                models[(m.get("backend"), m.get("model_id"), m.get("sample_rate"))] += 1
                if m.get("value") is not None and math.isfinite(m["value"]):
                    vals.append(float(m["value"]))
                    notes.update(m.get("notes", []))
                else:
                    skipped[m.get("skipped") or m.get("error") or "no value"] += 1
            if not vals and not skipped:
                continue
            entry: dict[str, Any] = {"n": len(vals), "higher_is_better": specs[name]["higher_is_better"]}
            if specs[name].get("target") is not None:
                entry["target"] = specs[name]["target"]
            if vals:
                mean, std, lo, hi = mean_ci(vals, score_range=specs[name].get("range"))
                entry.update(mean=_clean(mean), std=_clean(std), ci95=[_clean(lo), _clean(hi)])
            (backend, model_id, sr), _ = models.most_common(1)[0]
            entry.update(backend=backend, model_id=model_id, sample_rate=sr)
            if len(models) > 1:
                entry["mixed_models"] = sorted(f"{b}:{m}" for b, m, _ in models)
            if skipped:
                entry["skipped"] = dict(skipped)
            if notes:
                entry["notes"] = dict(notes)
            per[name] = entry
        out[kind] = per
    return out


def summary_csv(summary: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(SUMMARY_FIELDS), lineterminator="\n")
    w.writeheader()
    for kind, per in summary.items():
        for name, e in per.items():
            ci = e.get("ci95") or [None, None]
            w.writerow(
                {
                    "kind": kind,
                    "metric": name,
                    "n": e["n"],
                    "mean": e.get("mean"),
                    "std": e.get("std"),
                    "ci95_low": ci[0],
                    "ci95_high": ci[1],
                    "higher_is_better": e["higher_is_better"],
                    "backend": e.get("backend"),
                    "model_id": e.get("model_id"),
                }
            )
    return buf.getvalue()
