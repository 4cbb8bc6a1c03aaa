"""Running work items in this process or on a Ray cluster, nothing lost, nothing twice.

A command's long list (episodes to dub, clips to build, items to score) becomes :class:`WorkItem`\\ s and one
:class:`Work` (how a worker builds its state once, how it does one item); :func:`run_work` does them here one
after the other, or, given a :class:`RaySession`, on Ray: model-holding work in actors that load the model
once, the rest as tasks, at most a few items per worker in flight. Results come back to the driver, which
writes each where it belongs as it finishes::

    from evaluator.cluster import RaySession, Work, WorkItem, run_work

    work = Work(setup=load_models, call=do_one, unit="clip")
    with RaySession("local") as session:            # or "auto", or "HEAD:6379"
        report = run_work(work, [WorkItem(k, p) for k, p in todo], on_result=write_row, session=session)

Ray is imported only when a session starts (``import evaluator.cluster`` stays light). docs/scale.md says why a
bounded queue of object refs and not Ray Data, and how a run recovers from a dead worker or node.
"""

from evaluator.cluster.run import run_work
from evaluator.cluster.session import AUTO, LOCAL, RaySession, check_address
from evaluator.cluster.work import Failure, ProgressFn, RunInterrupted, RunReport, SetupFailed, Work, WorkItem

__all__ = [
    "AUTO",
    "LOCAL",
    "Failure",
    "ProgressFn",
    "RaySession",
    "RunInterrupted",
    "RunReport",
    "SetupFailed",
    "Work",
    "WorkItem",
    "check_address",
    "run_work",
]
