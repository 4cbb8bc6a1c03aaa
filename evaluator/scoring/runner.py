"""Score items with the chosen metrics, one JSONL row per item, resumable, then summarise.

>>> cfg = ScoreConfig(metrics=("dnsmos_ovrl",))
>>> Scorer(cfg).metric_names
['dnsmos_ovrl']
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evaluator.errors import ConfigError, DubkitError
from evaluator.fileio import json_safe, write_json, write_text
from evaluator.metrics import METRIC_SETS, OFFLINE_SUITE, ScoreItem, create_metric, family_of, list_metrics
from evaluator.metrics.base import MetricFamily
from evaluator.scoring.rows import RowLog, read_rows
from evaluator.scoring.summary import summarize, summary_csv

logger = logging.getLogger(__name__)

ROWS_NAME = "scores.jsonl"
SUMMARY_NAME = "summary.json"
SUMMARY_CSV_NAME = "summary.csv"


@dataclass(frozen=True)
class ScoreConfig:
    """One scoring run. ``metrics`` are names, globs (``dnsmos_*``) or set names (``evaluator.metrics.METRIC_SETS``,
    e.g. ``dubscore-paper``); empty means the offline suite."""

    metrics: tuple[str, ...] = ()
    profile: str = "offline"
    #: family -> backend name, e.g. {"transcript": "faster-whisper"}
    backends: dict[str, str] = field(default_factory=dict)
    #: options passed to the families, e.g. {"faster_whisper_model": "/models/large-v3"}
    options: dict[str, Any] = field(default_factory=dict)
    one_model_at_a_time: bool = False
    resume: bool = False


def _expand(patterns: tuple[str, ...]) -> list[str]:
    if not patterns:
        return list(OFFLINE_SUITE)
    names: list[str] = []
    for pat in patterns:
        found = list(METRIC_SETS[pat]) if pat in METRIC_SETS else list_metrics(pat)
        if not found:
            import difflib

            close = difflib.get_close_matches(pat, list_metrics(), n=3)
            raise ConfigError(
                f"unknown metric {pat!r}",
                hint=f"did you mean {', '.join(close)}?" if close else f"choose from {', '.join(list_metrics())}",
            )
        names += [n for n in found if n not in names]
    return names


class Scorer:
    """Holds the metric families of one run (loaded lazily, once) and scores items with them."""

    def __init__(self, config: ScoreConfig) -> None:
        self.config = config
        self.metric_names = _expand(config.metrics)
        self.groups: dict[str, list[str]] = {}
        for name in self.metric_names:
            self.groups.setdefault(family_of(name), []).append(name)
        self.families: dict[str, MetricFamily] = {
            fam: create_metric(names[0], config.backends.get(fam), profile=config.profile, **config.options)
            for fam, names in self.groups.items()
        }
        self.seconds: dict[str, float] = dict.fromkeys(self.groups, 0.0)

    def specs(self) -> dict[str, dict[str, Any]]:
        return {n: self.families[family_of(n)].spec(n).to_dict() for n in self.metric_names}

    def score_family(self, family: str, item: ScoreItem, done: set[str] | None = None) -> dict[str, dict[str, Any]]:
        """Metric entries of ``family`` for ``item`` (skipping names in ``done``); failures are recorded, not raised."""
        names = [n for n in self.groups[family] if not done or n not in done]
        if not names:
            return {}
        fam = self.families[family]
        t0 = time.perf_counter()
        try:
            values = {n: v.to_dict() for n, v in fam.score(item, names).items()}
        except Exception as exc:  # recorded on the item's row (status "error") and retried on --resume
            if isinstance(exc, DubkitError):
                logger.warning("%s: %s failed: %s", item.id, family, exc)
            else:
                logger.exception("%s: %s failed", item.id, family)
            values = {}
            for n in names:
                s = fam.spec(n)
                values[n] = {
                    "value": None,
                    "backend": s.backend,
                    "model_id": s.model_id,
                    "sample_rate": s.sample_rate,
                    "error": f"{type(exc).__name__}: {exc}",
                }
        self.seconds[family] += time.perf_counter() - t0
        return json_safe(values)

    def unload(self) -> None:
        for fam in self.families.values():
            fam.unload()


def _done(row: dict[str, Any] | None) -> set[str]:
    """Metrics of a previous row that need no recomputation (a value or a skip reason; errors are retried)."""
    if not row:
        return set()
    return {n for n, m in row.get("metrics", {}).items() if "error" not in m}


def score(
    items: list[ScoreItem],
    out_dir: str | Path,
    config: ScoreConfig,
    *,
    source: str = "",
    progress: Callable[[int], None] | None = None,
    scorer: Scorer | None = None,
    annotate: Callable[[dict[str, dict[str, Any]], list[ScoreItem]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Score ``items`` into ``out_dir`` (scores.jsonl, summary.json, summary.csv); returns the summary.

    Each item's row is appended to ``scores.jsonl`` and flushed as it is scored (:mod:`evaluator.scoring.rows`);
    the finished file has one line per id. With ``config.resume`` the metrics already in ``scores.jsonl`` are
    kept (a torn last line from an interrupted run is dropped with a warning); with ``one_model_at_a_time``
    each metric family runs over every item and is unloaded before the next family loads.
    ``annotate(rows, items)`` may add entries to the rows after the metrics (DubScore, proxy MOS); what it
    returns is added to the summary.
    """
    out = Path(out_dir)
    rows_path = out / ROWS_NAME
    previous = read_rows(rows_path, repair=True) if config.resume else {}
    scorer = scorer or Scorer(config)
    rows: dict[str, dict[str, Any]] = {}
    for it in items:
        row = previous.get(it.id) or {"id": it.id}
        row.update(kind=it.kind, inputs=it.describe())
        if it.parent:
            row["parent"] = it.parent
        row.setdefault("metrics", {})
        rows[it.id] = row

    log = RowLog(rows_path, fresh=not config.resume)
    try:
        _score_rows(items, rows, config, scorer, log, progress)
        added = annotate(rows, items) if annotate is not None else {}
        log.rewrite([*rows.values(), *(r for k, r in previous.items() if k not in rows)])
    finally:
        log.close()
    all_rows = list(rows.values())
    specs = scorer.specs()
    summary = {
        "source": source,
        "items": {k: sum(1 for r in all_rows if r["kind"] == k) for k in ("clip", "line")},
        "summary": summarize(all_rows, specs),
        "specs": specs,
        "config": json_safe(asdict(config)),
        "seconds_per_family": {k: round(v, 3) for k, v in scorer.seconds.items()},
        **added,
    }
    write_json(out / SUMMARY_NAME, summary)
    write_text(out / SUMMARY_CSV_NAME, summary_csv(summary["summary"]))
    return summary


