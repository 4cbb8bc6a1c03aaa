"""Transcription of the source: speech, speakers and word timings of an episode, as a source script.

Backends (``TRANSCRIBERS``): ``offline`` (silero-vad, resemblyzer speakers, pocketsphinx English;
models in wheels), ``faster-whisper`` (Whisper from a local CTranslate2 directory + the offline
speakers), ``whisperx`` (whisperx's own command in its own environment, its JSON read back).

    from dubber.transcribe import TranscribeOptions, transcribe, write_transcript
    t = transcribe("ep1.mp4", TranscribeOptions(lang="en", num_speakers=2))        # offline
    t = transcribe("ep1.mp4", TranscribeOptions(lang="auto"), "faster-whisper", model="whisper-large-v3-ct2/")
    write_transcript(t, "ep1.en.srt")   # or .json with word timings

A pipeline stage calls :func:`transcribe` on one episode and stores :meth:`Transcript.to_dict`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dubber.transcribe.base import (
    AUTO,
    SAMPLE_RATE,
    AudioInput,
    Progress,
    SegmentedTranscriber,
    TranscribeOptions,
    Transcriber,
)
from dubber.transcribe.diarize import DiarizationRules, SpeakerDiarizer, cluster_speakers
from dubber.transcribe.segments import SegmentRules
from dubber.transcribe.types import (
    KIND,
    SCHEMA_VERSION,
    ModelIds,
    Transcript,
    Utterance,
    Word,
    speaker_name,
)
from dubber.transcribe.writers import (
    UNTRANSCRIBED,
    output_format,
    read_transcript_json,
    to_cues,
    write_transcript,
)
from evaluator.errors import MediaError
from evaluator.registry import Registry

TRANSCRIBERS = Registry("transcription backend")
TRANSCRIBERS.register("offline", "dubber.transcribe.offline:OfflineTranscriber")
TRANSCRIBERS.register("faster-whisper", "dubber.transcribe.whisper:FasterWhisperTranscriber")
TRANSCRIBERS.register("whisperx", "dubber.transcribe.whisperx:WhisperXTranscriber")


def create_transcriber(backend: str = "offline", **options: Any) -> Transcriber:
    """Build the named backend with its own options (``model=DIR`` for faster-whisper, ...)."""
    return TRANSCRIBERS.get(backend)(**options)


def check_episode(video: str | os.PathLike[str]) -> float:
    """The episode's duration; ``MediaError`` when it is missing, unreadable or has no audio stream."""
    from evaluator.media import probe

    info = probe(video)
    if info.audio is None:
        raise MediaError(f"{video}: has no audio stream", hint="give the episode with its dialogue track")
    return info.duration


def load_episode_audio(video: str | os.PathLike[str]) -> AudioInput:
    """The episode's first audio stream, mono at 16 kHz."""
    from evaluator.media import load_audio

    check_episode(video)
    return AudioInput(load_audio(video, SAMPLE_RATE), str(video))


def transcribe(
    video: str | os.PathLike[str],
    options: TranscribeOptions | None = None,
    backend: str | Transcriber = "offline",
    *,
    progress: Progress | None = None,
    **backend_options: Any,
) -> Transcript:
    """Transcribe one episode: utterances with speaker, text and word timings.

    Checks the episode and the options before any decoding, so bad input fails fast with a
    ``DubkitError``; ``progress(stage, done, total)`` follows the stages (see ``Progress``).
    """
    options = options or TranscribeOptions()
    transcriber = backend if isinstance(backend, Transcriber) else create_transcriber(backend, **backend_options)
    check_episode(video)
    transcriber.check(options)
    media = load_episode_audio(Path(video))
    if progress is None:
        return transcriber.transcribe_audio(media, options)
    return transcriber.transcribe_audio(media, options, progress=progress)


__all__ = [
    "AUTO",
    "KIND",
    "SCHEMA_VERSION",
    "TRANSCRIBERS",
    "UNTRANSCRIBED",
    "AudioInput",
    "DiarizationRules",
    "ModelIds",
    "Progress",
    "SegmentRules",
    "SegmentedTranscriber",
    "SpeakerDiarizer",
    "TranscribeOptions",
    "Transcriber",
    "Transcript",
    "Utterance",
    "Word",
    "check_episode",
    "cluster_speakers",
    "create_transcriber",
    "load_episode_audio",
    "output_format",
    "read_transcript_json",
    "speaker_name",
    "to_cues",
    "transcribe",
    "write_transcript",
]
