"""True peak (ITU-R BS.1770-4 Annex 2, 4x oversampled) and a look-ahead limiter, both on streams.

A stream is an iterable of ``(n,)`` or ``(n, channels)`` blocks. Each block is processed with enough
of its neighbours around it (:func:`with_context`) that the result is the same as processing the
whole signal at once: the limiter looks ahead across block boundaries.

The oversampled values are computed only where they can matter: resample_poly's interpolation filter
can raise a peak at most :func:`overshoot` times (about 2.24) above the samples around it, so a stretch
whose samples stay under ``floor / overshoot`` cannot reach ``floor`` and is not oversampled. Quiet
stretches (most of a long programme) cost one comparison.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterable, Iterator

import numpy as np

TRUE_PEAK_CEILING_DBTP = -1.0
OVERSAMPLE = 4
#: samples of context each side that the oversampling filter needs (its 81 taps span 10 input samples)
_FILTER_CONTEXT = 32
#: oversampled stretches closer than this (samples) are computed as one
_MERGE_GAP = 2048


@functools.cache
def overshoot() -> float:
    """The largest factor by which an oversampled value can exceed the samples around it (the largest
    sum of absolute taps of a phase of resample_poly's interpolation filter), read off its impulse
    response."""
    from scipy.signal import resample_poly

    impulse = np.zeros(2 * _FILTER_CONTEXT + 1)
    impulse[_FILTER_CONTEXT] = 1.0
    h = resample_poly(impulse, OVERSAMPLE, 1)
    return float(max(np.abs(h[p::OVERSAMPLE]).sum() for p in range(OVERSAMPLE)))


def _two_d(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x[:, None] if x.ndim == 1 else x


def true_peak_envelope(audio: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Per-sample true-peak envelope: the largest absolute value over the channels of each sample and
    its 4x-oversampled neighbours. Exact wherever it is at least ``floor``; elsewhere it is the sample
    peak, which is then known to stay under ``floor`` when oversampled."""
    from scipy.signal import resample_poly

    x = _two_d(audio)
    n = len(x)
    env = np.abs(x).max(axis=1) if x.shape[1] else np.zeros(n, dtype=np.float32)
    hot = np.flatnonzero(env * overshoot() >= floor) if floor > 0 else np.arange(n)
    if len(hot) == 0:
        return env
    breaks = np.flatnonzero(np.diff(hot) > _MERGE_GAP)
    starts = np.concatenate([[hot[0]], hot[breaks + 1]])
    ends = np.concatenate([hot[breaks], [hot[-1]]]) + 1
    for lo, hi in zip(starts, ends, strict=True):
        a, b = max(0, lo - _FILTER_CONTEXT), min(n, hi + _FILTER_CONTEXT)
        over = np.abs(resample_poly(x[a:b], OVERSAMPLE, 1, axis=0))
        m = b - a
        per_sample = over[: OVERSAMPLE * m].reshape(m, OVERSAMPLE, -1).max(axis=(1, 2))
        env[lo:hi] = np.maximum(env[lo:hi], per_sample[lo - a : hi - a])
    return env


def with_context(blocks: Iterable[np.ndarray], context: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield ``(before, block, after)`` for each block: up to ``context`` samples either side (fewer only
    at the stream's ends), collected across as many neighbouring blocks as that takes."""
    pending: deque[np.ndarray] = deque()
    after = 0  # samples in pending after its first block
    before: np.ndarray | None = None

    def emit() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        nonlocal before, after
        cur = pending.popleft()
        after -= len(pending[0]) if pending else 0
        ahead, got = [], 0
        for b in pending:
            if got >= context:
                break
            ahead.append(b[: context - got])
            got += len(ahead[-1])
        right = np.concatenate(ahead) if ahead else cur[:0]
        left = before if before is not None else cur[:0]
        if context == 0:
            before = cur[:0]
        elif len(cur) >= context:
            before = cur[-context:]
        else:
            before = np.concatenate([left, cur])[-context:]
        return left, cur, right

    for block in blocks:
        pending.append(block)
        if len(pending) > 1:
            after += len(block)
        while len(pending) > 1 and after >= context:
            yield emit()
    while pending:
        yield emit()


def limit_stream(
    blocks: Iterable[np.ndarray],
    sr: int,
    ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP,
    lookahead: float = 0.005,
) -> Iterator[np.ndarray]:
    """Keep the true peak at or under ``ceiling_dbtp`` with a look-ahead limiter; yields each block
    (same length) once enough of the next ones has arrived.

    The gain each sample needs (the ceiling, less 0.1 dB, over the sample's true-peak envelope) is
    spread ``lookahead`` seconds to both sides (a running minimum) and smoothed (a running mean half as
    wide), so the gain is already down when a peak arrives and comes back over about 10 ms. Only the
    samples near peaks change, so loudness is kept."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    target = 10 ** ((ceiling_dbtp - 0.1) / 20)
    win = max(1, int(lookahead * sr))
    reach = win + win // 2 + 1 + _FILTER_CONTEXT
    bound = overshoot()
    for left, cur, right in with_context(blocks, reach):
        ext = _two_d(np.concatenate([left, cur, right])) if len(left) or len(right) else _two_d(cur)
        if len(ext) == 0 or float(np.abs(ext).max()) * bound < target:
            yield cur
            continue
        env = true_peak_envelope(ext, floor=target)
        need = np.minimum(1.0, target / np.maximum(env, 1e-9)).astype(np.float32)
        gain = uniform_filter1d(minimum_filter1d(need, size=2 * win + 1), size=win)
        g = gain[len(left) : len(left) + len(cur)]
        yield (cur * (g[:, None] if np.ndim(cur) == 2 else g)).astype(np.float32)


class TruePeakMeter:
    """The true peak of a stream that passes through :meth:`watch` unchanged."""

    def __init__(self) -> None:
        self.peak = 0.0

    def watch(self, blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        bound = overshoot()
        for left, cur, right in with_context(blocks, _FILTER_CONTEXT):
            if len(cur) and float(np.abs(cur).max()) * bound > self.peak:
                ext = np.concatenate([left, cur, right])
                env = true_peak_envelope(ext, floor=self.peak)[len(left) : len(left) + len(cur)]
                self.peak = max(self.peak, float(env.max()))
            yield cur

    @property
    def dbtp(self) -> float:
        return 20 * float(np.log10(self.peak)) if self.peak > 0 else float("-inf")


def true_peak_dbtp(audio: np.ndarray) -> float:
    """True peak (dBTP) of a whole array."""
    meter = TruePeakMeter()
    for _ in meter.watch([np.asarray(audio, dtype=np.float32)]):
        pass
    return meter.dbtp