def _score_rows(
    items: list[ScoreItem],
    rows: dict[str, dict[str, Any]],
    config: ScoreConfig,
    scorer: Scorer,
    log: RowLog,
    progress: Callable[[int], None] | None,
) -> None:
    """Score every item into its row, appending each row to ``log`` when its step is done."""
    by_id = {it.id: it for it in items}
    if config.one_model_at_a_time:
        order = [(fam, [it.id]) for fam in scorer.groups for it in items]
    else:
        order = [(None, [it.id]) for it in items]
    last_family = None
    for step, (fam, ids) in enumerate(order, 1):
        if config.one_model_at_a_time and last_family not in (None, fam):
            scorer.families[last_family].unload()
        last_family = fam
        for item_id in ids:
            item = by_id[item_id]
            row = rows[item_id]
            for family in [fam] if fam else list(scorer.groups):
                row["metrics"].update(scorer.score_family(family, item, _done(row)))
            row["status"] = "error" if any("error" in m for m in row["metrics"].values()) else "ok"
            if not config.one_model_at_a_time:
                item.release()  # decoded audio is kept across families only
            log.append(row)
        if progress is not None:
            progress(step)
    if config.one_model_at_a_time and last_family is not None:
        scorer.families[last_family].unload()


def steps(items: list[ScoreItem], config: ScoreConfig, scorer: Scorer) -> int:
    """How many progress steps :func:`score` reports for these items."""
    return len(items) * (len(scorer.groups) if config.one_model_at_a_time else 1)
