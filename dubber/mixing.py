"""Mixing the dubbed dialogue over the background, one bounded block of the timeline at a time.

The pieces the mix stage (:mod:`dubber.stages.mix`) streams through: the dialogue stem built from the
placed lines for any stretch of the timeline (:class:`DialogueTrack`, which reads a line's audio only
while the stretch overlaps it), the ducking gain for any stretch (:func:`duck_gain`), a decoder's
blocks cut to the timeline's blocks (:func:`fixed_blocks`), and the report of what was measured on
what (:class:`MixReport`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: loudness used when the original has no measurable dialogue (ATSC A/85 dialogue level)
DEFAULT_DIALOGUE_LUFS = -24.0
#: samples per block of the timeline (about 5.5 s at 48 kHz): what the mix holds at once
MIX_BLOCK = 1 << 18


def merge_spans(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Spans (seconds) sorted, with overlapping ones merged."""
    merged: list[list[float]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def blocks_of(start: int, end: int, size: int = MIX_BLOCK) -> list[tuple[int, int]]:
    """``[start, end)`` (samples) cut into consecutive ``(a, b)`` blocks of at most ``size``."""
    return [(a, min(end, a + size)) for a in range(start, end, size)]


def place(length: int, sr: int, clips: Sequence[tuple[float, np.ndarray]], start: int = 0) -> np.ndarray:
    """Samples ``[start, start + length)`` of a mono stem with each ``(start_seconds, audio)`` added in place."""
    stem = np.zeros(length, dtype=np.float32)
    for t, clip in clips:
        i = int(round(t * sr)) - start
        lo, hi = max(0, i), min(length, i + len(clip))
        if lo < hi:
            stem[lo:hi] += clip[lo - i : hi - i]
    return stem


class DialogueTrack:
    """The dialogue stem of placed lines, built block by block in time order.

    ``lines`` are ``(placed_start_seconds, wav_path)``; a line's audio is read (and resampled to
    ``sr``) when the first block overlapping it is asked for, and dropped after the last one: memory
    holds the lines under one block, not the episode."""

    def __init__(self, lines: Sequence[tuple[float, Path]], sr: int) -> None:
        self.sr = sr
        self._todo = sorted(lines, key=lambda x: x[0])
        self._next = 0
        self._active: list[tuple[float, np.ndarray]] = []

    def _load(self, path: Path) -> np.ndarray:
        from evaluator.media import read_wav, resample

        audio, sr = read_wav(path)
        audio = audio.mean(axis=1) if audio.ndim == 2 else audio
        return resample(audio, sr, self.sr)

    def block(self, a: int, b: int) -> np.ndarray:
        """Samples ``[a, b)`` of the stem; blocks must be asked for in increasing order."""
        while self._next < len(self._todo) and int(round(self._todo[self._next][0] * self.sr)) < b:
            t, path = self._todo[self._next]
            self._active.append((t, self._load(path)))
            self._next += 1
        self._active = [(t, x) for t, x in self._active if int(round(t * self.sr)) + len(x) > a]
        return place(b - a, self.sr, self._active, start=a)


def duck_gain(
    length: int,
    sr: int,
    spans: Sequence[tuple[float, float]],
    duck_db: float,
    fade: float = 0.08,
    *,
    start: int = 0,
    total: int | None = None,
) -> np.ndarray:
    """Gain for samples ``[start, start + length)`` of a ``total``-sample programme: 1 outside ``spans``
    (seconds), ``-duck_db`` dB inside, with linear fades of ``fade`` s. Any stretch gets the values
    the whole programme's curve has there."""
    from scipy.ndimage import uniform_filter1d

    total = start + length if total is None else total
    size = max(1, int(fade * sr))
    lo, hi = max(0, start - size), min(total, start + length + size)
    inside = np.zeros(hi - lo, dtype=np.float32)
    for s, e in spans:
        a, b = max(lo, int((s - fade) * sr)), min(hi, int((e + fade) * sr))
        if a < b:
            inside[a - lo : b - lo] = 1.0
    ramp = uniform_filter1d(inside, size=size, mode="nearest")[start - lo : start - lo + length]
    floor = 10 ** (-duck_db / 20)
    return (1.0 - (1.0 - floor) * np.clip(ramp, 0, 1)).astype(np.float32)


def fixed_blocks(
    blocks: Iterable[np.ndarray], bounds: Sequence[tuple[int, int]], channels: int
) -> Iterator[np.ndarray]:
    """Re-cut a decoder's blocks to the timeline's ``bounds``: silence past the decoder's end, and
    anything it yields past the last bound dropped."""
    source = iter(blocks)
    buf: list[np.ndarray] = []
    have = 0
    for a, b in bounds:
        while have < b - a:
            nxt = next(source, None)
            if nxt is None:
                break
            buf.append(nxt)
            have += len(nxt)
        joined = np.concatenate(buf) if buf else np.zeros((0, channels), dtype=np.float32)
        out = joined[: b - a]
        if len(out) < b - a:
            out = np.concatenate([out, np.zeros((b - a - len(out), channels), dtype=np.float32)])
        rest = joined[b - a :]
        buf, have = ([rest] if len(rest) else []), len(rest)
        yield out
    close = getattr(source, "close", None)
    if close is not None:  # a longer source is not decoded to its end
        close()


@dataclass(frozen=True)
class MixReport:
    """What the mix stage measured, on what (the manifest's ``mix``, the summary's loudness line)."""

    layout: str  # the output's channel layout, e.g. "stereo (FL+FR)"
    sample_rate: int
    target_lufs: float
    target_source: str  # what the target was measured on (layout, spans)
    dub_lufs: float  # the dialogue as placed in the output layout
    dub_placement: str  # where the mono dialogue goes in that layout
    dub_gain_db: float
    mix_dialogue_lufs: float  # the final mix over the placed lines (dialogue plus the ducked background)
    mix_dialogue_spans: str
    mix_true_peak_dbtp: float
    dub_true_peak_dbtp: float
    background: str

    def to_dict(self) -> dict[str, object]:
        d = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in self.__dict__.items()}
        d["method"] = "ITU-R BS.1770-4 (pyloudnorm K-weighting, gating accumulated block by block), true peak 4x"
        return d
