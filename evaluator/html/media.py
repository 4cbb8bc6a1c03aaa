"""Media for self-contained pages: short spans encoded small (ffmpeg), embedded as ``data:`` URIs.

Two formats, one per kind, chosen for size and for the browsers reviewers and raters use:

- audio: Opus in WebM, mono 48 kHz, 32 kbit/s (``AUDIO``). Opus is the smallest of the codecs every current
  browser decodes; WebM is the container Chromium, Firefox and Safari all read it from (Ogg Opus reached
  Safari late). 32 kbit/s is within the Opus project's recommended range for fullband speech.
- video: H.264 (main profile, level 3.0, at most 360 lines) with AAC-LC in MP4, faststart (``VIDEO``): the
  one video format every browser, Safari included, plays.

Each format's ``mime`` is what ``<source type>`` declares and what ``canPlayType`` is asked; the encoder
settings that make that declaration true live beside it. Encoding writes temporary files (WebM and MP4
need a seekable output to record their duration and index) and returns the bytes; ``encode_audio_many``
encodes many spans, several per ffmpeg process, on a thread pool (``encode_many``).

>>> AUDIO.container, VIDEO.container
('audio/webm', 'video/mp4')
>>> data_uri(b"hi", "text/plain")
'data:text/plain;base64,aGk='
"""

from __future__ import annotations

import base64
import functools
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from evaluator.errors import ConfigError, MediaError
from evaluator.media.tools import binary, run
from evaluator.metrics.item import Source

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class MediaFormat:
    """An encoding a page embeds: its ``<source type>`` (``mime``), file suffix and ffmpeg output options."""

    name: str
    kind: str  # "audio" | "video"
    mime: str
    suffix: str
    args: tuple[str, ...]

    @property
    def container(self) -> str:
        """The MIME type without codecs (what a ``data:`` URI carries)."""
        return self.mime.split(";")[0].strip()


AUDIO = MediaFormat(
    name="opus-webm",
    kind="audio",
    mime='audio/webm; codecs="opus"',
    suffix=".webm",
    args=("-vn", "-ac", "1", "-ar", "48000", "-c:a", "libopus", "-b:a", "32k", "-f", "webm"),
)

VIDEO = MediaFormat(
    name="h264-aac-mp4",
    kind="video",
    mime='video/mp4; codecs="avc1.4D401E, mp4a.40.2"',  # main profile, level 3.0; AAC-LC
    suffix=".mp4",
    args=(
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-profile:v", "main", "-level:v", "3.0",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-ac", "1", "-ar", "48000",
        "-movflags", "+faststart", "-f", "mp4",
    ),
)  # fmt: skip

#: Lines of the embedded video (height); level 3.0 allows up to 720x576 at 25 fps.
MAX_VIDEO_HEIGHT = 360
#: File spans per ffmpeg process in ``encode_audio_many``: benchmarks/page_media.py measured 39 ms per span in
#: batches of 32 against 141 ms with one process per span (80 speech spans, 2 busy cores).
AUDIO_BATCH = 32


@dataclass(frozen=True)
class EncodedMedia:
    """Encoded bytes and the format they are in."""

    data: bytes
    format: MediaFormat

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def mime(self) -> str:
        return self.format.mime

    def data_uri(self) -> str:
        return data_uri(self.data, self.format.container)


