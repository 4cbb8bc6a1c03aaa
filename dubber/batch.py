"""Dub many episodes (a season): :func:`dub_batch` runs :meth:`dubber.pipeline.Dubber.run` once per
:class:`EpisodeJob`, in this process or on Ray, and keeps a log of what it finished.

Each episode writes its own outputs and project (``DubConfig.output``, ``DubConfig.resolved_project()``), on
the worker that dubs it: on a cluster they must be on storage every node sees. Workers hold their
synthesizers (one per synthesizer and options: loaded once per worker, reused by every episode that asks for
it; Ray actors, with a GPU where the cluster has one).

The batch log (``LOG_DIR/jobs.jsonl``, one row per episode, appended as each finishes) records the
episode's fingerprint: its configuration and the size and modification time of each input file. A re-run skips
an episode whose row says done with the same fingerprint and whose outputs exist (nothing is rendered or
mixed again); any other episode runs, and its project carries over every unchanged line (the manifest's input
hashes), so an episode interrupted mid-way resumes at its last saved chunk. An episode that fails is logged
with its error and the others go on; the next run tries it again.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dubber.config import DubConfig
from evaluator.errors import ConfigError
from evaluator.fileio import json_safe, stable_hash, write_json
from evaluator.scoring.rows import RowLog, read_rows

if TYPE_CHECKING:
    from dubber.synth import Synthesizer
    from evaluator.cluster import ProgressFn, RaySession

logger = logging.getLogger(__name__)

LOG_NAME = "jobs.jsonl"
SUMMARY_NAME = "summary.json"
#: the DubConfig fields that name input files (their size and modification time are part of the fingerprint)
INPUT_FIELDS = ("video", "script", "source_script", "background", "glossary", "library", "dubscore_model")


@dataclass(frozen=True)
class EpisodeJob:
    """One episode to dub: its configuration and where it came from (``source``: e.g. ``JOBS.csv row 3``)."""

    config: DubConfig
    source: str = ""

    @property
    def key(self) -> str:
        """The episode's name in the log: its output path."""
        return str(Path(self.config.output).resolve())

    def fingerprint(self) -> str:
        """A hash of the configuration and of each input file's size and modification time."""
        cfg = {f.name: getattr(self.config, f.name) for f in dataclasses.fields(self.config)}
        cfg["force_lines"] = sorted(cfg["force_lines"])
        cfg["caps"] = dataclasses.asdict(cfg["caps"])
        cfg["translate_options"] = {k: str(v) for k, v in sorted(cfg["translate_options"].items())}
        files = {}
        for name in INPUT_FIELDS:
            value = getattr(self.config, name)
            if value is not None and Path(value).exists():
                st = Path(value).stat()
                files[name] = [st.st_size, st.st_mtime_ns]
        for key, value in self.config.translate_options.items():  # a translation table is an input too
            if isinstance(value, os.PathLike) and Path(value).is_file():
                st = Path(value).stat()
                files[f"translate_options.{key}"] = [st.st_size, st.st_mtime_ns]
        return stable_hash(json_safe({"config": cfg, "files": files}))

    def outputs_exist(self) -> bool:
        cfg = self.config
        return all(p.is_file() for p in (cfg.output, cfg.resolved_project() / "manifest.json"))


@dataclass(frozen=True)
class EpisodeOutcome:
    """What a worker returns for one episode: ``DubResult.to_dict()`` without the per-line fit table."""

    summary: dict[str, Any]


@dataclass
class BatchResult:
    """What one batch run did: episodes dubbed now, skipped as done, failed (with errors); the run's runner."""

    log_dir: Path
    jobs: int
    dubbed: list[dict[str, Any]] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    runner: dict[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "jobs": self.jobs,
            "dubbed": self.dubbed,
            "resumed": self.resumed,
            "failed": self.failed,
            "rendered_lines": sum(d.get("rendered", 0) for d in self.dubbed),
            "log": str(self.log_dir / LOG_NAME),
            "runner": self.runner,
            "elapsed_s": round(self.elapsed, 2),
        }


