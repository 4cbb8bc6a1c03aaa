"""Mixing the dubbed dialogue over the background.

The dialogue stem is placed at the fitted times and brought to the loudness of the original
dialogue (ITU-R BS.1770-4 integrated loudness, pyloudnorm). The background is the user's
music-and-effects stem when given, else the original audio ducked under each dubbed line with
short fades. The final mix keeps a true-peak ceiling (4x oversampled peak, default -1 dBTP): a
look-ahead limiter shaves the peaks, then a static gain guarantees the ceiling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: loudness used when the original has no measurable dialogue (ATSC A/85 dialogue level)
DEFAULT_DIALOGUE_LUFS = -24.0
TRUE_PEAK_CEILING_DBTP = -1.0


def loudness(audio: np.ndarray, sr: int) -> float:
    """Integrated loudness in LUFS (BS.1770-4); -inf for silence or clips under 0.4 s."""
    import pyloudnorm

    x = np.asarray(audio, dtype=np.float64)
    if x.shape[0] < int(0.4 * sr) + 1 or not np.any(x):
        return float("-inf")
    return float(pyloudnorm.Meter(sr).integrated_loudness(x))


def true_peak_envelope(audio: np.ndarray, block: int = 1 << 16) -> np.ndarray:
    """Per-sample true-peak envelope: the largest absolute value over the channels and the four
    4x-oversampled points of each sample (BS.1770-4 Annex 2), computed in blocks (with overlap for
    the filter's edges) so memory stays flat on long programmes."""
    from scipy.signal import resample_poly

    x = np.asarray(audio, dtype=np.float32)
    x = x[:, None] if x.ndim == 1 else x
    n = x.shape[0]
    env = np.empty(n, dtype=np.float32)
    pad = 256
    for i in range(0, n, block):
        lo, hi = max(0, i - pad), min(n, i + block + pad)
        over = resample_poly(x[lo:hi], 4, 1, axis=0)
        m = hi - lo
        per_sample = np.zeros(m, dtype=np.float32)
        for c in range(x.shape[1]):  # channel by channel: reductions over a length-2 axis are slow
            per_sample = np.maximum(per_sample, np.abs(over[: 4 * m, c]).reshape(m, 4).max(axis=1))
            per_sample = np.maximum(per_sample, np.abs(x[lo:hi, c]))
        j = min(n, i + block)
        env[i:j] = per_sample[i - lo : j - lo]
    return env


def true_peak_dbtp(audio: np.ndarray, sr: int) -> float:
    """True peak (dBTP) by 4x oversampling, as BS.1770-4 Annex 2 describes."""
    if np.asarray(audio).size == 0:
        return float("-inf")
    peak = float(true_peak_envelope(audio).max())
    return 20 * np.log10(peak) if peak > 0 else float("-inf")


def spans_audio(audio: np.ndarray, sr: int, spans: Sequence[tuple[float, float]]) -> np.ndarray:
    """The parts of ``audio`` inside ``spans`` (seconds), concatenated (overlaps merged)."""
    merged: list[list[float]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    parts = [audio[int(s * sr) : int(e * sr)] for s, e in merged]
    return np.concatenate(parts) if parts else audio[:0]


def place(length: int, sr: int, clips: Sequence[tuple[float, np.ndarray]]) -> np.ndarray:
    """A mono stem of ``length`` samples with each ``(start_seconds, audio)`` added in place."""
    stem = np.zeros(length, dtype=np.float32)
    for start, clip in clips:
        i = int(round(start * sr))
        if i >= length:
            continue
        n = min(len(clip), length - i)
        stem[i : i + n] += clip[:n]
    return stem


def duck_gain(
    length: int, sr: int, spans: Sequence[tuple[float, float]], duck_db: float, fade: float = 0.08
) -> np.ndarray:
    """Gain curve: 1 outside ``spans``, ``-duck_db`` dB inside, with linear fades of ``fade`` s."""
    inside = np.zeros(length, dtype=np.float32)
    for s, e in spans:
        inside[max(0, int((s - fade) * sr)) : min(length, int((e + fade) * sr))] = 1.0
    from scipy.ndimage import uniform_filter1d

    ramp = uniform_filter1d(inside, size=max(1, int(fade * sr)), mode="nearest")
    floor = 10 ** (-duck_db / 20)
    return (1.0 - (1.0 - floor) * np.clip(ramp, 0, 1)).astype(np.float32)


def limit(
    audio: np.ndarray, sr: int, ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP, lookahead: float = 0.005
) -> np.ndarray:
    """Keep the true peak at or under ``ceiling_dbtp`` with a look-ahead brick-wall limiter.

    The gain each sample needs (the ceiling, less 0.1 dB, over the sample's true-peak envelope) is
    spread ``lookahead`` seconds to both sides
    (a running minimum) and then smoothed (a running mean half as wide), so the gain is already
    down when a peak arrives and comes back over about 10 ms. Only the samples near peaks change,
    so loudness is kept. A final static gain covers any inter-sample peak left.
    """
    if true_peak_dbtp(audio, sr) <= ceiling_dbtp:
        return audio
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    x = np.asarray(audio, dtype=np.float32)
    env = true_peak_envelope(x)
    target = 10 ** ((ceiling_dbtp - 0.1) / 20)
    need = np.minimum(1.0, target / np.maximum(env, 1e-9)).astype(np.float32)
    win = max(1, int(lookahead * sr))
    gain = uniform_filter1d(minimum_filter1d(need, size=2 * win + 1), size=win)
    out = x * (gain[:, None] if x.ndim == 2 else gain)
    peak = true_peak_dbtp(out, sr)
    if peak > ceiling_dbtp:
        out = out * np.float32(10 ** ((ceiling_dbtp - 0.05 - peak) / 20))
    return out.astype(np.float32)


@dataclass(frozen=True)
class MixReport:
    target_lufs: float
    target_source: str
    dub_lufs: float
    dub_gain_db: float
    mix_true_peak_dbtp: float
    dub_true_peak_dbtp: float
    background: str

    def to_dict(self) -> dict[str, object]:
        d = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in self.__dict__.items()}
        d["method"] = "ITU-R BS.1770-4 (pyloudnorm), true peak 4x oversampled"
        return d


def match_loudness(
    stem: np.ndarray, sr: int, target_lufs: float, ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP
) -> tuple[np.ndarray, float]:
    """Gain ``stem`` to ``target_lufs`` and keep it under the true-peak ceiling; returns (stem, gain dB)."""
    current = loudness(stem, sr)
    if not np.isfinite(current):
        return stem, 0.0
    gain_db = target_lufs - current
    return limit(stem * np.float32(10 ** (gain_db / 20)), sr, ceiling_dbtp), gain_db


def mix(
    dialogue: np.ndarray,
    sr: int,
    *,
    background: np.ndarray | None,
    background_kind: str,
    line_spans: Sequence[tuple[float, float]],
    duck_db: float = 15.0,
    ceiling_dbtp: float = TRUE_PEAK_CEILING_DBTP,
) -> np.ndarray:
    """Mix the (already loudness-matched) mono ``dialogue`` over ``background`` (``(n,)`` or
    ``(n, c)``); ``background_kind == "original"`` ducks it under ``line_spans``."""
    n = len(dialogue)
    if background is None:
        out = dialogue[:, None]
    else:
        bg = np.asarray(background, dtype=np.float32)
        bg = bg[:, None] if bg.ndim == 1 else bg
        bg = bg[:n] if len(bg) >= n else np.pad(bg, ((0, n - len(bg)), (0, 0)))
        if background_kind == "original":
            bg = bg * duck_gain(n, sr, line_spans, duck_db)[:, None]
        out = bg + dialogue[:, None]
    return limit(out, sr, ceiling_dbtp)
