"""``table``: translations made elsewhere (a human translator, another system), joined by line id.

The table is a UTF-8 CSV with a header ``id,text``: ``id`` is the line's id (the cue number of a
script, a dataset id in a corpus), ``text`` its translation. Every line must have a row with text:
the ids without one are listed together in one error. Rows for ids that are not lines are reported
(``extra_ids``) and left unused. Works offline; the default backend.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from dubber.translate.base import Draft, LineRequest, SourceLine, Translator
from evaluator.errors import ConfigError
from evaluator.fileio import file_sha256

logger = logging.getLogger(__name__)


def _id_list(ids: Sequence[str], limit: int = 40) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


class TableTranslator(Translator):
    """Looks each line up by id in an ``id,text`` CSV."""

    name = "table"
    chunk_size = 100_000

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ConfigError(f"{self.path}: translation table not found")
        self.rows = self._read()
        self.extra_ids: list[str] = []
        self._sha = file_sha256(self.path)[:12]

    def _read(self) -> dict[str, str]:
        try:
            with self.path.open(encoding="utf-8-sig", newline="") as f:
                reader = csv.DictReader(f)
                fields = [c.strip() for c in (reader.fieldnames or [])]
                if "id" not in fields or "text" not in fields:
                    raise ConfigError(f"{self.path}: the table's first line must be a header with id and text")
                reader.fieldnames = fields
                rows: dict[str, str] = {}
                duplicates = []
                for row in reader:
                    key = (row.get("id") or "").strip()
                    if not key:
                        continue
                    if key in rows:
                        duplicates.append(key)
                    rows[key] = " ".join((row.get("text") or "").split())
        except UnicodeDecodeError:
            raise ConfigError(f"{self.path}: the table is not UTF-8 text", hint="re-save it as UTF-8") from None
        if duplicates:
            raise ConfigError(f"{self.path}: ids listed more than once: {_id_list(sorted(set(duplicates)))}")
        return rows

    @property
    def model_id(self) -> str:
        return f"table:{self.path.name}#sha256:{self._sha}"

    def prepare(self, lines: Sequence[SourceLine], *, whole: bool = True) -> None:
        missing = [line.id for line in lines if not self.rows.get(line.id)]
        if missing:
            raise ConfigError(
                f"{self.path}: no translation for {len(missing)} of {len(lines)} line(s): ids {_id_list(missing)}",
                hint="add an id,text row for each",
            )
        wanted = {line.id for line in lines}
        self.extra_ids = [k for k in self.rows if k not in wanted] if whole else []
        if self.extra_ids:
            logger.info(
                "%s: %d row(s) match no line and are not used: ids %s",
                self.path,
                len(self.extra_ids),
                _id_list(self.extra_ids),
            )

    def draft(self, requests: Sequence[LineRequest]) -> list[Draft]:
        return [Draft(self.rows[r.line.id]) for r in requests]
