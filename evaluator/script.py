"""Reading and validating subtitle scripts (SRT, WebVTT, ASS/SSA via pysubs2).

Shared by the dubber (the target script, the source script) and the scorer (per-line scoring).

Cue numbers are 1-based in file order, as a subtitle editor shows them. The speaker comes from the
ASS ``Name`` field (the text is then kept as written), else from an upper-case ``NAME:`` prefix
(``ANNA: Hello``, removed from the text), else ``default``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from evaluator.errors import ScriptError

DEFAULT_SPEAKER = "default"
_PREFIX = re.compile(r"^\s*(?:-\s*)?([A-Z][A-Z0-9 .'\-]{0,39}?)\s*:\s+(?=\S)")


@dataclass(frozen=True)
class Cue:
    """One line of the script. Times in seconds."""

    index: int
    start: float
    end: float
    text: str
    speaker: str = DEFAULT_SPEAKER

    @property
    def duration(self) -> float:
        return self.end - self.start


def _clock(t: float) -> str:
    ms = int(round(t * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def split_speaker(text: str) -> tuple[str | None, str]:
    """``"ANNA: Hi there"`` → ``("ANNA", "Hi there")``; text without a prefix → ``(None, text)``."""
    m = _PREFIX.match(text)
    if m is None:
        return None, text.strip()
    return m.group(1).strip(), text[m.end() :].strip()


def read_script(path: str | os.PathLike[str]) -> list[Cue]:
    """Parse a subtitle file into cues (file order). Raises ``ScriptError`` if it cannot be read."""
    import pysubs2

    p = Path(path)
    if not p.is_file():
        raise ScriptError(str(p), ["no such file"])
    try:
        subs = pysubs2.load(str(p), encoding="utf-8")
    except UnicodeDecodeError:
        raise ScriptError(str(p), ["not UTF-8 text: re-save it as UTF-8"]) from None
    except Exception as exc:  # pysubs2 raises several format errors; all mean the same to the user
        raise ScriptError(str(p), [f"not a subtitle file pysubs2 can read ({type(exc).__name__})"]) from None
    cues = []
    for i, event in enumerate(e for e in subs if not e.is_comment):
        raw = " ".join(event.plaintext.split())
        speaker = event.name.strip() or None
        # with a Name field the text is the line as written ("NOTE: ..." is not a speaker prefix)
        prefixed, text = (None, raw) if speaker else split_speaker(raw)
        cues.append(
            Cue(
                index=i + 1,
                start=event.start / 1000.0,
                end=event.end / 1000.0,
                text=text,
                speaker=speaker or prefixed or DEFAULT_SPEAKER,
            )
        )
    if not cues:
        raise ScriptError(str(p), ["no cues found"])
    return cues


def script_problems(cues: list[Cue], video_duration: float | None = None) -> list[str]:
    """Every problem of the script, each naming its cue. Empty when the script is usable.

    Cues of different speakers may overlap; cues of one speaker may not.
    """
    problems = []
    for c in cues:
        if not c.text:
            problems.append(f"cue {c.index}: empty text")
        if c.end <= c.start:
            problems.append(f"cue {c.index}: ends ({_clock(c.end)}) before it starts ({_clock(c.start)})")
        if video_duration is not None and c.end > video_duration + 1e-3:
            problems.append(
                f"cue {c.index}: ends at {_clock(c.end)}, beyond the video's end ({_clock(video_duration)})"
            )
    by_speaker: dict[str, list[Cue]] = {}
    for c in cues:
        if c.end > c.start:
            by_speaker.setdefault(c.speaker, []).append(c)
    for speaker, own in by_speaker.items():
        own.sort(key=lambda c: (c.start, c.index))
        for a, b in zip(own, own[1:], strict=False):
            if b.start < a.end - 1e-3:
                problems.append(f"cue {b.index}: overlaps cue {a.index} of the same speaker ({speaker})")
    return problems


def load_script(path: str | os.PathLike[str], video_duration: float | None = None) -> list[Cue]:
    """Read and validate a script; raise ``ScriptError`` listing every problem with its cue."""
    cues = read_script(path)
    problems = script_problems(cues, video_duration)
    if problems:
        raise ScriptError(str(path), problems)
    return cues


def write_srt(path: str | os.PathLike[str], cues: list[tuple[float, float, str]]) -> None:
    """Write ``(start, end, text)`` cues as SRT, atomically."""
    import pysubs2

    from evaluator.fileio import write_text

    subs = pysubs2.SSAFile()
    for start, end, text in cues:
        subs.append(pysubs2.SSAEvent(start=int(round(start * 1000)), end=int(round(end * 1000)), text=text))
    write_text(path, subs.to_string("srt"))
