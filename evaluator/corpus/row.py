"""One row of a dubbed corpus (``corpus.jsonl``): a dubbed clip or an original clip, with where it came from.

The dubber's corpus build (:mod:`dubber.corpus`) writes the rows; the evaluator scores them
(:mod:`evaluator.scoring.inputs`) and trains DubScore on them, so the row lives in the lowest layer.
Fields:

``id``
    Unique in the corpus: the dataset id for a dubbed clip (``dev/dia1_utt4``), the dataset id and
    ``#original`` for an original one (``dev/dia1_utt4#original``). Rows are kept sorted by ``id``.
``kind``
    ``dubbed`` (the utterance spoken in ``target_lang`` and fitted onto the clip) or ``original`` (the
    clip as the dataset has it: ground truth).
``dataset``, ``utterance``
    ``meld``/``m2h2`` and the dataset's record of the utterance (:class:`evaluator.datasets.DatasetUtterance`
    as a dict: split, episode, scene, turn, speaker, emotion, sentiment or humour, times, clip files).
``source_text``, ``source_lang``, ``target_text``, ``target_lang``
    The utterance's text and language, and its translation (``None`` for an original clip).
``speaker``, ``emotion``
    The dataset's speaker name and emotion label (``None`` where the dataset has none).
``audio``, ``video``
    The clip as it is scored: the dub (a WAV) and the dub muxed onto the clip's picture (``None`` when the
    utterance has no picture); for an original, the dataset's files. Paths inside the corpus directory are
    relative to it, the dataset's are absolute.
``original_audio``, ``original_video``
    The dataset's files of the utterance (the voice reference of the dub; a MELD mp4 holds both).
``clip_duration``, ``duration``
    Seconds: the original clip's probed length (its picture's, else its audio's), and the scored audio's.
``translation``
    The translator's record of the line (backend, model, prompt version, length budget, revisions;
    ``dubber.translate.Translation.to_dict``). ``None`` for an original.
``synthesizer``, ``seed``
    Backend, model and settings of the voice, and the clip's seed (``None`` for an original).
``fit``
    How the speech was fitted onto the clip: ``method`` (``global``: one time-stretch of the whole take to
    the clip's length; ``ladder``: the dubber's duration ladder), ``capped`` (whether the caps bounded it),
    ``slot`` (the clip's length) and the line fit record (``raw_duration``, ``duration``, ``ratio``,
    ``error_ms``, ``stretch_ratio``, ...). ``None`` for an original.

>>> row = CorpusRow(id="dev/dia1_utt4#original", kind="original", dataset="meld", utterance={"id": "dev/dia1_utt4"},
...     source_text="Hey.", source_lang="en", audio="/data/dia1_utt4.mp4", clip_duration=1.1, duration=1.1)
>>> CorpusRow.from_dict(row.to_dict()) == row, row.text, row.lang
(True, 'Hey.', 'en')
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluator.errors import DatasetError

SCHEMA = "dubkit.corpus_row"
SCHEMA_VERSION = 1
KINDS = ("dubbed", "original")
#: the suffix of an original clip's id
ORIGINAL_SUFFIX = "#original"


@dataclass(frozen=True)
class CorpusRow:
    """One clip of a corpus (see the module docstring)."""

    id: str
    kind: str
    dataset: str
    utterance: dict[str, Any]
    source_text: str
    source_lang: str
    audio: str
    clip_duration: float
    duration: float
    target_text: str | None = None
    target_lang: str | None = None
    speaker: str | None = None
    emotion: str | None = None
    video: str | None = None
    original_audio: str | None = None
    original_video: str | None = None
    translation: dict[str, Any] | None = None
    synthesizer: dict[str, Any] | None = None
    seed: int | None = None
    fit: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DatasetError(f"corpus row {self.id!r}: kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.kind == "dubbed" and (self.target_text is None or self.target_lang is None):
            raise DatasetError(f"corpus row {self.id!r}: a dubbed clip needs target_text and target_lang")

    @property
    def text(self) -> str:
        """What is spoken in ``audio``: the translation of a dub, the source text of an original."""
        return self.target_text if self.kind == "dubbed" else self.source_text  # type: ignore[return-value]

    @property
    def lang(self) -> str:
        """The language spoken in ``audio``."""
        return self.target_lang if self.kind == "dubbed" else self.source_lang  # type: ignore[return-value]

    @property
    def utterance_id(self) -> str:
        return str(self.utterance.get("id", self.id))

    def path(self, corpus_dir: str | Path, name: str) -> Path | None:
        """The file in field ``name`` (``audio``, ``video``, ``original_audio``, ``original_video``),
        resolved against the corpus directory; ``None`` when the row has none."""
        value = getattr(self, name)
        if value is None:
            return None
        p = Path(value)
        return p if p.is_absolute() else Path(corpus_dir) / p

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with ``schema`` and ``schema_version`` first; ``None`` fields kept (a reader sees
        every field of every row)."""
        return {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "corpus row") -> CorpusRow:
        """Inverse of :meth:`to_dict`; refuses other schemas and versions, and rows missing a field."""
        if d.get("schema") != SCHEMA or d.get("schema_version") != SCHEMA_VERSION:
            raise DatasetError(
                f"{where}: not a corpus row of schema {SCHEMA} version {SCHEMA_VERSION} "
                f"(schema={d.get('schema')!r}, schema_version={d.get('schema_version')!r})"
            )
        names = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in d.items() if k in names})
        except TypeError as exc:
            raise DatasetError(f"{where}: incomplete corpus row ({exc})") from None


def is_corpus_row(d: Any) -> bool:
    """True when ``d`` (a parsed JSON line) claims to be a corpus row."""
    return isinstance(d, dict) and d.get("schema") == SCHEMA
