"""Reading and validating subtitle scripts (SRT, WebVTT, ASS/SSA via pysubs2).

Shared by the dubber (the target script, the source script) and the scorer (per-line scoring).

Messages name each cue by the file's own name for it (``Cue.label``): an SRT cue by its number (a file
numbered 10, 11, 12 says "cue 11" for its second cue), a WebVTT cue by its identifier when it has one.
Cues without one (ASS/SSA, WebVTT cues without identifiers, other formats) are named by their row in
the file's event list, 1-based, comment events included: the row number a subtitle editor such as
Aegisub shows. ``Cue.index`` is the cue's position among the spoken cues (1-based, file order), unique
whatever the file's numbering; code keys lines by it.

The speaker comes from the ASS ``Name`` field (the text is then kept as written), else from an
upper-case ``NAME:`` prefix (``ANNA: Hello``, removed from the text), else ``default``.
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
    #: the file's own name for the cue (see the module docstring); empty means ``index``
    label: str = ""

    @property
    def name(self) -> str:
        """How messages name this cue: its label, else its position."""
        return self.label or str(self.index)

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


#: formats whose cues carry their own name on the line before their timing line
_LABELLED_FORMATS = ("srt", "vtt")


def _labels(text: str, fmt: str | None, n_events: int) -> list[str]:
    """The file's own name of each event, in file order (see the module docstring).

    SRT and WebVTT: the line just before each timing line (an SRT number, a WebVTT identifier), found with
    the same timestamp pattern pysubs2 reads the cues with; an event without one, and every event of other
    formats, is named by its row (1-based).
    """
    rows = [str(i + 1) for i in range(n_events)]
    if fmt not in _LABELLED_FORMATS:
        return rows
    from pysubs2.formats import get_format_class

    stamp = get_format_class(fmt).TIMESTAMP
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if len(stamp.findall(line)) != 2:
            continue
        before = lines[i - 1].strip() if i > 0 else ""
        if fmt == "srt":  # the cue number: digits only (a missing number leaves the previous cue's text there)
            own = before if before.isdigit() else ""
        else:  # a WebVTT identifier: a line of its own after a blank line (or the header)
            blank_before = i < 2 or not lines[i - 2].strip()
            own = before if blank_before and before and not before.startswith("WEBVTT") else ""
        found.append(own)
    if len(found) != n_events:  # pysubs2 read the file differently: positions are the honest fallback
        return rows
    return [own or row for own, row in zip(found, rows, strict=True)]


def read_script(path: str | os.PathLike[str]) -> list[Cue]:
    """Parse a subtitle file into cues (file order). Raises ``ScriptError`` if it cannot be read."""
    import pysubs2

    p = Path(path)
    if p.is_dir():
        raise ScriptError(str(p), ["is a directory, not a subtitle file"], whole_file=True)
    if not p.is_file():
        raise ScriptError(str(p), ["no such file"], whole_file=True, hint="check the path")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ScriptError(str(p), ["not UTF-8 text"], whole_file=True, hint="re-save it as UTF-8") from None
    if not text.strip():
        raise ScriptError(str(p), ["the file is empty"], whole_file=True)
    try:
        subs = pysubs2.SSAFile.from_string(text)
    except Exception:  # pysubs2 raises several format errors; all mean the same to the user
        raise ScriptError(
            str(p), ["not a subtitle file dubkit can read"], whole_file=True, hint="use SRT, WebVTT or ASS/SSA"
        ) from None
    labels = _labels(text, subs.format, len(subs.events))
    cues = []
    for label, event in zip(labels, subs.events, strict=True):
        if event.is_comment:
            continue
        raw = " ".join(event.plaintext.split())
        speaker = event.name.strip() or None
        # with a Name field the text is the line as written ("NOTE: ..." is not a speaker prefix)
        prefixed, body = (None, raw) if speaker else split_speaker(raw)
        cues.append(
            Cue(
                index=len(cues) + 1,
                start=event.start / 1000.0,
                end=event.end / 1000.0,
                text=body,
                speaker=speaker or prefixed or DEFAULT_SPEAKER,
                label=label,
            )
        )
    if not cues:
        raise ScriptError(str(p), ["no cues found"], whole_file=True)
    return cues


def script_problems(cues: list[Cue], video_duration: float | None = None) -> list[str]:
    """Every problem of the script, each naming its cue. Empty when the script is usable.

    Cues of different speakers may overlap; cues of one speaker may not.
    """
    problems = []
    for c in cues:
        if not c.text:
            problems.append(f"cue {c.name}: empty text")
        if c.end == c.start:
            problems.append(f"cue {c.name}: has zero length (starts and ends at {_clock(c.start)})")
        elif c.end < c.start:
            problems.append(f"cue {c.name}: ends ({_clock(c.end)}) before it starts ({_clock(c.start)})")
        if video_duration is not None and c.end > video_duration + 1e-3:
            problems.append(f"cue {c.name}: ends at {_clock(c.end)}, beyond the video's end ({_clock(video_duration)})")
    by_speaker: dict[str, list[Cue]] = {}
    for c in cues:
        if c.end > c.start:
            by_speaker.setdefault(c.speaker, []).append(c)
    for speaker, own in by_speaker.items():
        own.sort(key=lambda c: (c.start, c.index))
        for a, b in zip(own, own[1:], strict=False):
            if b.start < a.end - 1e-3:
                problems.append(f"cue {b.name}: overlaps cue {a.name} of the same speaker ({speaker})")
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


#: Formats ``write_script`` writes, by file suffix (pysubs2 format names).
SCRIPT_FORMATS = {".srt": "srt", ".vtt": "vtt", ".ass": "ass", ".ssa": "ssa"}


def speaker_fits(path: str | os.PathLike[str], speaker: str) -> bool:
    """Whether a script written to ``path`` can carry ``speaker`` so that ``read_script`` reads it
    back: ASS/SSA always (the Name field); SRT/VTT only as an upper-case ``NAME:`` prefix."""
    if speaker == DEFAULT_SPEAKER or Path(path).suffix.lower() in (".ass", ".ssa"):
        return True
    return split_speaker(f"{speaker}: x") == (speaker, "x")


def write_script(path: str | os.PathLike[str], cues: list[Cue]) -> None:
    """Write cues with their timings and speakers, atomically, in the format of ``path``'s suffix.

    Speakers go in the ASS Name field, or as a ``NAME:`` prefix in SRT/VTT (raises ``ScriptError``
    for a speaker such a prefix cannot carry: check with ``speaker_fits`` first)."""
    import pysubs2

    from evaluator.fileio import write_text

    fmt = SCRIPT_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise ScriptError(str(path), [f"cannot write this format: use one of {', '.join(SCRIPT_FORMATS)}"])
    bad = sorted({c.speaker for c in cues if not speaker_fits(path, c.speaker)})
    if bad:
        raise ScriptError(str(path), [f"speaker {s!r} cannot be written as a NAME: prefix (write .ass)" for s in bad])
    subs = pysubs2.SSAFile()
    for c in cues:
        event = pysubs2.SSAEvent(start=int(round(c.start * 1000)), end=int(round(c.end * 1000)))
        event.plaintext = c.text
        if c.speaker != DEFAULT_SPEAKER:
            if fmt in ("ass", "ssa"):
                event.name = c.speaker
            else:
                event.plaintext = f"{c.speaker}: {c.text}"
        subs.append(event)
    write_text(path, subs.to_string(fmt))
