"""Ratings joined with ``dubkit score`` rows: the rated clips' metrics, and the next clips to rate."""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.dubscore.active import propose
from evaluator.dubscore.data import metric_matrix
from evaluator.errors import ConfigError


def read_score_rows(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    p = Path(path)
    if p.is_dir():
        p = p / "scores.jsonl"
    if not p.is_file():
        raise ConfigError(f"{p}: no such scores file", hint="pass the output of `dubkit score` (scores.jsonl)")
    from evaluator.scoring.rows import read_rows

    return [r for r in read_rows(p).values() if r.get("kind", "clip") == "clip"]


def _metric_names(rows: list[dict[str, Any]], wanted: Sequence[str]) -> list[str]:
    have = {n for r in rows for n, m in r.get("metrics", {}).items() if m.get("value") is not None}
    return [n for n in wanted if n in have]


def rated_metrics(
    scores: str | os.PathLike[str], mos: dict[str, dict[str, float]], wanted: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rows = [r for r in read_score_rows(scores) if r["id"] in mos]
    if len(rows) < 3:
        raise ConfigError(f"{scores}: only {len(rows)} rated clips have scores", hint="score the rated clips first")
    names = _metric_names(rows, wanted)
    return metric_matrix(rows, names), np.array([mos[r["id"]]["mos"] for r in rows]), names


def condition_features(rows: list[dict[str, Any]], names: list[str]) -> np.ndarray:
    """Condition features for diversity: normalised metrics (noise, intelligibility...) and a speaker/voice hash."""
    from evaluator.dubscore.proxy import Normaliser

    x = metric_matrix(rows, names)
    z = Normaliser.fit(x, names).transform(x)
    voice = np.array([[zlib.crc32(str(r.get("inputs", {}).get("voice", "")).encode()) % 997 / 997.0] for r in rows])
    return np.hstack([z, voice])


def propose_from_scores(
    scores: str | os.PathLike[str], mos: dict[str, dict[str, float]], budget: int, *, seed: int = 0
) -> list[str]:
    from evaluator.metrics.presets import anchored_metrics

    rows = read_score_rows(scores)
    names = _metric_names(rows, anchored_metrics())
    if not names:
        raise ConfigError(f"{scores}: no metric values to choose by", hint="run `dubkit score` with metrics first")
    x = metric_matrix(rows, names)
    rated = {i: mos[r["id"]]["mos"] for i, r in enumerate(rows) if r["id"] in mos}
    picks = propose(x, condition_features(rows, names), names, rated, budget, seed=seed)
    return [rows[i]["id"] for i in picks]
