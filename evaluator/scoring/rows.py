"""``scores.jsonl``: one JSON row per item, appended and flushed as each item is scored.

The file is a log: a row scored again (one family at a time, a resumed run) is appended again and the
last line of an id wins; a finished run rewrites it once, one line per id. Time and memory per item do
not grow with the file. A run killed mid-write leaves a torn last line: readers drop it with a warning,
and a resumed run cuts it off before appending.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from evaluator.errors import OutputError
from evaluator.fileio import write_text

logger = logging.getLogger(__name__)


def _parse(raw: bytes, where: str) -> dict[str, Any]:
    try:
        row = json.loads(raw)
    except ValueError as exc:
        raise OutputError(f"{where}: not a JSON row ({exc})", hint="remove the file and score again") from None
    if not isinstance(row, dict) or "id" not in row:
        raise OutputError(f"{where}: a row without an id", hint="remove the file and score again")
    return row


def read_rows(path: str | os.PathLike[str], *, repair: bool = False) -> dict[str, dict[str, Any]]:
    """The rows of ``path`` by id (the last line of an id wins; no file: none).

    A last line that is not complete JSON (a write cut short) is dropped with a warning; with ``repair`` the
    file is cut back to its last complete line (and a complete last line missing its newline gets one), so
    appending continues a well-formed file. Any other line that is not a JSON row is an OutputError naming it.
    """
    p = Path(path)
    if not p.is_file():
        return {}
    data = p.read_bytes()
    lines = data.split(b"\n")
    tail = lines.pop()  # empty when the file ends with a newline
    rows: dict[str, dict[str, Any]] = {}
    for n, raw in enumerate(lines, 1):
        if raw.strip():
            row = _parse(raw, f"{p}:{n}")
            rows[row["id"]] = row
    if tail.strip():
        try:
            row = json.loads(tail)
        except ValueError:
            logger.warning("%s: dropped a torn last line (%d bytes, from an interrupted write)", p, len(tail))
            if repair:
                os.truncate(p, len(data) - len(tail))
        else:
            rows[_parse(tail, f"{p}:{len(lines) + 1}")["id"]] = row
            if repair:
                with open(p, "ab") as fh:
                    fh.write(b"\n")
    return rows


def _line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n"


class RowLog:
    """Appends rows to ``path``, each flushed as written. ``fresh`` starts an empty file; else rows are added
    to what is there (call :func:`read_rows` with ``repair=True`` first)."""

    def __init__(self, path: str | os.PathLike[str], *, fresh: bool) -> None:
        self.path = Path(path)
        if fresh or not self.path.is_file():
            write_text(self.path, "")
        try:
            self._fh: TextIO | None = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise OutputError(
                f"{self.path}: cannot append ({exc.strerror})", hint="choose a writable output directory"
            ) from None

    def append(self, row: dict[str, Any]) -> None:
        if self._fh is None:
            raise RuntimeError(f"{self.path}: the row log is closed")
        self._fh.write(_line(row))
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def rewrite(self, rows: Iterable[dict[str, Any]]) -> None:
        """Replace the log by ``rows``, one line each (atomically; once, at the end of a run)."""
        self.close()
        write_text(self.path, "".join(_line(r) for r in rows))

    def __enter__(self) -> RowLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
