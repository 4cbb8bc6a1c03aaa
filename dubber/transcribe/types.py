"""The typed result of transcription: utterances with speaker, text and word timings, and its JSON form.

A :class:`Transcript` is what every backend returns and what the JSON output holds, as it is:

    {"kind": "dubkit.transcript", "schema_version": 1,
     "source": {"path": "ep1.mp4", "duration": 42.5},
     "lang": "en", "lang_detection": null, "backend": "offline",
     "models": {"vad": "silero-vad ...", "asr": "pocketsphinx ...", "aligner": "...", "diarizer": "..."},
     "diarization": {"num_speakers": 2, "selection": "given", ...},
     "speakers": ["SPEAKER 1", "SPEAKER 2"],
     "warnings": [],
     "utterances": [{"index": 1, "start": 0.52, "end": 2.1, "speaker": "SPEAKER 1",
                     "text": "good morning", "words": [{"text": "good", "start": 0.52, "end": 0.8}, ...]}]}

Times are seconds from the start of the source. ``index`` is the 1-based cue number in time order, the
number a subtitle editor shows and the one ``evaluator.script`` gives the same cue when the SRT/ASS
written beside it is read back. A model id is null where that part did not run (no ASR for a language
no offline model speaks; no aligner when the text has no word timings). ``lang_detection`` says how
the language was identified when the caller asked for ``auto`` (``{"method", "probability"}``), else
null. ``diarization`` records how the speakers were found (criterion, count, segment rules).

>>> u = Utterance(index=1, start=0.5, end=1.25, speaker="SPEAKER 1", text="hello")
>>> Transcript(utterances=(u,), lang="en", backend="offline", models=ModelIds(vad="v"),
...            source="a.mp4", duration=2.0).to_dict()["utterances"][0]["end"]
1.25
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from evaluator.asr import WordTiming
from evaluator.errors import ScriptError

KIND = "dubkit.transcript"
SCHEMA_VERSION = 1

Word = WordTiming  # one home: the evaluator's ASR word timing


def speaker_name(i: int) -> str:
    """The name of the ``i``-th speaker (0-based, in order of first appearance): ``SPEAKER 1``, ...

    Upper case, digits and a space: a name the ``NAME:`` prefix of an SRT cue can carry.
    """
    return f"SPEAKER {i + 1}"


@dataclass(frozen=True)
class Utterance:
    """One cue: a stretch of one speaker's speech."""

    index: int
    start: float
    end: float
    speaker: str
    text: str = ""
    words: tuple[Word, ...] = ()

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "speaker": self.speaker,
            "text": self.text,
            "words": [w.to_dict() for w in self.words],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Utterance:
        return cls(
            index=int(d["index"]),
            start=float(d["start"]),
            end=float(d["end"]),
            speaker=str(d["speaker"]),
            text=str(d.get("text", "")),
            words=tuple(Word.from_dict(w) for w in d.get("words", ())),
        )


@dataclass(frozen=True)
class ModelIds:
    """Which backend and model did each part: voice activity, recognition, word alignment, speakers."""

    vad: str | None = None
    asr: str | None = None
    aligner: str | None = None
    diarizer: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"vad": self.vad, "asr": self.asr, "aligner": self.aligner, "diarizer": self.diarizer}


@dataclass(frozen=True)
class Transcript:
    """A transcribed source: utterances in time order, with the ids of every model that made them."""

    utterances: tuple[Utterance, ...]
    lang: str
    backend: str
    models: ModelIds
    source: str
    duration: float
    diarization: dict[str, Any] = field(default_factory=dict)
    lang_detection: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()

    @property
    def speakers(self) -> tuple[str, ...]:
        """Speaker names in order of first appearance."""
        return tuple(dict.fromkeys(u.speaker for u in self.utterances))

    def with_warning(self, message: str) -> Transcript:
        return replace(self, warnings=(*self.warnings, message))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": KIND,
            "schema_version": SCHEMA_VERSION,
            "source": {"path": self.source, "duration": round(self.duration, 3)},
            "lang": self.lang,
            "lang_detection": self.lang_detection,
            "backend": self.backend,
            "models": self.models.to_dict(),
            "diarization": dict(self.diarization),
            "speakers": list(self.speakers),
            "warnings": list(self.warnings),
            "utterances": [u.to_dict() for u in self.utterances],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, path: str = "<transcript>") -> Transcript:
        """Read the JSON form back; ``ScriptError`` for another kind or an unknown schema version."""
        if not isinstance(d, dict) or d.get("kind") != KIND:
            raise ScriptError(path, [f"not a dubkit transcript (kind is not {KIND!r})"])
        if d.get("schema_version") != SCHEMA_VERSION:
            raise ScriptError(
                path, [f"transcript schema_version {d.get('schema_version')!r}; this dubkit reads {SCHEMA_VERSION}"]
            )
        try:
            models = d.get("models", {})
            return cls(
                utterances=tuple(Utterance.from_dict(u) for u in d["utterances"]),
                lang=str(d["lang"]),
                backend=str(d["backend"]),
                models=ModelIds(**{k: models.get(k) for k in ("vad", "asr", "aligner", "diarizer")}),
                source=str(d["source"]["path"]),
                duration=float(d["source"]["duration"]),
                diarization=dict(d.get("diarization", {})),
                lang_detection=d.get("lang_detection"),
                warnings=tuple(d.get("warnings", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ScriptError(path, [f"malformed transcript field: {exc}"]) from None


def number_utterances(utterances: list[Utterance]) -> tuple[Utterance, ...]:
    """``utterances`` in time order with their 1-based cue numbers."""
    ordered = sorted(utterances, key=lambda u: (u.start, u.end))
    return tuple(replace(u, index=i + 1) for i, u in enumerate(ordered))
