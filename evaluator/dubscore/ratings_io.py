"""Ratings joined with ``dubkit score`` rows: the rated clips' metrics, and the next clips to rate."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.dubscore.active import STAGES, next_batch
from evaluator.dubscore.data import metric_matrix
from evaluator.errors import ConfigError
from evaluator.metrics.item import ScoreItem, Source


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


def row_item(row: dict[str, Any]) -> ScoreItem:
    """The score item a ``dubkit score`` row describes (its audio, voice and reference spans)."""
    inputs = row.get("inputs") or {}

    def src(kind: str) -> Source | None:
        d = inputs.get(kind)
        if not isinstance(d, dict) or not d.get("path"):
            return None
        return Source.of_file(d["path"], d.get("start"), d.get("end"))

    if src("audio") is None:
        raise ConfigError(f"score row {row['id']}: no audio file recorded", hint="score the clips with `dubkit score`")
    return ScoreItem(row["id"], audio_src=src("audio"), reference_src=src("reference"), voice_src=src("voice"))


@dataclass
class NextClips:
    """What ``dubkit ratings next`` prints: the clip ids to rate next and where the budget stands."""

    ids: list[str]
    stage: int | None  # 1-3; None: the budget is spent
    target: int  # rated clips at the end of this stage
    rated: int
    budget: int
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {"next": self.ids, "stage": self.stage, "stage_target": self.target, "rated": self.rated,
                "budget": self.budget, "method": self.method}  # fmt: skip


def next_from_scores(
    scores: str | os.PathLike[str],
    mos: dict[str, dict[str, float]],
    budget: int,
    *,
    seed: int = 0,
    stages: Sequence[float] = STAGES,
    embed: Callable[[np.ndarray], np.ndarray] | None = None,
    progress: Callable[[int], None] | None = None,
) -> NextClips:
    """The next stage's clips of a label ``budget`` (total clips to rate), from the ratings so far (``mos``): k-center
    on the condition features up to 33% of the budget, then uncertainty with diversity up to 66% and 100%
    (:func:`evaluator.dubscore.active.next_batch`). The condition features (clip length, background level,
    speaker identity; :mod:`evaluator.dubscore.diversity`) are read from the clips' audio; ``embed`` replaces the
    speaker embedder (resemblyzer)."""
    from evaluator.dubscore.diversity import condition_features
    from evaluator.metrics.presets import anchored_metrics

    rows = read_score_rows(scores)
    names = _metric_names(rows, anchored_metrics())
    if not names:
        raise ConfigError(f"{scores}: no metric values to choose by", hint="run `dubkit score` with metrics first")
    rated = {i: mos[r["id"]]["mos"] for i, r in enumerate(rows) if r["id"] in mos}
    if budget > len(rows):
        raise ConfigError(f"budget {budget} is more than the {len(rows)} scored clips", param="budget")
    x = metric_matrix(rows, names)
    cond = condition_features([row_item(r) for r in rows], embed=embed, progress=progress)
    batch = next_batch(x, cond, names, rated, budget, stages=stages, seed=seed)
    return NextClips([rows[i]["id"] for i in batch.picks], batch.stage, batch.target, len(rated), budget, batch.method)
