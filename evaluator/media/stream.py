"""Raw PCM to and from ffmpeg in bounded blocks: long programmes never sit in memory whole.

:func:`stream_audio` decodes a file (or only some spans of it) block by block; :class:`PcmStream` is an
audio track that is computed block by block and piped into ffmpeg's standard input (``mux`` takes one
as a track). Blocks are float32 ``(n, channels)`` arrays.
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from evaluator.errors import BackendError, MediaError
from evaluator.media.layout import Layout
from evaluator.media.tools import binary

#: frames per block read from or written to ffmpeg (about 1.4 s at 48 kHz)
BLOCK = 1 << 16
#: spans decoded by one ffmpeg process (each an input seeked with -ss: only the span is decoded, and
#: starting ffmpeg costs more than decoding a few seconds of audio). Each input holds the file's index:
#: about 10 MB for a 2-hour MP4, so 8 inputs keep ffmpeg near 150 MB (2.9x faster per span than one
#: process per span, measured here; 32 inputs are only 15 % faster again but take 380 MB)
SPAN_BATCH = 8
#: above one span per this many seconds of the file, decoding the file straight through costs less than
#: seeking to each span (measured here on 30-minute and 2-hour MP4s: about 0.06-0.1 s per seeked span,
#: against 1 s per 400-440 s of AAC decoded straight through)
SECONDS_PER_SPAN = 30.0
#: seconds of audio decoded by one ffmpeg process when spans are returned as arrays
SPAN_BATCH_SECONDS = 120.0


def stream_audio(
    path: str | os.PathLike[str],
    sr: int,
    layout: Layout,
    *,
    spans: Sequence[tuple[float, float]] | None = None,
    stream: int = 0,
    block: int = BLOCK,
) -> Iterator[np.ndarray]:
    """Decode audio stream ``stream`` of ``path`` at ``sr`` Hz in ``layout`` (ffmpeg converts rate and
    channels) and yield ``(n, layout.count)`` float32 blocks of at most ``block`` frames.

    ``spans`` (seconds) yields only those spans, one after the other, as one continuous signal: each
    seeked to and decoded alone, never the file's other parts, unless they are so many (more than one
    per :data:`SECONDS_PER_SPAN` of the file, in time order) that decoding the file straight through
    and keeping the spans' samples costs less. ``None`` decodes the whole stream."""
    p = _existing(path)
    whole = [*_ffmpeg_base(), "-i", str(p), "-map", f"0:a:{stream}", "-vn", *_raw_output(sr, layout)]
    if spans is None:
        yield from _blocks(whole, layout.count, block, p)
        return
    spans = list(spans)
    ordered = all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False))
    if ordered and len(spans) * SECONDS_PER_SPAN > _duration(p):
        yield from _keep_spans(_blocks(whole, layout.count, block, p), spans, sr)
        return
    for group in _groups(spans, None):
        yield from _blocks(_span_args(p, sr, layout, group, stream), layout.count, block, p)


def _duration(p: Path) -> float:
    from evaluator.media.probe import probe

    return probe(p).duration


def _keep_spans(blocks: Iterator[np.ndarray], spans: Sequence[tuple[float, float]], sr: int) -> Iterator[np.ndarray]:
    """The samples of ``blocks`` (a whole stream) inside ``spans`` (in time order, not overlapping),
    each span exactly ``round((end - start) * sr)`` samples (padded with silence past the stream's end)."""
    bounds = [(int(round(max(0.0, s) * sr)), int(round(max(0.0, s) * sr)) + _frames(s, e, sr)) for s, e in spans]
    pos, k, channels = 0, 0, None
    for x in blocks:
        channels = x.shape[1]
        end = pos + len(x)
        while k < len(bounds) and bounds[k][0] < end:
            a, b = bounds[k]
            piece = x[max(a, pos) - pos : min(b, end) - pos]
            if len(piece):
                yield piece
            if b > end:
                break
            k += 1
        pos = end
        if k == len(bounds):
            blocks.close()  # type: ignore[attr-defined]
            return
    for a, b in bounds[k:]:  # past the stream's end
        missing = b - max(a, pos)
        if missing > 0 and channels is not None:
            yield np.zeros((missing, channels), dtype=np.float32)


def read_spans(
    path: str | os.PathLike[str], sr: int, layout: Layout, spans: Sequence[tuple[float, float]], *, stream: int = 0
) -> Iterator[np.ndarray]:
    """Yield the audio of each span (seconds) of ``path`` as its own ``(round((end - start) * sr),
    layout.count)`` array, in order. Spans are decoded a batch per ffmpeg process, a batch only when
    the first of its spans is asked for: a caller that stops early decodes little more than it used."""
    p = _existing(path)
    for group in _groups(spans, SPAN_BATCH_SECONDS):
        data = np.concatenate(list(_blocks(_span_args(p, sr, layout, group, stream), layout.count, BLOCK, p)))
        offset = 0
        for s, e in group:
            k = _frames(s, e, sr)
            yield data[offset : offset + k]
            offset += k


