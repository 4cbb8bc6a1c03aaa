"""The scores a review page shows per line, each with the model that produced it, and the thresholds on them.

Two sources:

- the line record itself: the generate-score loop's score of the kept candidate (``line.score``, named
  ``line``; its scorer and the metrics it combined) and each candidate's score;
- the rows ``dubkit score PROJECT --out DIR`` wrote (``DIR/scores.jsonl``): per line id ``PROJECT#index``
  every metric (value, backend, model, or the reason it was skipped), ``proxy_mos`` and ``dubscore``; the
  clip row (id ``PROJECT``) holds the episode's own figures.

A threshold (``parse_min_scores``) names one of these scores, ``NAME=X``, or is a bare ``X`` for the line's
own score; a line is flagged when that score is under it. Only scores where higher is better take one.

>>> parse_min_scores(["0.6", "proxy_mos=3.5"])
{'line': 0.6, 'proxy_mos': 3.5}
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluator.errors import ConfigError
from evaluator.project import Line

#: the name a threshold uses for the line's own (generate-score loop) score
LINE_SCORE = "line"
ROWS_NAME = "scores.jsonl"  # what `dubkit score` writes (evaluator.scoring.runner)
SUMMARY_NAME = "summary.json"


@dataclass(frozen=True)
class ScoreValue:
    """One figure shown on the page: its name, value (None: skipped, with the reason), and its model."""

    name: str
    value: float | None
    model: str
    backend: str = ""
    source: str = ""  # "line record" or "dubkit score"
    higher_is_better: bool | None = None
    reason: str | None = None  # why there is no value

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": None if self.value is None else round(self.value, 4),
            "text": None if self.value is None else figure(self.value),
            "model": self.model,
            "backend": self.backend,
            "source": self.source,
            "reason": self.reason,
        }


@dataclass
class ScoreRows:
    """What a ``dubkit score`` directory holds for one project: per cue number and for the whole episode."""

    path: Path
    lines: dict[int, list[ScoreValue]] = field(default_factory=dict)
    episode: list[ScoreValue] = field(default_factory=list)


def figure(x: float) -> str:
    """A score as a reviewer reads it: three significant digits, whole numbers from 100.

    >>> figure(0.66974), figure(3.8012), figure(1144.6), figure(0.0)
    ('0.67', '3.8', '1145', '0')
    """
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.3g}"


def parse_min_scores(items: Sequence[str]) -> dict[str, float]:
    """``["0.6", "proxy_mos=3.5"]`` -> ``{"line": 0.6, "proxy_mos": 3.5}``; a malformed item is a ConfigError."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.rpartition("=")
        name = name.strip() if sep else LINE_SCORE
        try:
            x = float(value)
        except ValueError:
            x = math.nan
        if not name or not math.isfinite(x):
            raise ConfigError(
                f"min_score {item!r}: expected a number or NAME=NUMBER (e.g. 0.6 or proxy_mos=3.5)", param="min_score"
            )
        out[name] = x
    return out


def line_scores(line: Line) -> list[ScoreValue]:
    """The line record's own figures: the kept candidate's score and the metrics it was made of."""
    if line.score is None:
        return []
    out = [
        ScoreValue(
            LINE_SCORE,
            line.score.value,
            model=line.score.scorer,
            backend="generate-score loop",
            source="line record",
            higher_is_better=True,
        )
    ]
    for name, entry in sorted(line.score.details.items()):
        if isinstance(entry, dict) and "value" in entry and "model_id" in entry:
            out.append(_metric(name, entry, "line record", None))
    return out


def _metric(name: str, entry: dict[str, Any], source: str, higher: bool | None) -> ScoreValue:
    value = entry.get("value")
    reason = entry.get("skipped") or entry.get("error")
    return ScoreValue(
        name,
        float(value) if isinstance(value, int | float) and math.isfinite(value) else None,
        model=str(entry.get("model_id") or "?"),
        backend=str(entry.get("backend") or ""),
        source=source,
        higher_is_better=higher,
        reason=None if value is not None else (str(reason) if reason else "no value"),
    )


def _row_values(row: dict[str, Any], higher: dict[str, bool]) -> list[ScoreValue]:
    out = []
    if isinstance(row.get("dubscore"), dict):
        d = row["dubscore"]
        out.append(_metric("dubscore", {**d, "backend": "DubScore"}, "dubkit score", True))
    if isinstance(row.get("proxy_mos"), dict):
        p = row["proxy_mos"]
        model = f"proxy MOS ({p.get('weights_source') or 'weights unknown'})"
        out.append(_metric("proxy_mos", {**p, "model_id": model, "backend": "proxy"}, "dubkit score", True))
    for name, entry in (row.get("metrics") or {}).items():
        if isinstance(entry, dict):
            out.append(_metric(name, entry, "dubkit score", higher.get(name)))
    return out


def read_score_rows(directory: str | os.PathLike[str], project_name: str) -> ScoreRows:
    """The rows of ``directory/scores.jsonl`` for the project named ``project_name`` (its directory name)."""
    d = Path(directory)
    rows_path = d / ROWS_NAME if d.is_dir() else d
    if not rows_path.is_file():
        raise ConfigError(
            f"{d}: no {ROWS_NAME} here",
            hint="pass the directory `dubkit score PROJECT --out DIR` wrote",
            param="scores",
        )
    higher: dict[str, bool] = {}
    summary = rows_path.parent / SUMMARY_NAME
    if summary.is_file():
        specs = json.loads(summary.read_text(encoding="utf-8")).get("specs") or {}
        higher = {
            n: bool(s["higher_is_better"]) for n, s in specs.items() if isinstance(s, dict) and "higher_is_better" in s
        }
    from evaluator.scoring.rows import read_rows

    out = ScoreRows(rows_path.parent)
    ids = []
    for rid, row in read_rows(rows_path).items():  # the scorer's own row log reader (a torn last line dropped)
        ids.append(rid)
        if rid == project_name:
            out.episode = _row_values(row, higher)
            continue
        name, sep, index = rid.rpartition("#")
        if sep and name == project_name and index.isdigit():
            out.lines[int(index)] = _row_values(row, higher)
    if not out.lines and not out.episode:
        others = sorted({i.rpartition("#")[0] or i for i in ids})[:3]
        raise ConfigError(
            f"{rows_path}: no rows for project {project_name!r}"
            + (f" (its rows are for {', '.join(others)})" if others else " (it is empty)"),
            hint=f"score this project first: `dubkit score {project_name}` with an output directory",
            param="scores",
        )
    return out


def check_thresholds(thresholds: dict[str, float], values: Sequence[ScoreValue]) -> None:
    """Refuse a threshold on a score no line has, or on one where lower is better."""
    by_name: dict[str, ScoreValue] = {}
    for v in values:
        by_name.setdefault(v.name, v)
    for name in thresholds:
        v = by_name.get(name)
        if v is None:
            have = ", ".join(sorted(by_name)) or "none"
            raise ConfigError(
                f"min_score names {name!r}, a score no line has (scores here: {have})",
                hint="the line's own score needs candidates (dubkit dub --candidates N); the others need the rows "
                "of `dubkit score PROJECT --out DIR`",
                param="min_score",
            )
        if v.higher_is_better is False:
            raise ConfigError(f"min_score: lower {name} is better, so a minimum on it flags nothing", param="min_score")
