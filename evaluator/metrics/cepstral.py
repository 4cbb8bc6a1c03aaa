"""``mcd``, ``mcd_sl`` and ``log_f0_rmse``: spectral and pitch distance to same-language reference speech.

Conventions follow the pymcd package (the papers' implementation): audio at 22.05 kHz, WORLD
analysis with a 5 ms frame period and a 512-point FFT, 13th-order mel-cepstra (pysptk, alpha 0.65),
fastdtw on coefficients 1..13 with a Euclidean distance, the distortion summed over all 14
coefficients along the path, times 10/ln(10)*sqrt(2). ``mcd_sl`` multiplies by the ratio of the longer
to the shorter feature sequence. F0 comes from WORLD DIO refined by StoneMask and spectral envelopes
from CheapTrick, as in ``pyworld.wav2world`` which pymcd calls; the values agree with pymcd's (see
tests/evaluator/test_metrics_audio.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from evaluator.metrics.base import MetricBackend, MetricFamily
from evaluator.metrics.item import ScoreItem
from evaluator.metrics.spec import SkipMetric

SAMPLE_RATE = 22050
FRAME_PERIOD_MS = 5.0
FFT_SIZE = 512
MCEP_ORDER = 13
ALPHA = 0.65
LOG_SPEC_DB_CONST = 10.0 / math.log(10.0) * math.sqrt(2.0)


@dataclass
class WorldFeatures:
    f0: np.ndarray  # (frames,) Hz, 0 where unvoiced
    mcep: np.ndarray  # (frames, MCEP_ORDER + 1)


def world_features(audio: np.ndarray, sr: int = SAMPLE_RATE) -> WorldFeatures:
    """F0 (DIO + StoneMask) and 13th-order mel-cepstra (CheapTrick + pysptk) at 5 ms frames."""
    import pysptk
    import pyworld

    x = np.ascontiguousarray(audio, dtype=np.float64)
    f0, t = pyworld.dio(x, sr, frame_period=FRAME_PERIOD_MS)
    f0 = pyworld.stonemask(x, f0, t, sr)
    sp = pyworld.cheaptrick(x, f0, t, sr, fft_size=FFT_SIZE)
    mcep = pysptk.sptk.mcep(sp, order=MCEP_ORDER, alpha=ALPHA, maxiter=0, etype=1, eps=1.0e-8, min_det=0.0, itype=3)
    return WorldFeatures(f0=f0, mcep=mcep)


def dtw_path(ref: np.ndarray, syn: np.ndarray) -> np.ndarray:
    """fastdtw alignment of mel-cepstra (coefficients 1.., Euclidean), as ``(pairs, 2)`` frame indices."""
    from fastdtw import fastdtw
    from scipy.spatial.distance import euclidean

    _, path = fastdtw(ref[:, 1:], syn[:, 1:], dist=euclidean)
    return np.asarray(path, dtype=np.int64)


def mcd_from_features(ref: np.ndarray, syn: np.ndarray, path: np.ndarray, *, length_penalty: bool) -> float:
    """Mean distortion in dB along ``path``; with ``length_penalty`` times longer/shorter length (MCD-DTW-SL)."""
    diff = ref[path[:, 0]] - syn[path[:, 1]]
    mcd = LOG_SPEC_DB_CONST * float(np.sqrt((diff * diff).sum(-1)).sum()) / len(path)
    if length_penalty:
        mcd *= max(len(ref), len(syn)) / min(len(ref), len(syn))
    return mcd


def log_f0_rmse_from_features(ref_f0: np.ndarray, syn_f0: np.ndarray, path: np.ndarray) -> tuple[float, int]:
    """RMSE of ln F0 over aligned frame pairs voiced in both; returns (rmse, number of pairs)."""
    a, b = ref_f0[path[:, 0]], syn_f0[path[:, 1]]
    both = (a > 0) & (b > 0)
    if not both.any():
        return float("nan"), 0
    d = np.log(a[both]) - np.log(b[both])
    return float(np.sqrt(np.mean(d * d))), int(both.sum())


def mel_cepstral_distortion(ref: np.ndarray, syn: np.ndarray, sr: int, *, length_penalty: bool = False) -> float:
    """MCD-DTW (or MCD-DTW-SL) between two mono clips at ``sr`` (resampled to 22.05 kHz)."""
    from evaluator.media import resample

    fr = world_features(resample(ref, sr, SAMPLE_RATE))
    fs = world_features(resample(syn, sr, SAMPLE_RATE))
    return mcd_from_features(fr.mcep, fs.mcep, dtw_path(fr.mcep, fs.mcep), length_penalty=length_penalty)


class WorldBackend(MetricBackend):
    name = "world-pysptk"
    model_id = "world-dio-cheaptrick+pysptk-mcep13-a0.65+fastdtw (pymcd conventions)"
    offline = True
    sample_rate = SAMPLE_RATE


class CepstralMetrics(MetricFamily):
    family = "cepstral"
    metric_names = ("mcd", "mcd_sl", "log_f0_rmse")
    backends = {"world-pysptk": WorldBackend}

    def compute(self, item: ScoreItem, names: list[str]) -> dict[str, Any]:
        ref = world_features(item.reference(SAMPLE_RATE))
        syn = world_features(item.audio(SAMPLE_RATE))
        path = dtw_path(ref.mcep, syn.mcep)
        details = {"ref_frames": len(ref.mcep), "syn_frames": len(syn.mcep)}
        out: dict[str, Any] = {
            "mcd": (mcd_from_features(ref.mcep, syn.mcep, path, length_penalty=False), details),
            "mcd_sl": (mcd_from_features(ref.mcep, syn.mcep, path, length_penalty=True), details),
        }
        if "log_f0_rmse" in names:
            rmse, pairs = log_f0_rmse_from_features(ref.f0, syn.f0, path)
            out["log_f0_rmse"] = (
                (rmse, {"voiced_pairs": pairs})
                if pairs >= 5
                else SkipMetric("fewer than 5 aligned frames voiced in both clips")
            )
        return out
