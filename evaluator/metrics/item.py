"""One thing to score: a clip or a line, with whatever inputs are known for it.

Audio can come from a file span (decoded on first use, once per sample rate) or from an array.

>>> import numpy as np
>>> item = ScoreItem("a", audio_src=Source.of_array(np.zeros(16000, np.float32), 16000), text="hi")
>>> item.audio(8000).shape, item.has("text"), item.has("video")
((8000,), True, False)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class Source:
    """A media span: ``path`` from ``start`` to ``end`` seconds, or an in-memory array at ``sr``."""

    path: str | None = None
    start: float | None = None
    end: float | None = None
    array: np.ndarray | None = None
    sr: int | None = None

    @classmethod
    def of_file(cls, path: str | os.PathLike[str], start: float | None = None, end: float | None = None) -> Source:
        return cls(path=str(path), start=start, end=end)

    @classmethod
    def of_array(cls, array: np.ndarray, sr: int) -> Source:
        return cls(array=np.asarray(array, dtype=np.float32), sr=int(sr))

    def load_audio(self, sr: int) -> np.ndarray:
        from evaluator.media import load_audio, resample

        if self.array is not None:
            return resample(self.array, int(self.sr or sr), sr)
        return load_audio(self.path, sr, start=self.start, end=self.end)

    def describe(self) -> dict[str, Any]:
        if self.array is not None:
            return {"array": True, "sr": self.sr}
        d: dict[str, Any] = {"path": self.path}
        if self.start is not None:
            d["start"] = round(self.start, 3)
        if self.end is not None:
            d["end"] = round(self.end, 3)
        return d


@dataclass
class ScoreItem:
    """A clip or line to score. ``kind`` is ``"clip"`` or ``"line"``; ``parent`` is the clip id of a line."""

    id: str
    audio_src: Source | None = None
    reference_src: Source | None = None
    voice_src: Source | None = None
    video: Source | None = None
    #: the source footage the dub's picture was made from (full-reference video features such as VMAF's)
    reference_video: Source | None = None
    text: str | None = None
    fit: dict[str, Any] | None = None
    kind: str = "clip"
    parent: str | None = None
    lang: str | None = None
    #: the speech alone (a dub's dialogue stem over the same span) when ``audio`` is a mix: what ASR transcribes
    speech_src: Source | None = None
    #: what ASR-based metrics transcribe, said on each of their values (e.g. "transcribed the dialogue stem");
    #: None when the audio is the speech itself (a project's line, a listed clip)
    speech_note: str | None = None
    _cache: dict[tuple[str, int], np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def sources(self) -> dict[str, Source | None]:
        return {
            "audio": self.audio_src,
            "reference": self.reference_src,
            "voice": self.voice_src,
            "speech": self.speech_src,
        }

    def has(self, kind: str) -> bool:
        """Whether the input ``kind`` (see ``INPUT_KINDS``; ``"a|b"`` means either) is available."""
        if "|" in kind:
            return any(self.has(k) for k in kind.split("|"))
        if kind in self.sources:
            return self.sources[kind] is not None
        if kind == "video":
            return self.video is not None
        if kind == "reference_video":
            return self.reference_video is not None
        if kind == "text":
            return bool(self.text and self.text.strip())
        if kind == "fit":
            return self.fit is not None
        raise ValueError(f"unknown input kind {kind!r}")

    def _load(self, kind: str, sr: int) -> np.ndarray:
        key = (kind, sr)
        if key not in self._cache:
            src = self.sources[kind]
            if src is None:
                raise ValueError(f"item {self.id} has no {kind}")
            self._cache[key] = src.load_audio(sr)
        return self._cache[key]

    def release(self) -> None:
        """Drop the decoded audio kept for reuse across metric families (asked again, it is decoded again)."""
        self._cache.clear()

    def audio(self, sr: int) -> np.ndarray:
        """The dubbed speech at ``sr`` Hz (mono float32)."""
        return self._load("audio", sr)

    def speech(self, sr: int) -> np.ndarray:
        """What to transcribe: the dialogue stem when the item has one, else its audio."""
        return self._load("speech" if self.speech_src is not None else "audio", sr)

    def reference(self, sr: int) -> np.ndarray:
        """Reference speech with the same words at ``sr`` Hz."""
        return self._load("reference", sr)

    def voice(self, sr: int) -> np.ndarray:
        """A clip of the target voice (the reference speech when there is no separate voice clip)."""
        return self._load("voice" if self.sources["voice"] is not None else "reference", sr)

    def duration(self) -> float:
        return len(self.audio(16000)) / 16000.0

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind}
        if self.parent is not None:
            d["parent"] = self.parent
        for name, src in (*self.sources.items(), ("video", self.video), ("reference_video", self.reference_video)):
            if src is not None:
                d[name] = src.describe()
        if self.text is not None:
            d["text"] = self.text
        return d

    @property
    def path_hint(self) -> str:
        src = self.sources["audio"]
        return Path(src.path).name if src is not None and src.path else self.id
