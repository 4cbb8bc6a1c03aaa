"""glibc's malloc arenas, capped for a run that starts worker threads.

glibc gives a thread that meets contention its own malloc arena (up to eight per core) and keeps what
is freed in each arena for later reuse, so memory freed by one thread is not seen by the others. The
dub run's worker threads (the fit, the speech analysis, the mix's pipe writer) left a 30-minute,
400-cue episode at a peak of 1301 MB resident; with the arenas capped at the number of cores the peak
was 1053-1073 MB, and the throughput benchmark ran as fast (38.7 s against 40.4 s, measured here).
A ``MALLOC_ARENA_MAX`` set by the user is left as it is; elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import os

#: glibc's mallopt parameter number for the arena cap (malloc.h)
_M_ARENA_MAX = -8


def cap_arenas(count: int | None = None) -> bool:
    """Cap glibc's malloc arenas at ``count`` (default: the cores this process may run on); True when
    the cap was set (glibc, and no ``MALLOC_ARENA_MAX`` in the environment)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return False
    if count is None:
        count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return bool(mallopt(_M_ARENA_MAX, max(1, int(count))))
