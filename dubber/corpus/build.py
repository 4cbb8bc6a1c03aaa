"""The corpus build driver: plan the clips of a dataset, make each (one at a time here), append, resume, report.

:func:`plan_corpus` reads the dataset (:data:`evaluator.datasets.DATASETS`), sorts the utterances by id,
keeps the first ``limit``, draws the original clips, and gives each dubbed clip its scene neighbours as
dialogue context. :func:`build_corpus` makes every clip not yet in ``corpus.jsonl`` with
:func:`dubber.corpus.clip.build_clip` and appends its row, in id order; a clip that fails is reported
(``build_report.json``, stage ``build``, with its reason) and the build goes on. A re-run repairs a torn
last line, skips the rows written, retries the clips that failed, and refuses to mix rows of another
configuration (dataset, language, fit, seed, translator, synthesizer) into the corpus.

A build on Ray (``build_corpus(..., session=)``) does the same with the same pieces: ``plan_corpus`` on the
driver, ``build_clip`` per task on the workers (:mod:`dubber.corpus.workers`), the rows appended by the driver
as they come back (``CorpusFile.append``), then :func:`finish_corpus`, which sorts them once.
"""

from __future__ import annotations

import json
import logging
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dubber.corpus.clip import describe_backends
from dubber.corpus.spec import CorpusSpec
from dubber.corpus.task import ClipTask
from dubber.corpus.workers import ClipOutcome, CorpusBackends, given, make_clip, no_backends
from dubber.synth.base import Synthesizer
from dubber.translate import TranslationJob, Translator
from evaluator.corpus import REPORT_NAME, CorpusFile
from evaluator.datasets import DATASETS, BuildReport, DatasetUtterance
from evaluator.errors import ConfigError, DatasetError
from evaluator.fileio import json_safe, write_json

if TYPE_CHECKING:
    from evaluator.cluster import RaySession

logger = logging.getLogger(__name__)

#: progress(done, total, written, skipped) after each clip of the run
ProgressFn = Callable[[int, int, int, int], None]
#: what must be the same for rows to share one corpus (limit and originals may grow between runs)
CONFIG_KEYS = ("dataset", "target_lang", "fit", "cap_global", "caps", "max_global_factor", "seed", "sr", "trim_top_db")


@dataclass
class CorpusPlan:
    """The clips of one build, sorted by row id, with the readers' report and the translation job."""

    spec: CorpusSpec
    dataset_dir: Path
    tasks: list[ClipTask]
    report: BuildReport
    job: TranslationJob
    utterances: int  # utterances the readers yielded (before ``limit``)


def plan_corpus(dataset_dir: str | Path, spec: CorpusSpec) -> CorpusPlan:
    """Read the dataset and list the clips to make (see the module docstring)."""
    root = Path(dataset_dir).resolve()  # rows hold absolute paths to the dataset's files
    report = BuildReport()
    utterances = list(DATASETS.get(spec.dataset)(root, report=report))
    if not utterances:
        raise DatasetError(f"{root}: no usable utterance in the {spec.dataset} dataset", hint="see the readers' report")
    langs = sorted({u.lang for u in utterances})
    if len(langs) != 1:
        raise DatasetError(f"{root}: utterances in several languages ({', '.join(langs)})")
    window = {} if spec.context is None else {"context_before": spec.context, "context_after": spec.context}
    job = TranslationJob(target_lang=spec.target_lang, source_lang=langs[0], min_ratio=spec.caps.min_ratio, **window)
    if job.source_lang == job.target_lang:
        raise ConfigError(f"the {spec.dataset} utterances are already in {job.target_lang!r}", param="target_lang")
    context = scene_context(utterances, job.context_before, job.context_after)
    ordered = sorted(utterances, key=lambda u: u.id)
    dubbed = ordered[: spec.limit] if spec.sample is None else seeded_first(ordered, spec.sample, f"dubs:{spec.seed}")
    tasks = [ClipTask("dubbed", u, *context[u.id]) for u in dubbed]
    # drawn from the whole dataset, whatever the limit: a corpus grown in steps gets the same originals
    tasks += [ClipTask("original", u) for u in pick_originals(ordered, spec.originals, spec.seed, report)]
    tasks.sort(key=lambda t: t.row_id)
    return CorpusPlan(spec=spec, dataset_dir=root, tasks=tasks, report=report, job=job, utterances=len(utterances))


