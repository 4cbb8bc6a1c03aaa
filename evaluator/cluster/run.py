"""Run a list of work items, in this process or on Ray: :func:`run_work`.

Both ways give the caller the same thing: ``on_result(item, result)`` on the driver as each item finishes (where
the caller writes it: a corpus row, a score row, a batch log line), a :class:`~evaluator.cluster.work.Failure`
per item that raised (the run goes on), progress after each item, and a :class:`~evaluator.cluster.work.RunReport`.
Ctrl-C raises :class:`~evaluator.cluster.work.RunInterrupted` once the workers are stopped; what was written
stays written, and the caller's re-run resumes from it.

In this process (``session=None``) the items run one after the other with one state (``Work.setup()`` once). On
Ray see :mod:`evaluator.cluster.ray_pool`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from evaluator.cluster.work import Failure, ProgressFn, RunInterrupted, RunReport, Work, WorkItem

if TYPE_CHECKING:
    from evaluator.cluster.session import RaySession

logger = logging.getLogger(__name__)

ResultFn = Callable[[WorkItem, Any], None]
FailureFn = Callable[[WorkItem, Failure], None]


def run_work(
    work: Work,
    items: Sequence[WorkItem],
    on_result: ResultFn,
    *,
    session: RaySession | None = None,
    on_failure: FailureFn | None = None,
    progress: ProgressFn | None = None,
) -> RunReport:
    """Do every item of ``items`` with ``work`` (see the module docstring); returns the run's report."""
    total = sum(it.size for it in items)
    report = RunReport(total=total, unit=work.unit)
    t0 = time.perf_counter()

    def finished(item: WorkItem, result: Any = None, failure: Failure | None = None) -> None:
        if failure is None:
            on_result(item, result)
            report.done += item.size
        else:
            logger.warning("%s %s failed: %s", work.unit, item.key, failure.error)
            report.failed.append(failure)
            if on_failure is not None:
                on_failure(item, failure)
        if progress is not None:
            progress(report.finished, sum(f.size for f in report.failed), total)

    try:
        if session is None:
            report.runner = {"backend": "in-process", "workers": 1}
            _run_here(work, items, finished)
        else:
            from evaluator.cluster.ray_pool import run_on_ray

            report.runner = session.describe()
            run_on_ray(work, items, finished, session, report.runner)
    except KeyboardInterrupt:
        report.interrupted = True
        report.elapsed = time.perf_counter() - t0
        raise RunInterrupted(report) from None
    report.elapsed = time.perf_counter() - t0
    return report


def _run_here(work: Work, items: Sequence[WorkItem], finished: Callable[..., None]) -> None:
    state = work.setup()
    for item in items:
        try:
            result = work.call(state, item.payload)
        except Exception as exc:  # one bad item never fails the run; its error is reported
            logger.debug("%s %s failed", work.unit, item.key, exc_info=True)
            finished(item, failure=Failure(item.key, f"{type(exc).__name__}: {exc}", item.size))
        else:
            finished(item, result)
