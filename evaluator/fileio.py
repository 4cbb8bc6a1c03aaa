"""Atomic file writes and content hashes.

Every file dubkit writes goes through :func:`atomic_path`: the data lands in a temporary file in
the destination's directory, and only a complete file is moved into place with ``os.replace``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evaluator.errors import OutputError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path``, else delete it.

    ``suffix`` defaults to the destination's suffix, so tools that pick a format by extension
    (ffmpeg, soundfile) see the right one.
    """
    dest = Path(path)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            prefix=f".{dest.name}.", suffix=suffix if suffix is not None else dest.suffix, dir=dest.parent
        )
    except OSError as exc:
        raise OutputError(f"{dest}: cannot write here ({exc.strerror})", hint="choose a writable path") from None
    os.close(fd)
    tmp = Path(name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; finished files get the usual permissions
    try:
        yield tmp
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def check_writable(path: str | os.PathLike[str]) -> Path:
    """``path`` when a file can be written there (checked before long work), else ``OutputError``.

    The nearest existing ancestor must be a writable directory; ``path`` itself must not be a directory.
    """
    dest = Path(path)
    if dest.is_dir():
        raise OutputError(f"{dest}: is a directory", hint="give a file path")
    d = dest.resolve().parent
    while not d.exists():
        d = d.parent
    if not d.is_dir():
        raise OutputError(f"{dest}: cannot create it, {d} is a file", hint="choose another output path")
    if not os.access(d, os.W_OK):
        raise OutputError(f"{dest}: not writable", hint="choose an output path in a writable directory")
    return dest


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def json_safe(v: Any) -> Any:
    """``v`` with every non-finite float (NaN, inf) replaced by None, through dicts, lists and tuples."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [json_safe(x) for x in v]
    return v


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as indented JSON atomically."""
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def file_sha256(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's content."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def stable_hash(obj: Any) -> str:
    """Short, stable hash of a JSON-serialisable object (keys sorted)."""
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
