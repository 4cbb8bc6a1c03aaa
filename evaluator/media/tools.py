"""Locating and running the ffmpeg/ffprobe binaries."""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Sequence

from evaluator.errors import BackendError, MissingDependencyError


@functools.cache
def binary(name: str) -> str:
    """Path of a system tool (``ffmpeg``, ``ffprobe``, ``rubberband``) or a clear install hint."""
    path = shutil.which(name)
    if path is None:
        package = {"ffmpeg": "ffmpeg", "ffprobe": "ffmpeg", "rubberband": "rubberband-cli"}.get(name, name)
        raise MissingDependencyError(f"the '{name}' program", install=f"apt-get install {package}")
    return path


def run(args: Sequence[str], *, what: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run a media tool; a non-zero exit becomes a ``BackendError`` carrying its last stderr line."""
    proc = subprocess.run(list(args), input=input, capture_output=True, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["(no message)"]
        raise BackendError(f"{what} failed: {tail[0]}")
    return proc
