"""Score items with the chosen metrics, one JSONL row per item, resumable, then summarise.

>>> cfg = ScoreConfig(metrics=("dnsmos_ovrl",))
>>> Scorer(cfg).metric_names
['dnsmos_ovrl']
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evaluator.errors import ConfigError, DubkitError
from evaluator.fileio import json_safe, write_json, write_text
from evaluator.metrics import METRIC_SETS, OFFLINE_SUITE, ScoreItem, Source, create_metric, family_of, list_metrics
from evaluator.metrics.base import MetricFamily
from evaluator.scoring.rows import RowLog, read_rows
from evaluator.scoring.summary import summarize, summary_csv

if TYPE_CHECKING:
    from evaluator.cluster import RaySession

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
    #: items scored together by a worker: models that take batches (speaker embeddings, the sentence encoder)
    #: run once per batch; the same batch size gives the same digits (another can move a float32 model's last one)
    batch_size: int = 8
    #: torch's intra-op threads in each Ray worker (None: torch's default, one per core); a run in this process
    #: leaves its own process as it is (``dubkit score`` sets it there: :func:`use_threads`)
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {self.batch_size}", param="batch_size")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"threads must be at least 1, got {self.threads}", param="threads")


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

    def score_batch(self, items: list[ScoreItem], done: list[set[str]]) -> list[ScoredItem]:
        """Every family's metrics of each item (skipping the names in its ``done``), batch by batch: each family
        first computes what its model takes in batches for all the items (``MetricFamily.prefetch``), then scores
        them one by one. Each item's decoded audio is released once it is scored."""
        out = [ScoredItem(it.id, {}, {}) for it in items]
        for family in self.groups:
            todo = [(i, it) for i, it in enumerate(items) if set(self.groups[family]) - done[i]]
            if not todo:
                continue
            fam = self.families[family]
            if len(todo) > 1:
                names = [n for n in self.groups[family] if any(n not in done[i] for i, _ in todo)]
                t0 = time.perf_counter()
                try:
                    fam.prefetch([it for _, it in todo], names)
                except Exception as exc:  # each item is then scored alone, and its own error recorded on its row
                    logger.warning("%s: a batch of %d failed (%s); scoring them one by one", family, len(todo), exc)
                    fam.forget()
                share = (time.perf_counter() - t0) / len(todo)
                self.seconds[family] += share * len(todo)
            else:
                share = 0.0
            try:
                for i, it in todo:
                    before = self.seconds[family]
                    out[i].metrics.update(self.score_family(family, it, done[i]))
                    out[i].seconds[family] = share + self.seconds[family] - before
            finally:
                fam.forget()
        for it in items:
            it.release()
        return out

    def unload(self) -> None:
        for fam in self.families.values():
            fam.unload()


@dataclass
class ScoredItem:
    """One item's metric entries from a worker, with the seconds each family spent on it."""

    id: str
    metrics: dict[str, dict[str, Any]]
    seconds: dict[str, float]


def use_threads(threads: int | None) -> int | None:
    """Run torch's intra-op work on ``threads`` threads in this process (None: leave it); returns the count it
    had (to restore). One thread per worker is the throughput setting: torch's default of one per core made the
    speaker LSTM five times slower on cores other processes were using (benchmarks/score_throughput.py), and a
    float32 model's last digit can depend on the thread count, so workers and a run in one process agree only
    at the same count."""
    if threads is None:
        return None
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    return before


def worker_scorer(config: ScoreConfig) -> Scorer:
    """A Ray worker's state: its threads set (the worker process is the run's), then its own :class:`Scorer`."""
    use_threads(config.threads)
    return Scorer(config)


def score_batch(scorer: Scorer, payload: tuple[list[ScoreItem], list[set[str]]]) -> list[ScoredItem]:
    """A worker's call (:class:`evaluator.cluster.Work`): one batch of items and what each already has."""
    items, done = payload
    return scorer.score_batch(items, done)


