"""A documented prosodic/emotion feature vector of a speech clip (offline, no model weights).

:func:`prosody_features` maps mono audio to a fixed-length float32 vector whose entries are listed
in :data:`PROSODY_FEATURE_NAMES`. Every entry is put on a scale of roughly -3..3 for speech, so the
vector can be compared with a cosine or a Euclidean distance without further normalisation:

===================  ==========================================================================
name                 meaning (units)
===================  ==========================================================================
f0_mean              mean log2 F0 on voiced frames, octaves relative to 150 Hz (WORLD DIO+StoneMask)
f0_std               std of log2 F0 on voiced frames, in units of 1/4 octave
f0_p10, f0_p90       10th / 90th percentile of log2 F0, octaves relative to 150 Hz
f0_range             (p90 - p10) of log2 F0, in units of 1/2 octave
f0_slope             least-squares slope of log2 F0 over the voiced frames, octaves per second
f0_delta             mean absolute frame-to-frame change of log2 F0, semitones per 10 ms frame
voiced_ratio         fraction of 5 ms frames with F0 (0..1), times 2
energy_mean          mean RMS level of active frames, (dBFS + 20) / 10
energy_std           std of the RMS level of active frames, dB / 5
energy_range         (p90 - p10) of the RMS level of active frames, dB / 10
pause_ratio          fraction of 10 ms frames more than 30 dB under the loudest frame, times 2
speaking_rate        acoustic onsets per second of active speech (librosa onset detector) / 4
spectral_tilt        mean slope of the log power spectrum over log frequency (300 Hz-6 kHz), dB/octave / 10
spectral_tilt_std    std of that slope over active frames, dB/octave / 5
spectral_centroid    mean spectral centroid of active frames, kHz / 2
===================  ==========================================================================

Pitch statistics (``f0_*``) are 0 when the clip has no voiced frame. The vector is a pure
function of the samples: the same clip always gives the same vector.
"""

from __future__ import annotations

import numpy as np

PROSODY_ENCODER_ID = "dubkit-prosody-v1"
PROSODY_SAMPLE_RATE = 16000

PROSODY_FEATURE_NAMES: tuple[str, ...] = (
    "f0_mean",
    "f0_std",
    "f0_p10",
    "f0_p90",
    "f0_range",
    "f0_slope",
    "f0_delta",
    "voiced_ratio",
    "energy_mean",
    "energy_std",
    "energy_range",
    "pause_ratio",
    "speaking_rate",
    "spectral_tilt",
    "spectral_tilt_std",
    "spectral_centroid",
)
PROSODY_DIM = len(PROSODY_FEATURE_NAMES)

_FRAME_PERIOD_MS = 5.0
_HOP = 160  # 10 ms at 16 kHz
_WIN = 512


def world_f0(audio: np.ndarray, sr: int, frame_period_ms: float = _FRAME_PERIOD_MS) -> np.ndarray:
    """F0 track in Hz (0 = unvoiced) with WORLD's DIO refined by StoneMask (pyworld)."""
    import pyworld

    x = np.ascontiguousarray(audio, dtype=np.float64)
    f0, t = pyworld.dio(x, sr, frame_period=frame_period_ms)
    return pyworld.stonemask(x, f0, t, sr)


def _pitch_stats(f0: np.ndarray, frame_period_ms: float) -> list[float]:
    voiced = f0 > 0
    voiced_ratio = float(voiced.mean()) if len(f0) else 0.0
    if voiced.sum() < 3:
        return [0.0] * 7 + [2.0 * voiced_ratio]
    lf = np.log2(f0[voiced] / 150.0)
    t = np.flatnonzero(voiced) * frame_period_ms / 1000.0
    p10, p90 = np.percentile(lf, [10, 90])
    slope = float(np.polyfit(t, lf, 1)[0]) if np.ptp(t) > 0 else 0.0
    # frame-to-frame change only between adjacent voiced frames, scaled to semitones per 10 ms
    both = voiced[1:] & voiced[:-1]
    lf_all = np.log2(np.where(voiced, f0, 1.0))
    steps = np.abs(np.diff(lf_all))[both] * 12.0 * (10.0 / frame_period_ms)
    delta = float(steps.mean()) if len(steps) else 0.0
    return [
        float(lf.mean()),
        float(lf.std() * 4.0),
        float(p10),
        float(p90),
        float((p90 - p10) * 2.0),
        slope,
        delta,
        2.0 * voiced_ratio,
    ]


def prosody_features(audio: np.ndarray, sr: int) -> np.ndarray:
    """The prosodic/emotion vector of a mono clip (see the module docstring), float32 ``(PROSODY_DIM,)``.

    The clip is resampled to 16 kHz first, so the vector does not depend on the input rate.
    """
    import librosa

    from evaluator.media import resample

    x = np.asarray(audio, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"prosody_features expects mono audio, got shape {x.shape}")
    x = resample(x, sr, PROSODY_SAMPLE_RATE)
    if len(x) < _WIN:
        x = np.pad(x, (0, _WIN - len(x)))
    sr = PROSODY_SAMPLE_RATE

    feats = _pitch_stats(world_f0(x, sr), _FRAME_PERIOD_MS)

    rms = librosa.feature.rms(y=x, frame_length=_WIN, hop_length=_HOP)[0]
    db = 20.0 * np.log10(np.maximum(rms, 1e-5))
    active = db > db.max() - 30.0
    adb = db[active]
    p10, p90 = np.percentile(adb, [10, 90])
    feats += [
        (float(adb.mean()) + 20.0) / 10.0,
        float(adb.std()) / 5.0,
        float(p90 - p10) / 10.0,
        2.0 * float(1.0 - active.mean()),
    ]

    onset_env = librosa.onset.onset_strength(y=x, sr=sr, hop_length=_HOP)
    onsets = librosa.onset.onset_detect(onset_envelope=onset_env, sr=sr, hop_length=_HOP)
    active_s = max(float(active.sum()) * _HOP / sr, 0.1)
    feats.append(len(onsets) / active_s / 4.0)

    spec = np.abs(librosa.stft(x, n_fft=_WIN, hop_length=_HOP)) ** 2
    n = min(spec.shape[1], len(active))
    spec, act = spec[:, :n], active[:n]
    freqs = librosa.fft_frequencies(sr=sr, n_fft=_WIN)
    band = (freqs >= 300) & (freqs <= 6000)
    logf = np.log2(freqs[band])
    logp = 10.0 * np.log10(spec[band][:, act] + 1e-10)
    # least-squares slope of dB over octaves, for every active frame at once
    lf_c = logf - logf.mean()
    slopes = (lf_c @ (logp - logp.mean(axis=0))) / float(lf_c @ lf_c)
    centroid = librosa.feature.spectral_centroid(S=spec[:, act], sr=sr, n_fft=_WIN)[0]
    feats += [
        float(slopes.mean()) / 10.0,
        float(slopes.std()) / 5.0,
        float(centroid.mean()) / 2000.0,
    ]
    vec = np.asarray(feats, dtype=np.float32)
    return np.nan_to_num(vec, nan=0.0, posinf=0.0, neginf=0.0)
