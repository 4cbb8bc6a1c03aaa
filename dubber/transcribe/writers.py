"""Writing a transcript as a source script (SRT, WebVTT, ASS) or as its JSON form, and reading it back.

The format follows the output's extension. In every subtitle format cue N is utterance N (time
order). The speaker goes where ``evaluator.script`` reads it back: the ASS ``Name`` field, else an
upper-case ``NAME:`` prefix (``SPEAKER 1: good morning``). A cue a backend could not transcribe gets
the text ``UNTRANSCRIBED`` (a script cue cannot be empty: the dubber refuses empty cues), so the
script still loads with its speakers and timings and shows a person what to fill in; the JSON keeps
the empty text. Word timings are in the JSON only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from dubber.transcribe.types import Transcript
from evaluator.errors import ConfigError, ScriptError
from evaluator.fileio import write_json
from evaluator.script import SCRIPT_FORMATS, Cue, write_script

UNTRANSCRIBED = "[untranscribed]"
FORMATS = (*SCRIPT_FORMATS, ".json")


def output_format(path: str | os.PathLike[str]) -> str:
    """The format for ``path`` by its extension, or ``ConfigError``."""
    ext = Path(path).suffix.lower()
    if ext == ".json":
        return "json"
    if ext not in SCRIPT_FORMATS:
        raise ConfigError(
            f"{path}: cannot tell the output format from the extension {ext or '(none)'!r}",
            hint=f"use one of {', '.join(FORMATS)}",
        )
    return SCRIPT_FORMATS[ext]


def to_cues(transcript: Transcript, placeholder: str = UNTRANSCRIBED) -> list[Cue]:
    """The transcript as the script reader's cues (what reading its SRT back gives, without the file):
    cue ``index`` = utterance ``index``, text ``placeholder`` where the utterance has none."""
    return [
        Cue(u.index, u.start, u.end, " ".join(u.text.split()) or placeholder, u.speaker) for u in transcript.utterances
    ]


def write_transcript(transcript: Transcript, path: str | os.PathLike[str]) -> Path:
    """Write ``transcript`` to ``path`` (atomically; the format by extension)."""
    fmt = output_format(path)
    if fmt == "json":
        write_json(path, transcript.to_dict())
    else:
        write_script(path, to_cues(transcript))
    return Path(path)


def read_transcript_json(path: str | os.PathLike[str]) -> Transcript:
    """Read a transcript JSON written by :func:`write_transcript`."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScriptError(str(p), ["no such file"]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScriptError(str(p), [f"not JSON ({exc})"]) from None
    return Transcript.from_dict(data, path=str(p))
