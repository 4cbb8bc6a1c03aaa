"""Cell parsers the dataset readers share: clock times, text repair, file encodings, speakers.

Text repair is ftfy (pinned) with typographic quotes kept, then whitespace runs (no-break spaces
included) collapsed to one space. Checked on the real MELD files: the first public CSVs hold
Windows-1252 punctuation as C1 control characters (``\\x92`` for ``’``, ``\\x85`` for ``…``,
``\\x97`` for ``—``, ``\\xa0`` no-break spaces); this repair turns every one of their 150,788 cells
into the maintainers' corrected text (declare-lab/MELD commit ca3e126), leaves the corrected files
unchanged, and undoes UTF-8-read-as-Windows-1252 mojibake (``Iâ€™m`` to ``I’m``) in all 3,805 of
their non-ASCII utterances. Devanagari passes through unchanged.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

#: ``h:mm:ss``, ``hh:mm:ss``, optionally a fraction after ``,`` (MELD) or ``.`` (M2H2)
_CLOCK = re.compile(r"^(\d+):([0-5]\d):([0-5]\d)(?:[.,](\d+))?$")
#: speaker names that mean several people at once (seen in MELD: All, Both, The Guys, Her-Friends)
GROUP_NAMES = frozenset({"all", "both", "everyone", "everybody", "the guys", "her-friends"})


def parse_clock(cell: str) -> tuple[float, int]:
    """Seconds of a clock time, and how many fraction digits it had (0 when none).

    The fraction is read as a decimal fraction: ``00:06:47,28`` is 407.28 s.

    >>> parse_clock("0:12:43,012"), parse_clock("00:20:57,256"), parse_clock("0:00:02")
    ((763.012, 3), (1257.256, 3), (2.0, 0))
    """
    m = _CLOCK.match(cell.strip())
    if m is None:
        raise ValueError(f"{cell!r} is not a time (h:mm:ss with an optional fraction)")
    hours, minutes, seconds, fraction = m.groups()
    value = float(int(hours) * 3600 + int(minutes) * 60 + int(seconds))
    if fraction:
        value += int(fraction) / 10 ** len(fraction)
    return round(value, 6), len(fraction or "")


def repair_text(cell: str) -> str:
    """``cell`` with mis-encoded characters repaired (ftfy; typographic quotes kept) and whitespace
    runs collapsed to one space.

    >>> repair_text("Iâ€™m  here\\x85 what\\x97no\\xa0 ok")
    'I’m here… what—no ok'
    """
    import ftfy

    return " ".join(ftfy.fix_text(cell, ftfy.TextFixerConfig(uncurl_quotes=False)).split())


def is_group_speaker(name: str) -> bool:
    """True when ``name`` stands for several people speaking at once (``All``, ``Ross and Rachel``)."""
    lower = " ".join(name.lower().split())
    return lower in GROUP_NAMES or " and " in lower or " & " in lower


class SceneClock:
    """Tells whether an utterance starts before an earlier one of its scene has ended."""

    def __init__(self) -> None:
        self._ends: dict[str | None, float] = {}

    def overlaps(self, scene: str | None, start: float, end: float) -> bool:
        last = self._ends.get(scene)
        self._ends[scene] = end if last is None else max(last, end)
        return last is not None and start < last


def text_encoding(path: Path, chunk: int = 1 << 20) -> str:
    """The encoding to read a text table with: ``utf-8-sig`` when the file is valid UTF-8 (a BOM is
    dropped), else ``latin-1`` (every byte maps to one character; :func:`repair_text` then turns
    Windows-1252 punctuation into the right characters). Reads the file in bounded chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as f:
            while block := f.read(chunk):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8-sig"
