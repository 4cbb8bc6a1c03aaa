"""Atomic file writes and content hashes.

Every file dubkit writes goes through :func:`atomic_path`: the data lands in a temporary file in
the destination's directory, and only a complete file is moved into place with ``os.replace``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import secrets
import sys
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
        tmp = _new_file_beside(dest, suffix if suffix is not None else dest.suffix)
    except OSError as exc:
        raise OutputError(f"{dest}: cannot write here ({exc.strerror})", hint="choose a writable path") from None
    try:
        yield tmp
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _new_file_beside(dest: Path, suffix: str) -> Path:
    """A new empty file with a random name in ``dest``'s directory, created as ``open(..., "w")`` creates files
    (mode 0o666 less the process umask, default ACLs applied), so the finished file has the usual permissions
    without reading or changing the process-wide umask (tempfile.mkstemp would make it 0o600)."""
    for _ in range(100):
        name = dest.parent / f".{dest.name}.{secrets.token_hex(6)}{suffix}"
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return name
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(dest.parent))


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


def json_safe(v: Any, *, drop_none: bool = False) -> Any:
    """``v`` as plain JSON values: the one sanitiser every writer of JSON uses.

    Non-finite floats (NaN, inf: a measurement that could not be made) become None; numpy scalars become
    Python numbers and numpy arrays lists; tuples become lists; paths become strings; dict keys become
    strings. With ``drop_none`` dict fields whose value is (or became) None are dropped, as a typed record
    drops unset fields; None inside lists is kept (positions matter). Anything else is returned as it is,
    so ``json.dumps`` still refuses what has no JSON form.

    >>> import numpy as np
    >>> json_safe({"a": np.float32(0.5), "b": float("nan"), "c": (1, np.int64(2)), 3: np.array([1.0, np.inf])})
    {'a': 0.5, 'b': None, 'c': [1, 2], '3': [1.0, None]}
    >>> json_safe({"a": None, "b": [None, float("inf")], "c": {"d": float("nan")}}, drop_none=True)
    {'b': [None, None], 'c': {}}
    """
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):  # numpy's float64 is a float: made a plain one
        return float(v) if math.isfinite(v) else None
    if isinstance(v, dict):
        out = {k if isinstance(k, str) else str(json_safe(k)): json_safe(x, drop_none=drop_none) for k, x in v.items()}
        return {k: x for k, x in out.items() if x is not None} if drop_none else out
    if isinstance(v, list | tuple):
        return [json_safe(x, drop_none=drop_none) for x in v]
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    np = sys.modules.get("numpy")  # no numpy value exists unless numpy was imported: never import it here
    if np is not None:
        if isinstance(v, np.generic):
            return json_safe(v.item(), drop_none=drop_none)
        if isinstance(v, np.ndarray):
            return json_safe(v.tolist(), drop_none=drop_none)
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
