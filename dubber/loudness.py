"""Integrated loudness (ITU-R BS.1770-4) measured block by block, in bounded memory.

The K-weighting filter is pyloudnorm's (its two biquads, the same coefficients its ``Meter`` uses);
its state is carried from one block to the next, so feeding a signal in pieces measures exactly what
feeding it whole does. The 400 ms gating blocks (75 % overlap) are kept as the energies of their
100 ms quarters: one number per 100 ms, whatever the number of channels. Digital silence can be
skipped (:meth:`LoudnessMeter.skip`) without filtering it: a silent block is below the absolute gate,
so a programme that is mostly silence costs the work of its sound.

>>> import numpy as np
>>> sr = 48000
>>> tone = 0.1 * np.sin(2 * np.pi * 997 * np.arange(3 * sr) / sr)
>>> meter = LoudnessMeter(sr)
>>> for piece in np.array_split(tone, 7):
...     meter.add(piece)
>>> round(meter.integrated(), 2)  # a 997 Hz sine of amplitude 0.1 (ffmpeg's ebur128 prints -23.0)
-23.05
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
#: the filter state under which the K-weighting filter counts as rung out (silence stays silence)
_RUNG_OUT = 1e-12


def k_weighting_sos(sr: int) -> np.ndarray:
    """pyloudnorm's K-weighting (high shelf, then high pass) at ``sr`` as second-order sections."""
    import pyloudnorm

    sections = []
    for f in pyloudnorm.Meter(sr)._filters.values():  # the meter's own filter objects, not re-derived
        b, a = f.b, f.a
        sections.append(np.concatenate([np.asarray(b) * f.passband_gain, a]))
    return np.array(sections, dtype=np.float64)


class LoudnessMeter:
    """BS.1770-4 integrated loudness of a signal fed in blocks (see the module docstring).

    ``weights`` are the channels' BS.1770 weights (default 1 each: mono, stereo); a block's channel
    count must match them."""

    def __init__(self, sr: int, weights: Sequence[float] | None = None) -> None:
        self.sr = sr
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        self._sos = k_weighting_sos(sr)
        self._zi: np.ndarray | None = None
        self._pos = 0  # samples seen (fed or skipped)
        self._quarter = 0  # index of the 100 ms quarter holding sample _pos
        self._acc = 0.0  # energy so far in that quarter
        self._done: list[tuple[int, np.ndarray]] = []  # (first quarter, energies) of finished quarters

    def _bound(self, k: int) -> int:
        """First sample of quarter ``k`` (quarters are 100 ms, rounded to samples)."""
        return (k * self.sr + 5) // 10

    @property
    def seconds(self) -> float:
        """Length of the signal measured so far (fed and skipped)."""
        return self._pos / self.sr

    def add(self, audio: np.ndarray) -> None:
        """Feed the next ``(n,)`` or ``(n, channels)`` samples."""
        from scipy.signal import sosfilt

        x = np.asarray(audio, dtype=np.float64)
        x = x[:, None] if x.ndim == 1 else x
        if len(x) == 0:
            return
        weights = self.weights if self.weights is not None else np.ones(x.shape[1])
        if len(weights) != x.shape[1]:
            raise ValueError(f"{x.shape[1]} channel(s) fed to a meter weighting {len(weights)}")
        if self._zi is None:
            self._zi = np.zeros((len(self._sos), 2, x.shape[1]))
        if not np.any(x) and self._rung_out():
            self.skip(len(x))
            return
        y, self._zi = sosfilt(self._sos, x, axis=0, zi=self._zi)
        self._accumulate((y * y) @ weights)

    def _rung_out(self) -> bool:
        return self._zi is None or float(np.max(np.abs(self._zi))) < _RUNG_OUT

    def skip(self, n: int) -> None:
        """Advance over ``n`` samples of digital silence. Until the filter has rung out the zeros are
        filtered as given; after that they are only counted."""
        if n <= 0:
            return
        if not self._rung_out():
            ring = min(n, max(1, self.sr // 4))
            channels = self._zi.shape[2]  # type: ignore[union-attr]
            self.add(np.zeros((ring, channels)))
            self.skip(n - ring)
            return
        end = self._pos + n
        k = self._quarter
        if self._bound(k + 1) <= end:  # the current quarter ends inside the skipped stretch
            self._done.append((k, np.array([self._acc])))
            self._acc = 0.0
            while self._bound(k + 1) <= end:
                k += 1
        self._quarter, self._pos = k, end

    def _accumulate(self, power: np.ndarray) -> None:
        """Add per-sample (channel-weighted) power to the 100 ms quarters it falls in."""
        start, end = self._pos, self._pos + len(power)
        k = self._quarter
        bounds = []
        while self._bound(k + 1) <= end:
            k += 1
            bounds.append(self._bound(k) - start)
        if bounds:
            cums = np.concatenate([[0.0], np.cumsum(power)])
            edges = np.array([0, *bounds])
            sums = cums[edges[1:]] - cums[edges[:-1]]
            sums[0] += self._acc
            self._done.append((self._quarter, sums))
            self._acc = float(cums[-1] - cums[bounds[-1]])
        else:
            self._acc += float(power.sum())
        self._quarter, self._pos = k, end

    def block_energies(self) -> np.ndarray:
        """Mean (channel-weighted) square of each complete 400 ms gating block, in order."""
        quarters = np.zeros(self._quarter)
        for k, sums in self._done:
            quarters[k : k + len(sums)] = sums
        if len(quarters) < 4:
            return np.zeros(0)
        four = quarters[:-3] + quarters[1:-2] + quarters[2:-1] + quarters[3:]
        return four / (0.4 * self.sr)

    def integrated(self) -> float:
        """Integrated loudness in LUFS (absolute gate -70 LUFS, relative gate -10 LU); -inf when no block
        passes the gates (silence, or less than 400 ms measured)."""
        z = self.block_energies()
        with np.errstate(divide="ignore"):
            blocks = -0.691 + 10 * np.log10(z)
        above = blocks >= ABSOLUTE_GATE_LUFS
        if not above.any():
            return float("-inf")
        relative = -0.691 + 10 * np.log10(z[above].mean()) + RELATIVE_GATE_LU
        kept = (blocks > relative) & (blocks > ABSOLUTE_GATE_LUFS)
        return float(-0.691 + 10 * np.log10(z[kept].mean()))


def loudness(audio: np.ndarray, sr: int, weights: Sequence[float] | None = None) -> float:
    """Integrated loudness of a whole array (LUFS; -inf for silence or under 0.4 s)."""
    meter = LoudnessMeter(sr, weights)
    meter.add(audio)
    return meter.integrated()