def scene_context(
    utterances: Sequence[DatasetUtterance], before: int, after: int
) -> dict[str, tuple[tuple[DatasetUtterance, ...], tuple[DatasetUtterance, ...]]]:
    """Per utterance id, the utterances of its scene (split, episode, scene; dataset order) just before and after."""
    scenes: dict[tuple[Any, ...], list[DatasetUtterance]] = {}
    for u in utterances:
        scenes.setdefault((u.split, u.episode, u.scene), []).append(u)
    out = {}
    for scene in scenes.values():
        for i, u in enumerate(scene):
            out[u.id] = (tuple(scene[max(0, i - before) : i]), tuple(scene[i + 1 : i + 1 + after]))
    return out


def pick_originals(
    utterances: Sequence[DatasetUtterance], n: int, seed: int, report: BuildReport
) -> list[DatasetUtterance]:
    """``n`` utterances with a clip file, drawn with ``seed``: the first ``n`` of one seeded shuffle, so a
    re-run asking for more originals keeps the ones it has."""
    if n <= 0:
        return []
    pool = [u for u in utterances if u.audio is not None or u.video is not None]
    if n > len(pool):
        report.note(f"{n} original clips asked for, {len(pool)} utterances have a clip: all are used", stage="build")
        return pool
    return seeded_first(pool, n, f"originals:{seed}")


def seeded_first(items: Sequence[DatasetUtterance], n: int, seed: str) -> list[DatasetUtterance]:
    """The first ``n`` of ``items`` shuffled with ``seed`` (so ``n + 1`` keeps those ``n``), back in id order."""
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    return sorted(shuffled[:n], key=lambda u: u.id)


@dataclass
class BuildResult:
    """What one run did: rows written now, rows already there, clips skipped (reason per clip), timings."""

    corpus_dir: Path
    written: int = 0
    resumed: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, list[float]] = field(default_factory=lambda: {"dubbed": [], "original": []})
    elapsed: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    repaired: bool = False

    @property
    def attempted(self) -> int:
        return self.written + len(self.skipped)

    def timing(self) -> dict[str, Any]:
        """Seconds per clip of this run, by kind (n, mean, median, total), and the run's wall time."""
        out: dict[str, Any] = {"elapsed_s": round(self.elapsed, 2)}
        for kind, xs in self.seconds.items():
            if xs:
                out[kind] = {"n": len(xs), "mean_s": round(statistics.fmean(xs), 3),
                             "median_s": round(statistics.median(xs), 3), "total_s": round(sum(xs), 2)}  # fmt: skip
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "corpus": str(self.corpus_dir),
            "rows": self.rows,
            "written": self.written,
            "resumed": self.resumed,
            "skipped": self.skipped,
            "repaired_torn_line": self.repaired,
            "timing": self.timing(),
        }


def build_corpus(
    plan: CorpusPlan,
    corpus_dir: str | Path,
    *,
    translator: Translator,
    synth: Synthesizer,
    progress: ProgressFn | None = None,
    session: RaySession | None = None,
    backends: CorpusBackends | None = None,
) -> BuildResult:
    """Make every clip of ``plan`` not yet in ``corpus_dir/corpus.jsonl`` (see the module docstring).

    With a Ray ``session`` the clips are made by workers: the dubbed ones by actors that each build the
    translator and synthesizer of ``backends`` once, the original ones (no model) as tasks; each row is
    appended here as it comes back, and :func:`finish_corpus` sorts the file once, so it is the same file
    as a run in this process writes. ``translator`` and ``synth`` (the driver's) check the languages and
    make the build's configuration record."""
    from evaluator.cluster import Failure, Work, WorkItem, run_work

    t0 = time.perf_counter()
    spec, out = plan.spec, Path(corpus_dir)
    if session is not None and backends is None:
        raise ConfigError("a build on Ray needs the backends' names and options for its workers", param="backends")
    check_backends(plan, translator, synth)
    config = build_config(spec, translator, synth)
    check_resume(out, config)
    out.mkdir(parents=True, exist_ok=True)
    corpus = CorpusFile(out)
    result = BuildResult(corpus_dir=out, repaired=corpus.repair())
    done = {r.id for r in corpus.rows()}
    todo = [t for t in plan.tasks if t.row_id not in done]
    result.resumed = len(plan.tasks) - len(todo)
    report = plan.report
    finished = 0

    def tick() -> None:
        nonlocal finished
        finished += 1
        if progress is not None:
            progress(finished, len(todo), result.written, len(result.skipped))

    def on_result(item: WorkItem, outcome: ClipOutcome) -> None:
        task = item.payload
        if outcome.row is None:
            _skip(result, report, task, outcome.skipped or "skipped")
        else:
            corpus.append(outcome.row)
            result.written += 1
            result.seconds[task.kind].append(outcome.seconds)
        tick()

    def on_failure(item: WorkItem, failure: Failure) -> None:
        _skip(result, report, item.payload, f"failed ({failure.error})")
        tick()

    # absolute: a Ray worker's working folder is not this process's (another node, or where `ray start` ran)
    call = partial(make_clip, corpus_dir=out.resolve(), spec=spec, job=plan.job)
    if session is None:
        runs = [(Work(partial(given, translator, synth), call, unit="clip"), todo)]
    else:
        runs = [
            (Work(no_backends, call, unit="clip", holds_model=False), [t for t in todo if t.kind == "original"]),
            (Work(backends.build, call, unit="clip"), [t for t in todo if t.kind != "original"]),  # type: ignore[union-attr]
        ]
    try:
        for work, tasks in runs:
            if tasks:
                items = [WorkItem(t.row_id, t) for t in tasks]
                run_work(work, items, on_result, session=session, on_failure=on_failure)
    finally:
        finish_corpus(out, plan, config, result, t0)
    return result