def failed_entries(scorer: Scorer, item_id: str, names: list[str], error: str) -> dict[str, dict[str, Any]]:
    """Error entries for ``names`` of an item whose worker failed on it (recorded; a resumed run scores it again)."""
    out = {}
    for n in names:
        s = scorer.families[family_of(n)].spec(n)
        out[n] = {"value": None, "backend": s.backend, "model_id": s.model_id, "sample_rate": s.sample_rate,
                  "error": error}  # fmt: skip
    return out


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
    session: RaySession | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Score ``items`` into ``out_dir`` (scores.jsonl, summary.json, summary.csv); returns the summary.

    Each item's row is appended to ``scores.jsonl`` and flushed as it is scored (:mod:`evaluator.scoring.rows`);
    the finished file has one line per id. With ``config.resume`` the metrics already in ``scores.jsonl`` are
    kept (a torn last line from an interrupted run is dropped with a warning); with ``one_model_at_a_time``
    each metric family runs over every item and is unloaded before the next family loads.
    ``annotate(rows, items)`` may add entries to the rows after the metrics (DubScore, proxy MOS); what it
    returns is added to the summary.

    With a Ray ``session`` the items are scored by workers that each hold their own :class:`Scorer` (its models
    loaded once per worker), in batches of ``config.batch_size``; each row is appended here as its batch comes
    back, and the finished file is rewritten in the items' order, so it is the same file as a run in this process
    gives. An item whose worker died more often than the session retries gets error entries (status ``error``;
    ``resume`` scores it again). ``on_row(row)`` is called after each row is appended.
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

    if session is not None and config.one_model_at_a_time:
        raise ConfigError(
            "one_model_at_a_time is for a run in one process: on a cluster each worker holds its own models",
            param=("one_model_at_a_time", "ray"),
        )
    log = RowLog(rows_path, fresh=not config.resume)
    try:
        if config.one_model_at_a_time:
            _score_rows(items, rows, config, scorer, log, progress)
        else:
            _score_batches(items, rows, config, scorer, log, progress, session, on_row)
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


def _score_batches(
    items: list[ScoreItem],
    rows: dict[str, dict[str, Any]],
    config: ScoreConfig,
    scorer: Scorer,
    log: RowLog,
    progress: Callable[[int], None] | None,
    session: RaySession | None,
    on_row: Callable[[dict[str, Any]], None] | None,
) -> None:
    """Score the items batch by batch, here or on Ray (:func:`evaluator.cluster.run_work`), appending each row."""
    from evaluator.cluster import Failure, Work, WorkItem, run_work

    step = 0

    def finish(item_id: str) -> None:
        nonlocal step
        row = rows[item_id]
        row["status"] = "error" if any("error" in m for m in row["metrics"].values()) else "ok"
        log.append(row)
        step += 1
        if on_row is not None:
            on_row(row)
        if progress is not None:
            progress(step)

    def on_result(batch: WorkItem, scored: list[ScoredItem]) -> None:
        for r in scored:
            rows[r.id]["metrics"].update(r.metrics)
            if session is not None:  # in this process the scorer counted its own seconds
                for fam, sec in r.seconds.items():
                    scorer.seconds[fam] += sec
            finish(r.id)

    def on_failure(batch: WorkItem, failure: Failure) -> None:
        for it in batch.payload[0]:
            item_id = it.id
            done = _done(rows[item_id])
            names = [n for n in scorer.metric_names if n not in done]
            rows[item_id]["metrics"].update(failed_entries(scorer, item_id, names, failure.error))
            finish(item_id)

    size = config.batch_size
    batches = []
    for k in range(0, len(items), size):
        chunk = items[k : k + size]
        sent = chunk if session is None else [_absolute(it) for it in chunk]
        payload = (sent, [_done(rows[it.id]) for it in chunk])
        batches.append(WorkItem(", ".join(it.id for it in chunk), payload, len(chunk)))
    setup = partial(_own_scorer, scorer) if session is None else partial(worker_scorer, config)
    work = Work(setup=setup, call=score_batch, unit="item")
    run_work(work, batches, on_result, session=session, on_failure=on_failure)


def _absolute(item: ScoreItem) -> ScoreItem:
    """``item`` with its files' paths absolute, as a Ray worker needs them: its working folder is not this
    process's (on another node, or where ``ray start`` ran). The rows record the paths as given."""

    def fix(src: Source | None) -> Source | None:
        if src is None or src.path is None or Path(src.path).is_absolute():
            return src
        return replace(src, path=str(Path(src.path).resolve()))

    return replace(
        item, audio_src=fix(item.audio_src), reference_src=fix(item.reference_src), voice_src=fix(item.voice_src),
        video=fix(item.video), speech_src=fix(item.speech_src), _cache={},
    )  # fmt: skip


def _own_scorer(scorer: Scorer) -> Scorer:
    return scorer


def steps(items: list[ScoreItem], config: ScoreConfig, scorer: Scorer) -> int:
    """How many progress steps :func:`score` reports for these items."""
    return len(items) * (len(scorer.groups) if config.one_model_at_a_time else 1)
