"""What native (C/C++) libraries print on stderr, turned into Python log records.

Some native libraries log straight to file descriptor 2, beyond Python's reach: ai-edge-litert prints
"INFO: Created TensorFlow Lite XNNPACK delegate for CPU." when an interpreter allocates its tensors,
and no environment variable or API of its Python package turns that off (``TF_CPP_MIN_LOG_LEVEL``
does not: TFLite's minimal logger is not TensorFlow's logger). Around such a call,
:func:`native_stderr_as_log` points fd 2 at a temporary file, then emits each captured line as a record
of a Python logger, at the level its prefix names (``INFO:``, ``WARNING:``, ``ERROR:``; other lines at
WARNING). Whoever configures logging decides what is shown: the ``dubkit`` command shows INFO records
only with ``--verbose``; a library user's own logging configuration applies the same way.

Only wrap short calls: while fd 2 points at the file, anything another thread writes there is captured
too (and re-emitted through the same logger, at its prefix's level).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

_LEVELS = {"INFO": logging.INFO, "WARNING": logging.WARNING, "WARN": logging.WARNING, "ERROR": logging.ERROR}


def _emit(log: logging.Logger, text: str) -> None:
    for line in text.splitlines():
        if not line.strip():
            continue
        prefix, sep, rest = line.partition(":")
        level = _LEVELS.get(prefix.strip().upper()) if sep else None
        log.log(level if level is not None else logging.WARNING, rest.strip() if level is not None else line)


@contextmanager
def native_stderr_as_log(logger_name: str) -> Iterator[None]:
    """Capture what is written to fd 2 during the block and log it through ``logging.getLogger(logger_name)``."""
    log = logging.getLogger(logger_name)
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable fd 2 (embedded interpreters): nothing to capture
        yield
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            _emit(log, tmp.read().decode("utf-8", errors="replace"))