class EpisodeWorker:
    """A worker's state: its synthesizers, one per (name, options), each loaded once."""

    def __init__(self) -> None:
        self.synths: dict[str, Synthesizer] = {}

    def synth(self, cfg: DubConfig) -> Synthesizer:
        from dubber.synth import create_synthesizer

        key = stable_hash([cfg.synth, {k: str(v) for k, v in sorted(cfg.synth_options.items())}])
        if key not in self.synths:
            self.synths[key] = create_synthesizer(cfg.synth, cfg.synth_options)
        return self.synths[key]


def dub_episode(worker: EpisodeWorker, cfg: DubConfig) -> EpisodeOutcome:
    """A worker's call: :meth:`Dubber.run` on one episode with the worker's synthesizer."""
    from dubber.pipeline import Dubber

    summary = Dubber(cfg, synthesizer=worker.synth(cfg)).run().to_dict()
    summary.pop("fit", None)
    return EpisodeOutcome(json_safe(summary))


def check_jobs(jobs: Sequence[EpisodeJob]) -> None:
    """Refuse two jobs that write the same output or project (they would overwrite each other)."""
    seen: dict[str, str] = {}
    for job in jobs:
        for path in (job.key, str(job.config.resolved_project().resolve())):
            if path in seen:
                raise ConfigError(
                    f"{job.source} and {seen[path]} both write {path}",
                    hint="give each episode its own output (and project)",
                )
            seen[path] = job.source or job.key


def dub_batch(
    jobs: Sequence[EpisodeJob],
    log_dir: str | Path,
    *,
    session: RaySession | None = None,
    progress: ProgressFn | None = None,
) -> BatchResult:
    """Dub every episode of ``jobs`` not already done (see the module docstring); the log and ``summary.json``
    go to ``log_dir``. Without ``session`` the episodes run one after the other in this process.
    ``progress(finished, failed, total)`` counts every job (those done before count as finished)."""
    from evaluator.cluster import Failure, Work, WorkItem, run_work

    t0 = time.perf_counter()
    check_jobs(jobs)
    out = Path(log_dir)
    out.mkdir(parents=True, exist_ok=True)
    previous = read_rows(out / LOG_NAME, repair=True)
    result = BatchResult(log_dir=out, jobs=len(jobs))
    prints = {job.key: job.fingerprint() for job in jobs}  # the inputs as this run found them
    todo = []
    for job in jobs:
        row = previous.get(job.key)
        if row and row.get("status") == "done" and row.get("fingerprint") == prints[job.key] and job.outputs_exist():
            result.resumed.append(job.key)
        else:
            todo.append(job)
    log = RowLog(out / LOG_NAME, fresh=False)

    def on_result(item: WorkItem, outcome: EpisodeOutcome) -> None:
        job: EpisodeJob = item.payload
        log.append({"id": job.key, "status": "done", "fingerprint": prints[job.key], "source": job.source,
                    **outcome.summary})  # fmt: skip
        result.dubbed.append({"source": job.source, **outcome.summary})

    def on_failure(item: WorkItem, failure: Failure) -> None:
        job: EpisodeJob = item.payload
        log.append({"id": job.key, "status": "failed", "source": job.source, "error": failure.error})
        result.failed.append({"output": job.key, "source": job.source, "error": failure.error})

    items = [WorkItem(job.key, job) for job in todo]
    work = Work(setup=EpisodeWorker, call=_call, unit="episode")
    skipped = len(result.resumed)
    bar = None if progress is None else partial(_offset, progress, skipped, len(jobs))
    if bar is not None:
        bar(0, 0, len(todo))
    try:
        report = run_work(work, items, on_result, session=session, on_failure=on_failure, progress=bar)
        result.runner = report.runner
    finally:
        log.close()
        result.elapsed = time.perf_counter() - t0
        write_json(out / SUMMARY_NAME, result.to_dict())
    return result


def _call(worker: EpisodeWorker, job: EpisodeJob) -> EpisodeOutcome:
    return dub_episode(worker, job.config)


def _offset(progress: ProgressFn, skipped: int, total: int, finished: int, failed: int, _todo: int) -> None:
    """The run's progress counted over every job (those done before count as finished)."""
    progress(skipped + finished, failed, total)
