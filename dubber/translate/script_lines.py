"""Source lines from a subtitle script, and per-line speaker attributes from a side file.

A script's cues become ``SourceLine``s whose id is the cue number (1-based, file order) and whose
speaker is the script's (ASS Name field or ``NAME:`` prefix). Speaker gender, age and the line's
emotion come from an attributes file joined by the same id, in one of two forms:
- a UTF-8 CSV with a header ``id`` and any of ``speaker,gender,age,emotion`` (a dataset's labels, a
  casting sheet); empty cells are unknown;
- the JSON that ``dubkit cot read VIDEO --script SCRIPT --json`` prints (its ``readings``, by
  ``cue_index``); readings that failed (``error`` set) are skipped.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from dubber.translate.base import SourceLine
from evaluator.errors import ConfigError
from evaluator.script import DEFAULT_SPEAKER, load_script

logger = logging.getLogger(__name__)

ATTRIBUTES = ("speaker", "gender", "age", "emotion")


def lines_from_script(path: str | os.PathLike[str]) -> list[SourceLine]:
    """The cues of a script (validated: every problem listed at once) as source lines."""
    return [
        SourceLine(
            id=str(c.index),
            text=c.text,
            start=c.start,
            end=c.end,
            speaker=None if c.speaker == DEFAULT_SPEAKER else c.speaker,
        )
        for c in load_script(path)
    ]


def read_attributes(path: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """Line id -> known attributes (``speaker``, ``gender``, ``age``, ``emotion``) from a CSV or from
    ``dubkit cot read --json`` output."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: attributes file not found")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not UTF-8 text", hint="re-save it as UTF-8") from None
    if p.suffix.lower() == ".json":
        return _from_readings(p, text)
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or "id" not in rows[0] or not set(ATTRIBUTES) & set(rows[0]):
        raise ConfigError(f"{p}: the first line must be a header with id and any of {', '.join(ATTRIBUTES)}")
    out: dict[str, dict[str, str]] = {}
    for row in rows:
        key = (row.get("id") or "").strip()
        if key:
            out[key] = {k: v.strip() for k in ATTRIBUTES if (v := row.get(k) or "").strip()}
    return out


def _from_readings(p: Path, text: str) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{p}: not JSON ({exc.msg}, line {exc.lineno})") from None
    readings = data.get("readings") if isinstance(data, dict) else data
    if not isinstance(readings, list):
        raise ConfigError(f"{p}: expected the JSON of `dubkit cot read --json` (a readings list)")
    out: dict[str, dict[str, str]] = {}
    for r in readings:
        if not isinstance(r, dict) or r.get("cue_index") is None or r.get("error"):
            continue
        out[str(r["cue_index"])] = {k: str(r[k]) for k in ("gender", "age", "emotion") if r.get(k)}
    return out


def with_attributes(lines: Sequence[SourceLine], attributes: dict[str, dict[str, str]]) -> list[SourceLine]:
    """``lines`` with the attributes of their id filled in (a script's own speaker is kept)."""
    known = {line.id for line in lines}
    unused = [k for k in attributes if k not in known]
    if unused:
        logger.warning("attributes of %d id(s) match no line: %s", len(unused), ", ".join(unused[:20]))
    out = []
    for line in lines:
        values = attributes.get(line.id, {})
        updates = {k: v for k, v in values.items() if k in ATTRIBUTES and not (k == "speaker" and line.speaker)}
        out.append(dataclasses.replace(line, **updates) if updates else line)
    return out
