"""Scoring runs: resolve what to score, score it resumably, summarise, and compare systems."""

from evaluator.scoring.inputs import resolve_input
from evaluator.scoring.runner import ScoreConfig, Scorer, score

__all__ = ["ScoreConfig", "Scorer", "resolve_input", "score"]