def _existing(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.is_file():
        raise MediaError(f"{p}: no such file", hint="check the path")
    return p


def _ffmpeg_base() -> list[str]:
    return [binary("ffmpeg"), "-nostdin", "-v", "error"]


def _raw_output(sr: int, layout: Layout) -> list[str]:
    return ["-f", "f32le", "-acodec", "pcm_f32le", "-ar", str(sr), "-ch_layout", layout.name, "-"]


def _frames(start: float, end: float, sr: int) -> int:
    return max(0, int(round((end - max(0.0, start)) * sr)))


def _groups(spans: Sequence[tuple[float, float]], seconds: float | None) -> Iterator[list[tuple[float, float]]]:
    group: list[tuple[float, float]] = []
    length = 0.0
    for s, e in spans:
        full = len(group) >= SPAN_BATCH or (seconds is not None and group and length + (e - s) > seconds)
        if full:
            yield group
            group, length = [], 0.0
        group.append((s, e))
        length += e - s
    if group:
        yield group


def _span_args(p: Path, sr: int, layout: Layout, group: Sequence[tuple[float, float]], stream: int) -> list[str]:
    """One ffmpeg command decoding ``group``'s spans, each seeked to and cut (or padded with silence) to
    exactly its length in samples, concatenated."""
    args = _ffmpeg_base()
    chains = []
    for i, (s, e) in enumerate(group):
        start = max(0.0, s)
        args += ["-ss", f"{start:.6f}", "-t", f"{max(0.0, e - start):.6f}", "-i", str(p)]
        k = _frames(s, e, sr)
        chains.append(
            f"[{i}:a:{stream}]aresample={sr},aformat=channel_layouts={layout.name},"
            f"apad=whole_len={k},atrim=end_sample={k}[s{i}]"
        )
    pads = "".join(f"[s{i}]" for i in range(len(group)))
    graph = ";".join([*chains, f"{pads}concat=n={len(group)}:v=0:a=1[a]"])
    return [*args, "-filter_complex", graph, "-map", "[a]", *_raw_output(sr, layout)]


def _blocks(args: list[str], channels: int, block: int, path: Path) -> Iterator[np.ndarray]:
    frame = 4 * channels
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err)
        try:
            assert proc.stdout is not None
            while True:
                data = proc.stdout.read(block * frame)
                if not data:
                    break
                n = len(data) // frame
                yield np.frombuffer(data[: n * frame], dtype=np.float32).reshape(n, channels).copy()
            code = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if code != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-1:] or ["(no message)"]
            raise MediaError(f"{path}: cannot decode its audio", hint=tail[0])


@dataclass
class PcmStream:
    """An audio track computed block by block: ``blocks`` yields float32 ``(n, layout.count)`` arrays at
    ``sr`` Hz, which are piped into ffmpeg (see :func:`feed`)."""

    blocks: Iterable[np.ndarray]
    sr: int
    layout: Layout

    def input_args(self) -> list[str]:
        """ffmpeg's input options for this track read from standard input."""
        return ["-f", "f32le", "-ar", str(self.sr), "-ch_layout", self.layout.name, "-i", "pipe:0"]


def feed(args: Sequence[str], source: PcmStream, *, what: str) -> None:
    """Run ffmpeg ``args`` (which read ``pipe:0``) with ``source``'s blocks written to its standard input.

    The blocks are written by a second thread through a queue of ``QUEUED_BLOCKS``, so computing the
    next blocks and ffmpeg's encoding overlap (written from the computing thread, a pipe's 64 KiB let
    ffmpeg work only while a block was being written: the streaming mix of a 267 s episode spent 9.6 s
    of its 18 s waiting on the encoder). Every block is computed even when ffmpeg stops reading early (an
    output cut at the picture's duration), so what computing them writes elsewhere is complete. An error
    while computing the blocks stops ffmpeg and propagates; ffmpeg failing is a ``BackendError`` with its
    last message."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(list(args), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        assert proc.stdin is not None
        pipe = _PipeWriter(proc.stdin)
        try:
            for block in source.blocks:
                data = np.ascontiguousarray(block, dtype=np.float32)
                if data.ndim != 2 or data.shape[1] != source.layout.count:
                    raise ValueError(f"a block of shape {data.shape} for a {source.layout.count}-channel track")
                pipe.put(data.tobytes())
            pipe.close()
            code = proc.wait()
        except BaseException:
            proc.kill()
            pipe.close()
            proc.wait()
            raise
        if code != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-1:] or ["(no message)"]
            raise BackendError(f"{what} failed: {tail[0]}")


#: blocks waiting for ffmpeg (at most ``QUEUED_BLOCKS * BLOCK`` frames in memory: 4 MiB in stereo)
QUEUED_BLOCKS = 8


class _PipeWriter:
    """Writes byte strings to ``pipe`` from its own thread, through a bounded queue; once the reader
    stops reading (a broken pipe), further data is dropped."""

    def __init__(self, pipe: BinaryIO) -> None:
        self._pipe = pipe
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUED_BLOCKS)
        self._thread = threading.Thread(target=self._run, name="dubkit-pipe", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        reading = True
        while (data := self._queue.get()) is not None:
            if reading:
                try:
                    self._pipe.write(data)
                except (BrokenPipeError, ValueError):  # ffmpeg stopped reading (done or failed), or killed
                    reading = False
        with contextlib.suppress(BrokenPipeError, ValueError, OSError):
            self._pipe.close()

    def put(self, data: bytes) -> None:
        self._queue.put(data)

    def close(self) -> None:
        """Write what is queued, close the pipe, wait for the thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
