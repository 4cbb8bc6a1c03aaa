"""Cues of a subtitle script (SRT, WebVTT, ASS) for per-line scoring, read with pysubs2.

The evaluator cannot import ``dubber.script`` (imports go one way), so it reads the timing and text
itself; a ``NAME:`` speaker prefix is dropped from the text.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from evaluator.errors import ScriptError

_SPEAKER = re.compile(r"^\s*[A-Z][A-Za-z0-9_ .'-]{0,30}:\s+")


@dataclass(frozen=True)
class ScoreCue:
    index: int
    start: float
    end: float
    text: str


def read_cues(path: str | os.PathLike[str]) -> list[ScoreCue]:
    """Dialogue cues (numbered from 1, in time order) with plain text."""
    import pysubs2

    try:
        subs = pysubs2.load(str(path))
    except FileNotFoundError:
        raise ScriptError(str(path), ["no such file"]) from None
    except Exception as exc:  # pysubs2 raises several format errors
        raise ScriptError(str(path), [f"cannot parse ({exc})"]) from None
    cues, problems = [], []
    events = sorted((e for e in subs if not e.is_comment), key=lambda e: e.start)
    for i, ev in enumerate(events, 1):
        text = _SPEAKER.sub("", ev.plaintext.replace("\n", " ")).strip()
        if ev.end <= ev.start:
            problems.append(f"cue {i}: ends before it starts")
        cues.append(ScoreCue(i, ev.start / 1000.0, ev.end / 1000.0, text))
    if problems:
        raise ScriptError(str(path), problems)
    if not cues:
        raise ScriptError(str(path), ["no cues"])
    return cues
