"""The project lock: one run writes into a project at a time.

``ProjectLock(project)`` is held for a whole run. It is the file ``.dubkit.lock`` in the project,
locked with ``flock`` (the kernel releases it when the holder's process ends, however it ends) and
holding who holds it: pid, host, the process's start, when the run began. While it is held the
holder touches the file every :data:`HEARTBEAT_S` seconds.

A second run that finds the file locked is refused with a ``ProjectLockedError`` naming the holder.
A file left by a run that is gone is stale and is taken over with a warning:

- same host: the recorded process is not running (or the pid now belongs to a process started
  later, or the machine has rebooted since);
- another host (a project on a shared disk): its process cannot be asked, so the lock is judged by
  its heartbeat: stale when the file has not been touched for :data:`STALE_AFTER_S` seconds,
  held otherwise (even where the shared filesystem does not pass ``flock`` between hosts).

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d, ProjectLock(d) as lock:
...     lock.holder()["pid"] == os.getpid()
True
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from evaluator.errors import OutputError

log = logging.getLogger(__name__)

LOCK_NAME = ".dubkit.lock"
HEARTBEAT_S = 30.0
#: a lock from another host untouched for this long is stale (20 missed heartbeats)
STALE_AFTER_S = 600.0


class ProjectLockedError(OutputError):
    """Another run holds the project."""


def _boot_id() -> str | None:
    with contextlib.suppress(OSError):
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    return None


def _process_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), None where /proc cannot say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def describe(holder: dict[str, Any]) -> str:
    """``pid 123 on host h since 2024-05-01 10:00:00 UTC (dubkit dub)``."""
    what = f" ({holder['command']})" if holder.get("command") else ""
    return f"pid {holder.get('pid')} on host {holder.get('host')} since {holder.get('started')}{what}"


class ProjectLock:
    """Hold ``project``'s lock (see the module docstring); a context manager, or acquire()/release()."""

    def __init__(self, project: str | os.PathLike[str], command: str = "dubkit dub") -> None:
        self.path = Path(project) / LOCK_NAME
        self.command = command
        self._fd: int | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def __enter__(self) -> ProjectLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def holder(self) -> dict[str, Any]:
        """What the lock file says about its holder ({} when empty or unreadable)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(5):  # the file may be replaced between open and lock: then lock the new one
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise self._locked(self.holder()) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            self._fd = fd
            try:
                self._take_over(self.holder())
            except BaseException:
                self._fd = None
                os.close(fd)
                raise
            self._write()
            self._beat = threading.Thread(target=self._heartbeat, name="dubkit-lock-heartbeat", daemon=True)
            self._beat.start()
            return
        raise OutputError(f"{self.path}: the lock file keeps changing", hint="is another run starting? try again")

    def _locked(self, holder: dict[str, Any]) -> ProjectLockedError:
        who = describe(holder) if holder else "another run"
        return ProjectLockedError(
            f"{self.path.parent}: the project is in use by {who}",
            hint="wait for that run to finish, or give this run another project or output",
        )

    def _take_over(self, old: dict[str, Any]) -> None:
        """Refuse a live holder the kernel lock did not see; take over a stale one with a warning."""
        if not old or old.get("pid") is None:
            return
        if old.get("host") == socket.gethostname():
            same_boot = old.get("boot_id") is None or old.get("boot_id") == _boot_id()
            pid = int(old["pid"])
            started = _process_start(pid)
            alive = (
                same_boot
                and _running(pid)
                and (old.get("process_start") is None or started is None or started == old["process_start"])
            )
            if alive and pid != os.getpid():
                raise self._locked(old)
            reason = "its process is not running" if not alive else "it was this process's own"
        else:
            try:
                age = time.time() - self.path.stat().st_mtime
            except FileNotFoundError:
                age = float("inf")
            if age < STALE_AFTER_S:
                raise self._locked(old) from None
            reason = (
                f"it is from another host and untouched for {age / 60:.0f} min (stale after {STALE_AFTER_S / 60:.0f})"
            )
        log.warning("%s: took over a stale lock held by %s: %s", self.path.parent, describe(old), reason)

    def _write(self) -> None:
        assert self._fd is not None
        now = dt.datetime.now(dt.UTC)
        data = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": now.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "started_unix": round(now.timestamp(), 3),
            "command": self.command,
            "process_start": _process_start(os.getpid()),
            "boot_id": _boot_id(),
        }
        blob = json.dumps(data, indent=2).encode() + b"\n"
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, blob, 0)
        os.fsync(self._fd)

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def release(self) -> None:
        """Remove the lock file and let go (the file is removed while still locked, so no other run
        can lock the old file after this one lets go)."""
        if self._fd is None:
            return
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
        with contextlib.suppress(FileNotFoundError):
            if os.fstat(self._fd).st_ino == os.stat(self.path).st_ino:
                self.path.unlink()
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
