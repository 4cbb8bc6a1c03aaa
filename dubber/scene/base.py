"""The scene-reader interface, the per-line clip it reads, and clip sampling from a video."""

from __future__ import annotations

import abc
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dubber.scene.parser import ResponseFormatError, parse_response
from dubber.scene.prompts import render_conclusion
from evaluator.project import SceneReading
from evaluator.script import Cue

logger = logging.getLogger(__name__)

CLIP_AUDIO_SR = 16000


@dataclass
class SceneClip:
    """What a reader sees of one line: sampled RGB frames with their times, and the line's audio."""

    cue: Cue
    frames: np.ndarray  # (n, h, w, 3) uint8
    times: np.ndarray  # (n,) seconds, absolute in the video
    audio: np.ndarray | None  # mono float32 at CLIP_AUDIO_SR, the span [cue.start, cue.end]
    sr: int = CLIP_AUDIO_SR


class SceneReader(abc.ABC):
    """Base class of the scene-reading backends (registered in ``dubber.scene.SCENE_READERS``).

    ``fps`` / ``max_frames`` / ``max_width`` tell ``iter_clips`` how to sample each line's frames.
    """

    name: str = ""
    fps: float = 4.0
    max_frames: int = 8
    max_width: int = 448

    @property
    @abc.abstractmethod
    def model_id(self) -> str:
        """Identifies the model (and version) whose numbers this reader outputs."""

    @abc.abstractmethod
    def read(self, clip: SceneClip) -> SceneReading:
        """Read one line."""

    def read_many(self, clips: Iterable[SceneClip], progress: Callable[[], None] | None = None) -> list[SceneReading]:
        """Read every line, in order (backends may override to run lines concurrently)."""
        out = []
        for clip in clips:
            out.append(self.read(clip))
            if progress is not None:
                progress()
        return out

    def read_episode(
        self,
        video: str | os.PathLike[str],
        cues: Sequence[Cue],
        *,
        cache_dir: Path | None = None,
        video_hash: str | None = None,
        progress: Callable[[], None] | None = None,
    ) -> list[SceneReading]:
        """Read every cue of one video; this default samples each line's clip (:func:`iter_clips`) and
        reads it alone. Readers that measure a whole episode once override it (``cache_dir`` and
        ``video_hash``: where to keep those measurements between runs)."""
        clips = iter_clips(video, cues, fps=self.fps, max_frames=self.max_frames, max_width=self.max_width)
        return self.read_many(clips, progress=progress)

    def unload(self) -> None:  # noqa: B027 - optional hook
        """Free loaded models."""


def reading_from_response(
    generate: Callable[[int], str], clip: SceneClip, *, mode: str, backend: str, model: str, retries: int
) -> SceneReading:
    """Call ``generate(attempt)`` until ``parse_response`` accepts its text (at most ``retries + 1`` times).

    A line whose every answer breaks the format is reported, not dropped: the reading carries
    ``format_ok=False``, confidence 0, neutral labels and the last problem in ``error``.
    """
    cue = clip.cue
    last: ResponseFormatError | None = None
    text = ""
    for attempt in range(retries + 1):
        text = generate(attempt)
        try:
            parsed = parse_response(text, mode)
        except ResponseFormatError as exc:
            last = exc
            logger.warning("cue %d: response rejected (attempt %d): %s", cue.index, attempt + 1, exc)
            continue
        v = parsed.values
        return SceneReading(
            scene_type=v["scene_type"],
            num_people=v["num_people"],
            speaker_on_screen_talking=v["speaker_talking"],
            gender=v["gender"],
            age=v["age"],
            emotion=v["emotion"],
            confidence=v["confidence"],
            backend=backend,
            model=model,
            summary=parsed.summary,
            caption=parsed.caption,
            reasoning=parsed.reasoning,
            conclusion=render_conclusion(v),
            format_ok=attempt == 0,
            attempts=attempt + 1,
            cue_index=cue.index,
            start=cue.start,
            end=cue.end,
        )
    return failed_reading(clip, backend=backend, model=model, error=str(last), attempts=retries + 1, raw=text)


def failed_reading(
    clip: SceneClip, *, backend: str, model: str, error: str, attempts: int, raw: str = ""
) -> SceneReading:
    """The reading recorded for a line whose backend gave no usable answer."""
    cue = clip.cue
    return SceneReading(
        scene_type="narration",
        num_people=0,
        speaker_on_screen_talking=False,
        gender="male",
        age="adult",
        emotion="neutral",
        confidence=0.0,
        backend=backend,
        model=model,
        format_ok=False,
        attempts=attempts,
        cue_index=cue.index,
        start=cue.start,
        end=cue.end,
        error=error,
        measurements={"raw_response": raw[:2000]} if raw else {},
    )


def iter_clips(
    video: str | os.PathLike[str],
    cues: Iterable[Cue],
    *,
    fps: float = 4.0,
    max_frames: int = 8,
    max_width: int = 448,
    with_audio: bool = True,
) -> Iterator[SceneClip]:
    """Yield one ``SceneClip`` per cue (decoded lazily, one line at a time)."""
    from evaluator.media import load_audio, probe, read_frames

    info = probe(video)
    v = info.video
    size = None
    if v is not None and v.width and v.height and v.width > max_width:
        h = int(round(v.height * max_width / v.width / 2)) * 2
        size = (max_width, max(h, 2))
    audio = load_audio(video, CLIP_AUDIO_SR) if with_audio and info.audio is not None else None
    for cue in cues:
        frames = read_frames(video, fps=fps, start=cue.start, end=cue.end, size=size)
        times = cue.start + (np.arange(len(frames)) + 0.5) / fps
        if len(frames) > max_frames:
            keep = np.linspace(0, len(frames) - 1, max_frames).round().astype(int)
            frames, times = frames[keep], times[keep]
        seg = None
        if audio is not None:
            seg = audio[int(cue.start * CLIP_AUDIO_SR) : int(cue.end * CLIP_AUDIO_SR)]
        yield SceneClip(cue=cue, frames=frames, times=times, audio=seg)


def dumps_readings(readings: list[SceneReading]) -> str:
    return json.dumps([r.to_dict() for r in readings], ensure_ascii=False)


def describe(reader: SceneReader) -> dict[str, Any]:
    return {"backend": reader.name, "model": reader.model_id}
