"""Decoding video frames."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from evaluator.errors import MediaError
from evaluator.media.probe import probe
from evaluator.media.tools import binary, run


def read_frames(
    path: str | os.PathLike[str],
    *,
    fps: float | None = None,
    start: float | None = None,
    end: float | None = None,
    size: tuple[int, int] | None = None,
    gray: bool = False,
) -> np.ndarray:
    """Decode frames as uint8 ``(n, h, w, 3)`` RGB (or ``(n, h, w)`` when ``gray``).

    ``fps`` resamples the frame rate (None keeps the stream's), ``start``/``end`` select a span in
    seconds, ``size`` is ``(width, height)``.
    """
    p = Path(path)
    info = probe(p)
    video = info.video
    if video is None or not video.width or not video.height:
        raise MediaError(f"{p}: has no video stream")
    width, height = size or (video.width, video.height)
    args = [binary("ffmpeg"), "-nostdin", "-v", "error"]
    if start is not None and start > 0:
        args += ["-ss", f"{start:.6f}"]
    args += ["-i", str(p)]
    if end is not None:
        args += ["-t", f"{max(0.0, end - (start or 0.0)):.6f}"]
    filters = []
    if fps is not None:
        filters.append(f"fps={fps}")
    if size is not None:
        filters.append(f"scale={width}:{height}")
    if filters:
        args += ["-vf", ",".join(filters)]
    pix = "gray" if gray else "rgb24"
    proc = run([*args, "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", pix, "-"], what=f"decoding video of {p}")
    channels = 1 if gray else 3
    frame_bytes = width * height * channels
    n = len(proc.stdout) // frame_bytes
    frames = np.frombuffer(proc.stdout[: n * frame_bytes], dtype=np.uint8)
    shape = (n, height, width) if gray else (n, height, width, 3)
    return frames.reshape(shape).copy()