def data_uri(data: bytes, mime: str) -> str:
    """``data:MIME;base64,...`` for ``data`` (4/3 of its size)."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


@functools.lru_cache(maxsize=256)
def _file_duration(path: str, size: int, mtime: float) -> float:
    from evaluator.media import probe

    return probe(path).duration


def _span_input(src: Source, *, what: str) -> tuple[list[str], bytes | None, float | None]:
    """ffmpeg input options for ``src`` (a file span or an array), the bytes for stdin, the span length."""
    if src.array is not None:
        if not src.sr:
            raise ConfigError(f"{what}: an audio array needs its sample rate")
        x = np.asarray(src.array, dtype=np.float32)
        if x.ndim == 2:
            x = x.mean(axis=1)
        return ["-f", "f32le", "-ar", str(int(src.sr)), "-ac", "1", "-i", "pipe:0"], x.tobytes(), len(x) / src.sr
    if src.path is None or not Path(src.path).is_file():
        raise MediaError(f"{src.path}: no such file ({what})", hint="check the path")
    if src.start is not None and src.end is not None and src.end <= src.start:
        raise ConfigError(f"{src.path}: span {src.start:.3f}-{src.end:.3f} s is empty ({what})")
    opts: list[str] = []
    if src.start:
        st = Path(src.path).stat()
        full = _file_duration(str(src.path), st.st_size, st.st_mtime)
        if src.start >= full:  # ffmpeg would write a valid-looking file with nothing in it
            raise MediaError(f"{src.path}: span starts at {src.start:.3f} s, after the end ({full:.3f} s) ({what})")
        opts += ["-ss", f"{src.start:.6f}"]
    length = None
    if src.end is not None:
        length = src.end - (src.start or 0.0)
        opts += ["-t", f"{length:.6f}"]
    return [*opts, "-i", str(src.path)], None, length


def _encode(
    inputs: list[str], stdin: bytes | None, outputs: list[list[str]], fmt: MediaFormat, what: str
) -> list[EncodedMedia]:
    """Run one ffmpeg over ``inputs`` writing one ``fmt`` file per entry of ``outputs`` (its -map options)."""
    with tempfile.TemporaryDirectory(prefix="dubkit-media-") as tmp:
        files = [Path(tmp) / f"media{i}{fmt.suffix}" for i in range(len(outputs))]
        args = [binary("ffmpeg"), "-nostdin", "-v", "error", "-y", *inputs]
        for maps, out in zip(outputs, files, strict=True):
            args += [*maps, *fmt.args, str(out)]
        try:
            run(args, what=f"encoding {what}", input=stdin)
        except Exception as exc:
            raise MediaError(f"{what}: cannot encode for the page", hint=str(exc)) from None
        data = [f.read_bytes() for f in files]
    if not all(data):
        raise MediaError(f"{what}: the encoded media is empty", hint="check that the span holds audio")
    return [EncodedMedia(d, fmt) for d in data]


def encode_audio(src: Source, fmt: MediaFormat = AUDIO, *, what: str = "audio") -> EncodedMedia:
    """Encode an audio span (``Source`` of a file span or an array) to ``fmt`` (default: Opus in WebM)."""
    if fmt.kind != "audio":
        raise ConfigError(f"{fmt.name} is not an audio format")
    inputs, stdin, _ = _span_input(src, what=what)
    return _encode(inputs, stdin, [["-map", "0:a:0"]], fmt, what)[0]


def _encode_audio_batch(srcs: Sequence[Source], fmt: MediaFormat, what: str) -> list[EncodedMedia]:
    """File spans through one ffmpeg process; on a failure each span alone, so the error names its span."""
    inputs: list[str] = []
    for i, src in enumerate(srcs):
        inputs += _span_input(src, what=f"{what} {i + 1}")[0]
    try:
        return _encode(inputs, None, [["-map", f"{i}:a:0"] for i in range(len(srcs))], fmt, what)
    except MediaError:
        return [encode_audio(src, fmt, what=f"{src.path} ({what})") for src in srcs]


def encode_audio_many(
    srcs: Sequence[Source],
    fmt: MediaFormat = AUDIO,
    *,
    workers: int | None = None,
    batch: int = AUDIO_BATCH,
    progress: Callable[[int], None] | None = None,
    what: str = "audio",
) -> list[EncodedMedia]:
    """``[encode_audio(s) for s in srcs]``, faster: file spans go ``batch`` to one ffmpeg process (starting
    ffmpeg costs more than encoding a few seconds of speech), arrays one per process; processes run on
    ``workers`` threads (default: one per CPU)."""
    if fmt.kind != "audio":
        raise ConfigError(f"{fmt.name} is not an audio format")
    files = [i for i, s in enumerate(srcs) if s.array is None]
    groups = [files[k : k + max(1, batch)] for k in range(0, len(files), max(1, batch))]
    groups += [[i] for i, s in enumerate(srcs) if s.array is not None]

    def one(group: list[int]) -> list[EncodedMedia]:
        if srcs[group[0]].array is not None:
            out = [encode_audio(srcs[group[0]], fmt, what=what)]
        else:
            out = _encode_audio_batch([srcs[i] for i in group], fmt, what)
        if progress:
            progress(len(group))
        return out

    results: list[EncodedMedia | None] = [None] * len(srcs)
    for group, media in zip(groups, encode_many(one, groups, workers=workers), strict=True):
        for i, m in zip(group, media, strict=True):
            results[i] = m
    return [m for m in results if m is not None]


def encode_video(
    video: Source,
    audio: Source | None = None,
    fmt: MediaFormat = VIDEO,
    *,
    max_height: int = MAX_VIDEO_HEIGHT,
    what: str = "video",
) -> EncodedMedia:
    """Encode a video span with ``audio`` (another file's span or an array; default: the video's own audio)
    to ``fmt`` (default: H.264/AAC in MP4), scaled down to at most ``max_height`` lines (never up)."""
    if fmt.kind != "video":
        raise ConfigError(f"{fmt.name} is not a video format")
    if video.array is not None:
        raise ConfigError(f"{what}: video must come from a file")
    v_in, _, length = _span_input(video, what=what)
    inputs, stdin, maps = list(v_in), None, ["-map", "0:v:0"]
    if audio is None:
        maps += ["-map", "0:a:0?"]
    else:
        a_in, stdin, _ = _span_input(audio, what=what)
        inputs += a_in
        maps += ["-map", "1:a:0"]
    if length is None:  # the whole file: its picture's length
        from evaluator.media import probe

        info = probe(str(video.path))
        full = (info.video.duration if info.video and info.video.duration else None) or info.duration
        length = max(0.0, full - (video.start or 0.0))
    maps += ["-t", f"{length:.6f}"]  # the picture's span sets the clip's length, whatever the sound's
    h = int(max_height) - int(max_height) % 2
    maps += ["-vf", f"scale=-2:'min({h},ih-mod(ih,2))'"]
    return _encode(inputs, stdin, [maps], fmt, what)[0]


def encode_many(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[R]:
    """``[fn(x) for x in items]`` on ``workers`` threads (default: one per CPU; each runs an ffmpeg process),
    in order; ``progress(1)`` after each item. The first error is raised once the running items finish."""
    todo: Sequence[T] = list(items)
    n = workers or os.cpu_count() or 1
    if n <= 1 or len(todo) <= 1:
        out = []
        for x in todo:
            out.append(fn(x))
            if progress:
                progress(1)
        return out
    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(fn, x) for x in todo]
        results = []
        try:
            for f in futures:
                results.append(f.result())
                if progress:
                    progress(1)
        except BaseException:
            for f in futures:
                f.cancel()
            raise
        return results
