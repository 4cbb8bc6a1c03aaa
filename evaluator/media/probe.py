"""Probing media files with ffprobe."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from evaluator.errors import MediaError
from evaluator.media.tools import binary


@dataclass(frozen=True)
class StreamInfo:
    index: int
    kind: str  # "video" | "audio" | "subtitle" | ...
    codec: str
    duration: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    channel_layout: str | None = None  # ffmpeg's name, e.g. "stereo", "5.1(side)"; None when unset
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    frames: int | None = None


@dataclass(frozen=True)
class MediaInfo:
    """What ffprobe says about a file. ``duration`` is the container's, in seconds."""

    path: str
    format: str
    duration: float
    streams: tuple[StreamInfo, ...] = field(default_factory=tuple)

    @property
    def video(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == "video"), None)

    @property
    def audio(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == "audio"), None)

    @property
    def audio_streams(self) -> list[StreamInfo]:
        return [s for s in self.streams if s.kind == "audio"]


def _rate(text: str | None) -> float | None:
    if not text or text in ("0/0", "0"):
        return None
    try:
        return float(Fraction(text))
    except (ValueError, ZeroDivisionError):
        return None


def _float(text: object) -> float | None:
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def probe(path: str | os.PathLike[str], *, count_frames: bool = False) -> MediaInfo:
    """Probe ``path``; raise ``MediaError`` naming the file when it is missing or not media.

    ``count_frames`` counts video packets (exact for stream-copied video; slower on long files).
    """
    p = Path(path)
    if not p.is_file():
        raise MediaError(f"{p}: no such file", hint="check the path")
    args = [binary("ffprobe"), "-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
    if count_frames:
        args += ["-count_packets"]
    proc = subprocess.run([*args, str(p)], capture_output=True, check=False)
    if proc.returncode != 0:
        raise MediaError(f"{p}: not a readable media file (corrupt or unsupported)", hint="re-export it")
    data = json.loads(proc.stdout or b"{}")
    fmt = data.get("format", {})
    streams = []
    for s in data.get("streams", []):
        frames = s.get("nb_read_packets") or s.get("nb_frames")
        streams.append(
            StreamInfo(
                index=int(s.get("index", len(streams))),
                kind=s.get("codec_type", "unknown"),
                codec=s.get("codec_name", "unknown"),
                duration=_float(s.get("duration")),
                sample_rate=int(s["sample_rate"]) if s.get("sample_rate") else None,
                channels=s.get("channels"),
                channel_layout=s.get("channel_layout") or None,
                width=s.get("width"),
                height=s.get("height"),
                fps=_rate(s.get("avg_frame_rate")) or _rate(s.get("r_frame_rate")),
                frames=int(frames) if frames else None,
            )
        )
    duration = _float(fmt.get("duration"))
    if duration is None:
        durations = [s.duration for s in streams if s.duration]
        duration = max(durations) if durations else None
    if duration is None or not streams:
        raise MediaError(f"{p}: has no decodable audio or video stream", hint="re-export it")
    return MediaInfo(path=str(p), format=fmt.get("format_name", "unknown"), duration=duration, streams=tuple(streams))