def _skip(result: BuildResult, report: BuildReport, task: ClipTask, reason: str) -> None:
    u = task.utterance
    report.skip(reason, file=u.source_file, line=u.source_line, id=task.row_id, stage="build")
    result.skipped.append({"id": task.row_id, "kind": task.kind, "reason": reason})


def check_backends(plan: CorpusPlan, translator: Translator, synth: Synthesizer) -> None:
    """Refuse, before any clip, a synthesizer or translator that cannot do the languages."""
    lang = plan.spec.target_lang
    if any(t.kind == "dubbed" for t in plan.tasks) and not synth.supports(lang):
        raise ConfigError(
            f"the {synth.name} synthesizer ({synth.model_id}) cannot speak {lang!r}",
            hint=f"it speaks {', '.join(synth.languages()[:12])}; pick a synthesizer or model that speaks {lang} "
            "(f5: a checkpoint trained on it, with its vocab and languages options)",
        )
    translator.check_languages(plan.job.source_lang, plan.job.target_lang)


def build_config(spec: CorpusSpec, translator: Translator, synth: Synthesizer) -> dict[str, Any]:
    """What the rows of a corpus must share: ``CONFIG_KEYS`` of the spec, the synthesizer, and the translator
    backend (not its model: a table may gain rows between runs; each row records its translation's model)."""
    d = spec.to_dict()
    backends = describe_backends(translator, synth)
    return json_safe({**{k: d[k] for k in CONFIG_KEYS}, "synthesizer": backends["synthesizer"],
                      "translator": backends["translator"]["backend"]})  # fmt: skip


def check_resume(corpus_dir: Path, config: dict[str, Any]) -> None:
    """Refuse to add rows of another configuration to a corpus that has rows."""
    path = corpus_dir / REPORT_NAME
    if not path.is_file() or not CorpusFile(corpus_dir).rows():
        return
    try:
        before = json.loads(path.read_text(encoding="utf-8")).get("config") or {}
    except json.JSONDecodeError:
        raise DatasetError(f"{path}: not valid JSON", hint="delete it to rebuild the report") from None
    changed = sorted(k for k in set(config) | set(before) if config.get(k) != before.get(k))
    if changed:
        raise ConfigError(
            f"{corpus_dir}: the corpus was built with other settings; these differ: {', '.join(changed)}",
            hint="write this configuration to another directory, or re-run with the same options to resume",
        )


def finish_corpus(corpus_dir: Path, plan: CorpusPlan, config: dict[str, Any], result: BuildResult, t0: float) -> None:
    """Sort ``corpus.jsonl`` when a re-run filled a gap, count the rows, write ``build_report.json``."""
    corpus = CorpusFile(corpus_dir)
    if corpus.path.is_file():
        corpus.sort()
    rows = corpus.rows()
    result.rows = {kind: sum(r.kind == kind for r in rows) for kind in ("dubbed", "original")}
    result.elapsed = time.perf_counter() - t0
    report = plan.report
    report.counts["build_skipped"] = len(result.skipped)
    d = report.to_dict()
    d["config"] = config
    d["spec"] = json_safe(plan.spec.to_dict())
    d["dataset_dir"] = str(plan.dataset_dir)
    build = {k: v for k, v in result.to_dict().items() if k != "skipped"}  # the skips are entries above
    d["build"] = {**build, "planned": len(plan.tasks), "utterances": plan.utterances}
    write_json(corpus_dir / REPORT_NAME, d)
