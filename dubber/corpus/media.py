"""A dataset utterance's clip files, probed: where its sound is, whether it has a picture, how long it is.

MELD's mp4 holds picture and sound; M2H2 has a ``.wav`` and/or an ``.mp4`` (whose own sound is used
when there is no ``.wav``), or neither. The clip's length is its picture's when it has one (the dub is
muxed onto it), else its sound's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dubber.corpus.task import ClipSkipped
from evaluator.datasets import DatasetUtterance
from evaluator.errors import MediaError
from evaluator.media import MediaInfo, probe


@dataclass(frozen=True)
class ClipMedia:
    """``audio``: the file whose sound is the utterance (the voice reference of the dub); ``video``: the
    file with its picture, ``None`` for audio only; ``duration``: the clip's length (``duration_of``: which
    of the two it was probed from); ``audio_duration``: the length of the sound."""

    audio: Path
    video: Path | None
    duration: float
    duration_of: str
    audio_duration: float


def _probe(path: Path, what: str) -> MediaInfo:
    try:
        return probe(path)
    except MediaError as exc:
        raise ClipSkipped(f"{what} {path} is unreadable: {exc}") from None


def clip_media(u: DatasetUtterance) -> ClipMedia:
    """Probe ``u``'s clip files; raise :class:`ClipSkipped` when it has no usable sound."""
    if u.video is None and u.audio is None:
        raise ClipSkipped("the utterance has no clip (neither audio nor video in the dataset)")
    video_info = _probe(u.video, "the video") if u.video is not None else None
    video = u.video if video_info is not None and video_info.video is not None else None
    audio, audio_info = None, None
    if u.audio is not None and u.audio != u.video:
        info = _probe(u.audio, "the audio")
        if info.audio is not None:
            audio, audio_info = u.audio, info
    if audio is None and video_info is not None and video_info.audio is not None:
        audio, audio_info = u.video, video_info
    if audio is None or audio_info is None:
        raise ClipSkipped(
            "no sound to use as the voice: "
            + ("the video has no audio stream" if u.video else "the audio file has no audio stream")
        )
    audio_duration = float(audio_info.audio.duration or audio_info.duration)
    if video is not None and video_info is not None:
        duration, of = float(video_info.video.duration or video_info.duration), "video"
    else:
        duration, of = audio_duration, "audio"
    if duration <= 0:
        raise ClipSkipped(f"the clip {video or audio} has no length")
    return ClipMedia(audio=audio, video=video, duration=duration, duration_of=of, audio_duration=audio_duration)
