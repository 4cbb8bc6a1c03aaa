"""The transcriber interface, its options, and the segment-then-recognise pipeline two backends share.

A :class:`Transcriber` turns the 16 kHz mono audio of one episode into a :class:`Transcript`.
``offline`` and ``faster-whisper`` are :class:`SegmentedTranscriber` s: speech segments (silero-vad),
then speakers (:mod:`dubber.transcribe.diarize`), then text and word timings per utterance from their
recogniser; they differ only in the recogniser. ``whisperx`` runs whisperx's own pipeline.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dubber.transcribe.diarize import DiarizationRules, SpeakerDiarizer, check_num_speakers
from dubber.transcribe.segments import Group, SegmentRules, detect_speech, join_same_speaker
from dubber.transcribe.types import ModelIds, Transcript, Utterance, Word, number_utterances, speaker_name
from evaluator.asr import TimedTranscript
from evaluator.errors import ConfigError, MediaError

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
AUTO = "auto"
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

#: progress(stage, done, total): stages "speech" (seconds scanned), "speakers" (segments embedded),
#: "text" (utterances recognised); whisperx reports "asr" and "words" (percent of its two passes)
Progress = Callable[[str, float, float], None]


@dataclass(frozen=True)
class TranscribeOptions:
    """What the caller asks for, whatever the backend.

    ``lang``: an ISO 639-1 code or ``"auto"`` (backends that can identify the language);
    ``num_speakers``: the number of speakers, or None to choose it (the diarizer's criterion);
    ``transcript``: a user's plain-text transcript to align onto the speech instead of recognising it.
    """

    lang: str = AUTO
    num_speakers: int | None = None
    transcript: str | None = None
    segments: SegmentRules = field(default_factory=SegmentRules)
    diarization: DiarizationRules = field(default_factory=DiarizationRules)

    def check(self) -> None:
        check_num_speakers(self.num_speakers)
        if self.lang != AUTO and not _LANG.match(self.lang):
            raise ConfigError(f"lang {self.lang!r} is not a language code", hint="e.g. en, es, hi, pt-BR, or auto")
        if self.transcript is not None and not Path(self.transcript).is_file():
            raise ConfigError(f"{self.transcript}: no such transcript file", hint="check the transcript path")


@dataclass(frozen=True)
class AudioInput:
    """The episode's audio: mono float32 at ``SAMPLE_RATE``, and the file it came from."""

    audio: np.ndarray
    source: str

    @property
    def duration(self) -> float:
        return len(self.audio) / SAMPLE_RATE


#: seconds of speech Whisper's language identification looks at (its 30 s window)
LANG_ID_SPEECH_S = 30.0


def no_progress(stage: str, done: float, total: float) -> None:
    """The default ``Progress``: report nothing."""


@dataclass(frozen=True)
class Texts:
    """Text per utterance and what made it: the recogniser (None for a user's transcript or no
    recogniser), the word aligner, and warnings."""

    texts: list[TimedTranscript]
    asr: str | None
    aligner: str | None
    warnings: list[str]


def _first_speech(audio: np.ndarray, groups: list[Group], seconds: float) -> np.ndarray:
    """The first ``seconds`` of speech of ``groups``, concatenated."""
    parts, total = [], 0
    for g in groups:
        part = audio[int(g.start * SAMPLE_RATE) : int(g.end * SAMPLE_RATE)]
        parts.append(part)
        total += len(part)
        if total >= seconds * SAMPLE_RATE:
            break
    return np.concatenate(parts)[: int(seconds * SAMPLE_RATE)]


def _place_words(timed: TimedTranscript, group: Group) -> tuple[Word, ...]:
    """Word timings moved from the utterance's clock to the episode's, clipped to the utterance."""
    length = group.end - group.start
    return tuple(
        Word(w.text, group.start + max(w.start, 0.0), group.start + min(w.end, length), w.score)
        for w in timed.words
        if w.end > 0.0 and w.start < length
    )


class Transcriber(ABC):
    """One transcription backend. Constructors only store options; models load on first use."""

    name: ClassVar[str]

    def check(self, options: TranscribeOptions) -> None:
        """Refuse what this backend cannot do with ``options`` before any audio is decoded."""
        options.check()

    @abstractmethod
    def transcribe_audio(
        self, media: AudioInput, options: TranscribeOptions, *, progress: Progress = no_progress
    ) -> Transcript:
        """Transcribe ``media`` (call :meth:`check` first)."""

    def unload(self) -> None:  # noqa: B027 - optional hook
        """Free the models."""


class SegmentedTranscriber(Transcriber):
    """VAD segments, then speakers, then text per utterance from :meth:`recognize`."""

    def __init__(self) -> None:
        self._diarizer: SpeakerDiarizer | None = None

    # --- the hooks a backend fills in -------------------------------------------------------------
    @property
    @abstractmethod
    def asr_id(self) -> str | None:
        """The recogniser's model id."""

    @property
    @abstractmethod
    def aligner_id(self) -> str | None:
        """What timed the words (None when the backend gives no word timings)."""

    @abstractmethod
    def identify_language(self, speech: np.ndarray) -> tuple[str, dict[str, Any]]:
        """The language of ``speech`` (asked for with ``lang='auto'``) and how it was identified:
        ``{"method": ..., "probability": ...}``."""

    @abstractmethod
    def recognize(self, audio: np.ndarray, lang: str) -> TimedTranscript | None:
        """Text and word timings (relative to ``audio``'s start) of one utterance; None when this
        backend has no recogniser for ``lang``."""

    def text_from_transcript(self, media: AudioInput, groups: list[Group], options: TranscribeOptions) -> Texts:
        """Texts of ``groups`` from the user's transcript (``options.transcript``)."""
        from dubber.transcribe.align_text import align_transcript

        texts, aligner, warnings = align_transcript(
            media.audio, SAMPLE_RATE, [(g.start, g.end) for g in groups], Path(options.transcript or ""), options.lang
        )
        return Texts(texts, None, aligner, warnings)

    # --- the shared pipeline ----------------------------------------------------------------------
    def diarizer(self, rules: DiarizationRules) -> SpeakerDiarizer:
        if self._diarizer is None or self._diarizer.rules != rules:
            self._diarizer = SpeakerDiarizer(rules)
        return self._diarizer

    def transcribe_audio(
        self, media: AudioInput, options: TranscribeOptions, *, progress: Progress = no_progress
    ) -> Transcript:
        audio, sr = media.audio, SAMPLE_RATE
        vad = options.segments.voice_activity()
        total = media.duration
        segments = detect_speech(audio, sr, vad, progress=lambda pct: progress("speech", total * pct / 100, total))
        progress("speech", total, total)
        if not segments:
            raise MediaError(
                f"{media.source}: no speech found (silero-vad, threshold {options.segments.threshold})",
                hint="check that the audio track has dialogue, or lower the VAD threshold",
            )
        diarizer = self.diarizer(options.diarization)
        done = 0

        def step() -> None:
            nonlocal done
            done += 1
            progress("speakers", done, len(segments))

        embeddings = diarizer.embed(audio, sr, segments, progress=step)
        labels, diar_info = diarizer.assign(embeddings, segments, options.num_speakers)
        groups = join_same_speaker(segments, labels.tolist(), options.segments)
        warnings: list[str] = []
        if options.num_speakers is not None and diar_info["num_speakers"] < options.num_speakers:
            warnings.append(f"{options.num_speakers} speakers asked, {diar_info['num_speakers']} found")
        lang, detection = options.lang, None
        if lang == AUTO:
            lang, detection = self.identify_language(_first_speech(audio, groups, LANG_ID_SPEECH_S))
        texts = self._texts(media, groups, lang, options, progress)
        utterances = [
            Utterance(0, g.start, g.end, speaker_name(g.label), timed.text.strip(), _place_words(timed, g))
            for g, timed in zip(groups, texts.texts, strict=True)
        ]
        return Transcript(
            utterances=number_utterances(utterances),
            lang=lang,
            backend=self.name,
            models=ModelIds(vad=vad.model_id, asr=texts.asr, aligner=texts.aligner, diarizer=diarizer.model_id),
            source=media.source,
            duration=media.duration,
            diarization={**diar_info, "segments": len(segments), "rules": options.segments.to_dict()},
            lang_detection=detection,
            warnings=tuple(warnings + texts.warnings),
        )

    def _texts(
        self,
        media: AudioInput,
        groups: list[Group],
        lang: str,
        options: TranscribeOptions,
        progress: Progress,
    ) -> Texts:
        if options.transcript is not None:
            texts = self.text_from_transcript(media, groups, options)
            progress("text", len(groups), len(groups))
            return texts
        out: list[TimedTranscript] = []
        for i, g in enumerate(groups):
            timed = self.recognize(media.audio[int(g.start * SAMPLE_RATE) : int(g.end * SAMPLE_RATE)], lang)
            if timed is None:
                warning = (
                    f"the {self.name} backend has no recogniser for {lang!r}: utterances and speakers without "
                    "text (give a transcript to align, or use the faster-whisper backend)"
                )
                progress("text", len(groups), len(groups))
                return Texts([TimedTranscript("") for _ in groups], None, None, [warning])
            out.append(timed)
            progress("text", i + 1, len(groups))
        return Texts(out, self.asr_id, self.aligner_id, [])

    def unload(self) -> None:
        if self._diarizer is not None:
            self._diarizer.unload()
