"""Work items on Ray: model-holding work in a pool of actors, the rest as tasks, a bounded queue of object refs.

- **Actors** (``Work.holds_model``): ``session.workers()`` long-lived workers, each building its state
  (``Work.setup``) once, on its first item, and keeping it. Each asks for a CPU and, where the cluster has GPUs,
  a GPU (Ray sets ``CUDA_VISIBLE_DEVICES`` for it); they are spread over the nodes. An actor whose process dies
  (killed, out of memory, its node gone) is restarted, on any node, and the items it held are run again on it
  (``max_task_retries``: ``session.retries``); an item whose worker died more often than that is a failure.
- **Tasks** (no model): one Ray task per item (``max_retries``: ``session.retries``; an exception raised by the
  item's own code is not retried: it would raise again).
- **Bounded**: at most ``depth`` items per worker are submitted and not yet collected (for tasks, ``depth`` per
  CPU); the next item is submitted when one is collected, so memory does not grow with the list.
- An exception raised by an item is that item's failure; one raised while a worker builds its state
  (:class:`~evaluator.cluster.work.SetupFailed`) stops the run with that error.
- Ctrl-C: the actors are killed and the tasks cancelled before the interruption goes up.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

import ray
from ray.exceptions import (
    NodeDiedError,
    ObjectLostError,
    OutOfMemoryError,
    RayActorError,
    RayTaskError,
    TaskCancelledError,
    WorkerCrashedError,
)

from evaluator.cluster.session import RaySession
from evaluator.cluster.work import Failure, SetupFailed, Work, WorkItem
from evaluator.errors import BackendError, DubkitError

logger = logging.getLogger(__name__)

#: the worker process (or its node) died while it held the item
WORKER_LOST = (RayActorError, WorkerCrashedError, NodeDiedError, ObjectLostError, OutOfMemoryError)


@ray.remote
class WorkerActor:
    """One long-lived worker: its state is built on the first item and kept."""

    def __init__(self, work: Work) -> None:
        self.work = work
        self.state: Any = None
        self.ready = False

    def pid(self) -> int:
        return os.getpid()

    def call(self, payload: Any) -> Any:
        if not self.ready:
            try:
                self.state = self.work.setup()
            except Exception as exc:
                raise SetupFailed(exc) from exc
            self.ready = True
        return self.work.call(self.state, payload)


@ray.remote
def run_task(work: Work, payload: Any) -> Any:
    """One item as a task: builds its (model-free) state, does the item."""
    try:
        state = work.setup()
    except Exception as exc:
        raise SetupFailed(exc) from exc
    return work.call(state, payload)


def run_on_ray(
    work: Work,
    items: Sequence[WorkItem],
    finished: Callable[..., None],
    session: RaySession,
    runner: dict[str, Any],
) -> None:
    """Submit ``items`` with at most ``depth`` per worker outstanding; ``finished`` each as it comes back."""
    n = session.workers(work.holds_model)
    actors: list[Any] = []
    if work.holds_model:
        opts = session.actor_resources(n)
        actors = [  # the work goes by value: a restarted actor needs nothing from the object store
            WorkerActor.options(
                max_restarts=-1, max_task_retries=session.retries, scheduling_strategy="SPREAD", **opts
            ).remote(work)
            for _ in range(n)
        ]
        runner.update(workers=n, worker="actor", **opts)
        limit = n * session.depth
    else:
        work_ref = ray.put(work)
        runner.update(workers=n, worker="task")
        limit = n * (session.depth + 1)  # a task's worker process is found when it is submitted: keep one waiting
    load = [0] * len(actors)
    pending: dict[Any, tuple[WorkItem, int]] = {}
    todo = iter(items)
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < limit:
                item = next(todo, None)
                if item is None:
                    exhausted = True
                    break
                if actors:
                    a = min(range(len(actors)), key=load.__getitem__)
                    ref = actors[a].call.remote(item.payload)
                    load[a] += 1
                else:
                    a = -1
                    ref = run_task.options(max_retries=session.retries, retry_exceptions=False).remote(
                        work_ref, item.payload
                    )
                pending[ref] = (item, a)
            if not pending:
                break
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                item, a = pending.pop(ref)
                if a >= 0:
                    load[a] -= 1
                _collect(ref, item, finished, session)
    except BaseException:
        _abort(actors, pending)
        raise
    for actor in actors:
        ray.kill(actor, no_restart=True)


def _abort(actors: list[Any], pending: dict[Any, Any]) -> None:
    """Stop the workers and collect what they held (an error never collected is printed by Ray at exit)."""
    for actor in actors:
        ray.kill(actor, no_restart=True)
    if not actors:
        for ref in pending:
            ray.cancel(ref, force=True)
    for ref in pending:
        try:
            ray.get(ref, timeout=10)
        except Exception:  # noqa: S112 - the run is stopping; what they held is not collected
            continue


def _collect(ref: Any, item: WorkItem, finished: Callable[..., None], session: RaySession) -> None:
    try:
        result = ray.get(ref)
    except RayTaskError as exc:
        cause = exc.cause if exc.cause is not None else exc
        if isinstance(cause, SetupFailed):
            original = cause.cause
            if isinstance(original, DubkitError):
                raise original from None
            raise BackendError(f"a worker could not start: {cause}") from None
        finished(item, failure=Failure(item.key, f"{type(cause).__name__}: {cause}", item.size))
    except WORKER_LOST as exc:
        tries = session.retries + 1
        why = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        error = f"its worker died {tries} time{'s' if tries > 1 else ''} ({type(exc).__name__}: {why})"
        finished(item, failure=Failure(item.key, error, item.size))
    except TaskCancelledError:  # cancelled from outside this run (ray cancel): the item is not done
        finished(item, failure=Failure(item.key, "cancelled", item.size))
    else:
        finished(item, result)
