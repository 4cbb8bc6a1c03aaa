"""What a run hands its workers (:class:`Work`, :class:`WorkItem`) and what it tells its caller (:class:`RunReport`).

A :class:`Work` is two plain functions: ``setup()`` builds a worker's state once (a scorer with its models, a
synthesizer and a translator) and ``call(state, payload)`` does one item with it and returns its result. Both
are pickled to the workers, so they are module-level functions or ``functools.partial`` of them over plain data
(configs), never objects holding loaded models. The result goes back to the driver, which writes it where it
belongs (the caller's ``on_result``); a worker writes only files of its own item (a clip's media, an episode's
project), atomically, so a retried item overwrites its own files and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: progress(finished, failed, total) after each item (finished counts the failed ones too)
ProgressFn = Callable[[int, int, int], None]


@dataclass(frozen=True)
class Work:
    """What each worker does: ``setup()`` once per worker, then ``call(state, payload)`` per item.

    ``holds_model``: the state is worth keeping (models): workers are long-lived (Ray actors, requesting a GPU
    where the cluster has one); otherwise each item is a Ray task that builds its state itself. ``unit`` names
    one item in messages ("clip", "episode")."""

    setup: Callable[[], Any]
    call: Callable[[Any, Any], Any]
    unit: str = "item"
    holds_model: bool = True


@dataclass(frozen=True)
class WorkItem:
    """One unit of work: ``key`` names it in reports, ``payload`` goes to ``Work.call``, ``size`` is how many of
    the caller's items it holds (a batch of clips counts as its clips in the progress)."""

    key: str
    payload: Any
    size: int = 1


@dataclass(frozen=True)
class Failure:
    """An item that could not be done, with the error (the worker's exception, or how its worker died)."""

    key: str
    error: str
    size: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "error": self.error}


@dataclass
class RunReport:
    """What a run did: items done and failed, whether it was interrupted, where it ran, how long it took."""

    total: int
    unit: str = "item"
    done: int = 0
    failed: list[Failure] = field(default_factory=list)
    interrupted: bool = False
    elapsed: float = 0.0
    runner: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> int:
        return self.done + sum(f.size for f in self.failed)

    def describe(self) -> str:
        """``12 of 40 clips done, 1 failed``."""
        unit = self.unit if self.total == 1 else f"{self.unit}s"
        failed = sum(f.size for f in self.failed)
        return f"{self.done} of {self.total} {unit} done" + (f", {failed} failed" if failed else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "done": self.done,
            "failed": [f.to_dict() for f in self.failed],
            "interrupted": self.interrupted,
            "elapsed_s": round(self.elapsed, 2),
            "runner": self.runner,
        }


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: the items finished so far are written; the message says how far it got."""

    def __init__(self, report: RunReport) -> None:
        super().__init__(report.describe())
        self.report = report


class SetupFailed(Exception):
    """A worker could not build its state (a model that does not load): the run stops with the cause."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause = cause
