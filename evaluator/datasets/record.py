"""The one record every dataset reader yields: :class:`DatasetUtterance`.

Both sides use it (the dubber's corpus build dubs each utterance, the evaluator scores a corpus
made from them), so it lives in the lowest layer. Fields:

``id``
    Stable, unique within the dataset, and the key of translation tables:
    MELD ``{split}/dia{D}_utt{U}`` (``dev/dia1_utt4``); M2H2 ``{N}/{Scene_K}/{Sl. No.}`` (``22/Scene_1/3a``).
``dataset``
    ``meld`` or ``m2h2``.
``split``, ``episode``, ``scene``
    Where the utterance sits. MELD: ``split`` is ``train``/``dev``/``test``, ``episode`` is the
    Friends episode as ``S04E07`` (``None`` when the Season/Episode cells are unreadable) and
    ``scene`` the dialogue (``dia1``; MELD keeps every dialogue inside one scene). M2H2: ``split``
    is ``None``, ``episode`` the episode number (``22``), ``scene`` the scene (``Scene_1``).
``turn``
    The utterance's number as the dataset writes it: MELD ``Utterance_ID`` (``4``), M2H2
    ``Sl. No.`` (``3a``; ``a``/``b`` split one subtitle line between two speakers).
``speaker``
    The speaker's name as written (text repaired). ``group_speaker`` is True when several people
    speak the line at once (MELD ``All``, ``Both``, ``The Guys``, ``Ross and Rachel``); see
    :func:`evaluator.datasets.fields.is_group_speaker`.
``replied_to``
    The ``id`` of the utterance this one answers (M2H2's ``Name,uK``); ``None`` when the dataset
    gives none (MELD, M2H2 ``u-``) or names an utterance the episode does not have (reported).
``emotion``, ``sentiment``
    MELD's labels (anger, disgust, fear, joy, neutral, sadness, surprise; negative, neutral,
    positive); ``None`` for M2H2 or an unknown label (reported).
``humour``
    M2H2's label: True for ``humor``, False for ``non-humor``; ``None`` for MELD or an unknown label.
``text``, ``lang``
    The source text with mis-encoded characters repaired and whitespace runs collapsed
    (:func:`evaluator.datasets.fields.repair_text`; typographic quotes are kept), and its
    language (``en`` for MELD, ``hi`` for M2H2). Lines cut mid-sentence are kept as written.
``start``, ``end``
    Seconds in the episode (MELD StartTime/EndTime; M2H2 Start_time and Start_time + End_time,
    which holds a duration). ``end > start`` always; other utterances' spans may overlap.
``video``, ``audio``
    The utterance's own clip files, ``None`` when missing (reported). MELD's mp4 carries the
    sound, so a MELD row has both or neither, pointing at the same file; M2H2 has separate
    ``.mp4`` and ``.wav`` files, often only one of them.
``source_file``, ``source_line``
    The annotation file and the 1-based line the row starts on.

>>> u = DatasetUtterance(id="dev/dia1_utt4", dataset="meld", split="dev", episode="S04E04", scene="dia1",
...     turn="4", speaker="Phoebe", text="Hey.", lang="en", start=763.012, end=764.074,
...     source_file=Path("dev_sent_emo.csv"), source_line=8)
>>> DatasetUtterance.from_dict(u.to_dict()) == u
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluator.errors import DatasetError

SCHEMA_VERSION = 1
KIND = "dubkit.dataset_utterance"
_PATH_FIELDS = ("video", "audio", "source_file")


@dataclass(frozen=True)
class DatasetUtterance:
    """One utterance of a dataset, with its labels, times, clip files and origin (see the module doc)."""

    id: str
    dataset: str
    split: str | None
    episode: str | None
    scene: str | None
    turn: str
    speaker: str
    text: str
    lang: str
    start: float
    end: float
    source_file: Path
    source_line: int
    group_speaker: bool = False
    replied_to: str | None = None
    emotion: str | None = None
    sentiment: str | None = None
    humour: bool | None = None
    video: Path | None = None
    audio: Path | None = None

    @property
    def duration(self) -> float:
        """Seconds from start to end."""
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (paths as strings, ``None`` fields kept) with ``kind`` and ``schema_version``."""
        d: dict[str, Any] = {"kind": KIND, "schema_version": SCHEMA_VERSION}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            d[f.name] = str(value) if isinstance(value, Path) else value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DatasetUtterance:
        """Inverse of :meth:`to_dict`; refuses other kinds and schema versions."""
        if d.get("kind") != KIND or d.get("schema_version") != SCHEMA_VERSION:
            raise DatasetError(
                f"not a dataset utterance record of schema {SCHEMA_VERSION} "
                f"(kind={d.get('kind')!r}, schema_version={d.get('schema_version')!r})"
            )
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in d.items() if k in names}
        for name in _PATH_FIELDS:
            if values.get(name) is not None:
                values[name] = Path(values[name])
        try:
            return cls(**values)
        except TypeError as exc:
            raise DatasetError(f"dataset utterance record {d.get('id')!r} is incomplete: {exc}") from None
