"""The corpus file: ``corpus.jsonl`` in a corpus directory, one :class:`CorpusRow` per line, sorted by id.

Rows are appended one line at a time (one ``write`` of a whole line, flushed and synced), so an
interrupted build leaves at worst a torn last line: :meth:`CorpusFile.repair` cuts it off before the
next build appends, and :func:`read_corpus` ignores it (with a warning) so a corpus being built can be
scored. Any other unreadable line is an error naming the line. A build appends in id order; when a
re-run fills a gap (a clip that failed before), :meth:`CorpusFile.sort` rewrites the file sorted, once,
so the same corpus always has the same file. :func:`merge_corpora` joins corpora (MELD dubbed into
Hindi and M2H2 dubbed into English: DubScore's training set) into one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from evaluator.corpus.row import CorpusRow, is_corpus_row
from evaluator.errors import DatasetError
from evaluator.fileio import write_text

logger = logging.getLogger(__name__)

CORPUS_NAME = "corpus.jsonl"
REPORT_NAME = "build_report.json"


def corpus_file(path: str | os.PathLike[str]) -> Path:
    """``corpus.jsonl`` of a corpus directory, or ``path`` itself when it is a file."""
    p = Path(path)
    return p / CORPUS_NAME if p.is_dir() else p


def is_corpus(path: str | os.PathLike[str]) -> bool:
    """True for a corpus directory (it holds ``corpus.jsonl``) or a JSONL file whose first row is a corpus row."""
    p = Path(path)
    if p.is_dir():
        return (p / CORPUS_NAME).is_file()
    if not (p.is_file() and p.suffix.lower() == ".jsonl"):
        return False
    with p.open(encoding="utf-8") as f:
        for raw in f:
            if raw.strip():
                try:
                    return is_corpus_row(json.loads(raw))
                except json.JSONDecodeError:
                    return False
    return False


def _complete_part(data: bytes) -> tuple[bytes, bytes]:
    """``data`` split into its complete lines and a torn tail (what follows the last newline)."""
    cut = data.rfind(b"\n") + 1
    return data[:cut], data[cut:]


def read_corpus(path: str | os.PathLike[str]) -> list[CorpusRow]:
    """The rows of a corpus directory or ``corpus.jsonl``, in file order (a torn last line is skipped)."""
    p = corpus_file(path)
    if not p.is_file():
        raise DatasetError(f"{p}: no such corpus file", hint="build one with `dubkit corpus build`")
    body, tail = _complete_part(p.read_bytes())
    if tail.strip():
        logger.warning("%s: the last line is incomplete (a build was interrupted); it is not read", p)
    rows = []
    for n, raw in enumerate(body.decode("utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            d = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DatasetError(
                f"{p}:{n}: not valid JSON ({exc.msg})", hint="delete the line and re-run the build"
            ) from None
        rows.append(CorpusRow.from_dict(d, where=f"{p}:{n}"))
    return rows


class CorpusFile:
    """``corpus.jsonl`` of one corpus directory, as a build writes it."""

    def __init__(self, corpus_dir: str | os.PathLike[str]) -> None:
        self.path = Path(corpus_dir) / CORPUS_NAME

    def repair(self) -> bool:
        """Cut off a torn last line (left by an interruption); True when there was one."""
        if not self.path.is_file():
            return False
        body, tail = _complete_part(self.path.read_bytes())
        if not tail:
            return False
        with self.path.open("r+b") as f:
            f.truncate(len(body))
        logger.warning(
            "%s: removed an incomplete last line (%d bytes) left by an interrupted build", self.path, len(tail)
        )
        return True

    def rows(self) -> list[CorpusRow]:
        return read_corpus(self.path) if self.path.is_file() else []

    def append(self, row: CorpusRow) -> None:
        """Append ``row`` as one line, flushed and synced before returning."""
        line = json.dumps(row.to_dict(), ensure_ascii=False, allow_nan=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def sort(self) -> bool:
        """Rewrite the file sorted by id (atomically) when it is not; True when it was rewritten."""
        rows = self.rows()
        ids = [r.id for r in rows]
        if ids == sorted(ids):
            return False
        body = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in sorted(rows, key=lambda r: r.id))
        write_text(self.path, body)
        return True


#: the row fields that hold file paths
PATH_FIELDS = ("audio", "video", "original_audio", "original_video")


def merge_corpora(sources: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str]) -> list[CorpusRow]:
    """Write ``out/corpus.jsonl``: the rows of every source corpus, sorted by id, with their paths made
    absolute (the media stay where they are). Two rows with one id are refused. Returns the rows."""
    rows: dict[str, CorpusRow] = {}
    for source in sources:
        base = corpus_file(source).parent.resolve()
        for row in read_corpus(source):
            if row.id in rows:
                raise DatasetError(f"{source}: row {row.id!r} is also in another of the corpora to merge")
            paths = {name: str(row.path(base, name)) for name in PATH_FIELDS if getattr(row, name) is not None}
            rows[row.id] = dataclasses.replace(row, **paths)
    merged = sorted(rows.values(), key=lambda r: r.id)
    body = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in merged)
    write_text(Path(out) / CORPUS_NAME, body)
    return merged
