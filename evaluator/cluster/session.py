"""A connection to Ray for one run: :class:`RaySession` starts Ray inside this process or joins a cluster.

``address``:

``local``
    Ray starts inside this process on this machine (embedded: nothing to install or start beforehand; it stops
    when the run ends). ``num_cpus`` caps the CPUs it uses (default: all of this machine's).
``auto``
    Join the cluster this machine belongs to (``RAY_ADDRESS``, or one started here with ``ray start``); with none,
    start one inside the process as ``local`` does.
``HOST:PORT`` or ``ray://HOST:PORT``
    Join that cluster (the head node's GCS address, or its Ray Client port). Every node must have dubkit
    installed (the same version), and the run's inputs and outputs must be on storage every node sees at the
    same paths.

When Ray is already initialised in this process (a test module sharing one local Ray), the session uses it
and leaves it running.

While a session's ``with`` block runs, what Ray prints on this process's standard output (its notes about
retried tasks and dead workers) goes to the ``evaluator.cluster.ray`` logger instead (shown with ``--verbose``),
so a command's ``--json`` output stays one JSON object.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from evaluator.errors import ConfigError, MissingDependencyError

logger = logging.getLogger(__name__)
ray_logger = logging.getLogger("evaluator.cluster.ray")

LOCAL = "local"
AUTO = "auto"
_HOST_PORT = re.compile(r"^(ray://)?[A-Za-z0-9._\-\[\]:]+:\d{1,5}$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def check_address(address: str) -> str:
    """``address`` when it is ``local``, ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``; else a ConfigError.

    >>> check_address("10.0.0.5:6379"), check_address("auto")
    ('10.0.0.5:6379', 'auto')
    """
    value = address.strip()
    if value in (LOCAL, AUTO) or _HOST_PORT.match(value):
        return value
    raise ConfigError(
        f"ray address {address!r} is not local, auto, HOST:PORT or ray://HOST:PORT",
        hint="give the head node's address (`ray start` prints it on the head), auto, or local to start Ray here",
        param="ray",
    )


class _LogStream(io.TextIOBase):
    """A text stream whose lines go to ``ray_logger`` at INFO (Ray's driver-side notes)."""

    def __init__(self) -> None:
        self._buf = ""

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self._buf += s
        *lines, self._buf = self._buf.split("\n")
        for line in lines:
            if line.strip():
                ray_logger.info("%s", _ANSI.sub("", line))
        return len(s)


def _code_root() -> str:
    """The directory holding the ``evaluator`` package this process runs (put first on embedded workers' path)."""
    return str(Path(__file__).resolve().parents[2])


class RaySession:
    """Ray for one run (see the module docstring); a context manager.

    ``workers``: how many model-holding workers (actors) a run starts; default one per GPU where the cluster has
    GPUs, else one per CPU. ``retries``: how many times an item whose worker died is tried again (on a restarted
    worker, on any node). ``depth``: items given to a worker at once (1: the next when its last came back, so
    a worker that dies takes only the item it was doing with it; items of seconds lose nothing by the wait)."""

    def __init__(
        self,
        address: str = LOCAL,
        *,
        workers: int | None = None,
        num_cpus: int | None = None,
        retries: int = 2,
        depth: int = 1,
        verbose: bool = False,
    ) -> None:
        self.address = check_address(address)
        if workers is not None and workers < 1:
            raise ConfigError(f"workers must be at least 1, got {workers}", param="workers")
        if retries < 0:
            raise ConfigError(f"retries must be >= 0, got {retries}", param="retries")
        if depth < 1:
            raise ConfigError(f"depth must be at least 1, got {depth}", param="depth")
        self.workers_asked = workers
        self.num_cpus = num_cpus
        self.retries = retries
        self.depth = depth
        self.verbose = verbose
        self.mode = ""  # "embedded" or "joined", once started
        self.owned = False
        self.startup_s = 0.0
        self.resources: dict[str, float] = {}
        self._stdout: contextlib.ExitStack | None = None

    # -- starting and stopping ------------------------------------------------------------------------
    def __enter__(self) -> RaySession:
        """Start (see :meth:`start`), with Ray's notes on standard output sent to the log while the block runs."""
        self._stdout = contextlib.ExitStack()
        if not self.verbose:
            self._stdout.enter_context(contextlib.redirect_stdout(_LogStream()))
        try:
            self.start()
        except BaseException:
            self._stdout.close()
            raise
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        try:
            self.stop()
        finally:
            if self._stdout is not None:
                self._stdout.close()
                self._stdout = None

    def start(self) -> None:
        """Start Ray here, join the cluster, or use the Ray this process already runs (see the module docstring)."""
        try:
            import ray
        except ImportError:
            raise MissingDependencyError("ray", install="pip install 'ray==2.60.0'") from None
        t0 = time.perf_counter()
        try:
            if ray.is_initialized():
                self.mode = "existing"  # started by this process before (a test module's shared Ray)
            elif self.address == LOCAL:
                self._init(ray, LOCAL)
            elif self.address == AUTO:
                try:
                    self._init(ray, AUTO)
                except ConnectionError:
                    logger.info("no running Ray cluster found: starting one inside this process")
                    self._init(ray, LOCAL)
            else:
                try:
                    self._init(ray, self.address)
                except ConnectionError as exc:
                    raise ConfigError(
                        f"cannot join the Ray cluster at {self.address}: {exc}",
                        hint="check the head node's address and that this machine reaches it (ray status on the head)",
                        param="ray",
                    ) from None
            self.resources = {k: float(v) for k, v in ray.cluster_resources().items()}
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.perf_counter() - t0

    def _init(self, ray: Any, address: str) -> None:
        quiet = {"include_dashboard": False, "log_to_driver": self.verbose, "logging_level": logging.WARNING}
        if not self.verbose:
            quiet["logging_level"] = logging.ERROR
        if address == LOCAL:
            # the workers import the same code as this process (a checkout, or the installed package)
            path = os.pathsep.join(filter(None, [_code_root(), os.environ.get("PYTHONPATH")]))
            env = {"env_vars": {"PYTHONPATH": path}}
            ray.init(address=LOCAL, num_cpus=self.num_cpus, runtime_env=env, **quiet)
            self.mode = "embedded"
        else:
            ray.init(address=address, **quiet)
            self.mode = "joined"
        self.owned = True

    def stop(self) -> None:
        """Stop Ray when this session started it (a joined cluster goes on; this process only leaves it)."""
        if self.owned:
            import ray

            ray.shutdown()
            self.owned = False

    # -- what the cluster has -------------------------------------------------------------------------
    @property
    def cpus(self) -> float:
        return self.resources.get("CPU", 0.0)

    @property
    def gpus(self) -> float:
        return self.resources.get("GPU", 0.0)

    @property
    def nodes(self) -> int:
        return sum(1 for k in self.resources if k.startswith("node:") and k != "node:__internal_head__")

    def workers(self, holds_model: bool) -> int:
        """How many workers a run starts: ``workers`` as asked, else one per GPU (model work on a GPU cluster) or
        one per CPU."""
        if self.workers_asked is not None:
            return self.workers_asked
        if holds_model and self.gpus >= 1:
            return int(self.gpus)
        return max(1, int(self.cpus))

    def actor_resources(self, workers: int) -> dict[str, float]:
        """What each model-holding worker asks for: a CPU (a share of them when more workers than CPUs were asked
        for, so every one is placed) and, where the cluster has GPUs, a GPU or a share of them."""
        out = {"num_cpus": min(1.0, self.cpus / workers) if self.cpus else 1.0}
        if self.gpus > 0:
            out["num_gpus"] = min(1.0, self.gpus / workers)
        return out

    def summary_line(self) -> str:
        """``on Ray (embedded, 1 node, 2 CPUs, 0 GPUs): 2 workers, start-up 11.3 s``."""
        return (f"on Ray ({self.mode}, {self.nodes} node{'s' if self.nodes != 1 else ''}, {self.cpus:g} CPUs, "
                f"{self.gpus:g} GPUs): {self.workers(True)} workers, start-up {self.startup_s:.1f} s")  # fmt: skip

    def describe(self) -> dict[str, Any]:
        return {
            "backend": "ray",
            "mode": self.mode,
            "address": self.address,
            "nodes": self.nodes,
            "cpus": self.cpus,
            "gpus": self.gpus,
            "workers": self.workers(holds_model=True),
            "startup_s": round(self.startup_s, 2),
            "retries": self.retries,
        }
