"""Who is speaking, from the voice alone: voice activity, speaker gender and age group.

- voice activity: Silero VAD (the JIT model that ships in the ``silero-vad`` wheel);
- gender and age group: rules over pitch and spectral statistics (WORLD Harvest F0 via ``pyworld``,
  spectral centroid via ``librosa``). No learned weights: thresholds come from published adult /
  child / older-speaker F0 ranges (adult male ~85-155 Hz, adult female ~165-255 Hz, children above
  ~250 Hz; F0 falls with age in women and rises slightly, with more jitter, in older men). Age is the
  weakest of these estimates and carries a low confidence unless the F0 is far from a boundary.

>>> import numpy as np
>>> voice_profile(np.zeros(16000, np.float32), 16000) is None
True
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np

from evaluator.errors import MissingDependencyError

logger = logging.getLogger(__name__)

VOICE_PROFILE_ID = "dubkit-voice-profile-v1 (pyworld harvest F0 + librosa spectral centroid, rules)"
VAD_ID = "silero-vad (packaged JIT model)"
VOICE_SAMPLE_RATE = 16000

GENDERS: tuple[str, ...] = ("male", "female")
AGE_GROUPS: tuple[str, ...] = ("child", "young", "adult", "senior")

_GENDER_SPLIT_HZ = 162.0  # between the adult male and female F0 ranges
_CHILD_HZ = 250.0
_FEMALE_SENIOR_HZ = 178.0
_FEMALE_YOUNG_HZ = 222.0
_MALE_YOUNG_HZ = 132.0
_MALE_SENIOR_JITTER = 0.035  # mean relative period-to-period F0 change


@dataclass(frozen=True)
class VoiceProfile:
    """Pitch and spectral statistics of the voiced part of a clip, and what they suggest."""

    f0_median_hz: float
    f0_p10_hz: float
    f0_p90_hz: float
    voiced_ratio: float
    jitter: float
    spectral_centroid_hz: float
    gender: str
    gender_confidence: float
    age_group: str
    age_confidence: float
    model: str = VOICE_PROFILE_ID

    def to_dict(self) -> dict[str, object]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _squash(distance: float, scale: float) -> float:
    """Confidence in [0.5, 1) from a signed distance to a decision boundary."""
    return float(0.5 + 0.5 * np.tanh(abs(distance) / scale))


def classify_gender(f0_median_hz: float) -> tuple[str, float]:
    """``("male" | "female", confidence)`` from the median F0 (log distance to the split point)."""
    d = np.log2(f0_median_hz / _GENDER_SPLIT_HZ)
    return ("female" if d > 0 else "male"), _squash(d, 0.25)


def classify_age(f0_median_hz: float, gender: str, jitter: float) -> tuple[str, float]:
    """Age group from median F0, gender and jitter (rules in the module docstring)."""
    f0 = f0_median_hz
    if f0 >= _CHILD_HZ:
        return "child", _squash(np.log2(f0 / _CHILD_HZ), 0.3)
    if gender == "female":
        if f0 < _FEMALE_SENIOR_HZ:
            return "senior", _squash(np.log2(f0 / _FEMALE_SENIOR_HZ), 0.3)
        if f0 >= _FEMALE_YOUNG_HZ:
            return "young", _squash(np.log2(f0 / _FEMALE_YOUNG_HZ), 0.3)
        edge = min(abs(np.log2(f0 / _FEMALE_SENIOR_HZ)), abs(np.log2(f0 / _FEMALE_YOUNG_HZ)))
        return "adult", _squash(edge, 0.3)
    if jitter > _MALE_SENIOR_JITTER:
        return "senior", _squash((jitter - _MALE_SENIOR_JITTER) / _MALE_SENIOR_JITTER, 1.0)
    if f0 >= _MALE_YOUNG_HZ:
        return "young", _squash(np.log2(f0 / _MALE_YOUNG_HZ), 0.3)
    return "adult", _squash(np.log2(f0 / _MALE_YOUNG_HZ), 0.3)


def _to_16k(audio: np.ndarray, sr: int) -> np.ndarray:
    import librosa

    x = np.asarray(audio, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if sr != VOICE_SAMPLE_RATE:
        x = librosa.resample(x, orig_sr=sr, target_sr=VOICE_SAMPLE_RATE)
    return x


def voice_profile(audio: np.ndarray, sr: int, *, min_voiced_s: float = 0.2) -> VoiceProfile | None:
    """Pitch/spectral profile of a speech clip, or None when it has under ``min_voiced_s`` of voicing."""
    import librosa
    import pyworld

    x = _to_16k(audio, sr).astype(np.float64)
    if len(x) < VOICE_SAMPLE_RATE // 10 or float(np.max(np.abs(x), initial=0.0)) < 1e-4:
        return None
    f0, _ = pyworld.harvest(x, VOICE_SAMPLE_RATE, f0_floor=60.0, f0_ceil=500.0, frame_period=10.0)
    voiced = f0 > 0
    if voiced.sum() * 0.010 < min_voiced_s:
        return None
    v = f0[voiced]
    # jitter: relative change between consecutive voiced frames, over runs of voicing only
    both = voiced[1:] & voiced[:-1]
    rel = np.abs(np.diff(f0))[both] / f0[1:][both] if both.any() else np.zeros(1)
    jitter = float(np.median(rel))
    centroid = librosa.feature.spectral_centroid(y=x.astype(np.float32), sr=VOICE_SAMPLE_RATE, hop_length=160)[0]
    frames = min(len(centroid), len(voiced))
    centroid_voiced = centroid[:frames][voiced[:frames]]
    median = float(np.median(v))
    gender, g_conf = classify_gender(median)
    age, a_conf = classify_age(median, gender, jitter)
    return VoiceProfile(
        f0_median_hz=median,
        f0_p10_hz=float(np.percentile(v, 10)),
        f0_p90_hz=float(np.percentile(v, 90)),
        voiced_ratio=float(voiced.mean()),
        jitter=jitter,
        spectral_centroid_hz=float(np.mean(centroid_voiced)) if len(centroid_voiced) else 0.0,
        gender=gender,
        gender_confidence=g_conf,
        age_group=age,
        age_confidence=a_conf,
    )


class VoiceActivity:
    """Silero VAD, loaded on first use from the packaged model (offline)."""

    model_id = VAD_ID

    def __init__(
        self,
        threshold: float = 0.5,
        min_speech_s: float = 0.15,
        min_silence_s: float = 0.1,
        *,
        max_speech_s: float = float("inf"),
        speech_pad_s: float = 0.03,
    ) -> None:
        """``max_speech_s``: longer speech is split at its last pause of at least 98 ms (silero's rule),
        else cut at the limit; ``speech_pad_s``: padding silero adds on each side of a segment."""
        self.threshold = threshold
        self.min_speech_s = min_speech_s
        self.min_silence_s = min_silence_s
        self.max_speech_s = max_speech_s
        self.speech_pad_s = speech_pad_s

    @cached_property
    def _model(self):  # noqa: ANN202 - torch.jit module
        try:
            from silero_vad import load_silero_vad
        except ImportError:
            raise MissingDependencyError("silero-vad", install="pip install silero-vad==6.2.3") from None
        return load_silero_vad()

    def unload(self) -> None:
        self.__dict__.pop("_model", None)

    def segments(
        self, audio: np.ndarray, sr: int, *, progress: Callable[[float], None] | None = None
    ) -> list[tuple[float, float]]:
        """Speech segments ``[(start_s, end_s), ...]`` in the clip; ``progress`` gets the percentage done."""
        import torch
        from silero_vad import get_speech_timestamps

        x = _to_16k(audio, sr)
        if len(x) < 512:
            return []
        stamps = get_speech_timestamps(
            torch.from_numpy(np.ascontiguousarray(x)),
            self._model,
            threshold=self.threshold,
            sampling_rate=VOICE_SAMPLE_RATE,
            min_speech_duration_ms=int(self.min_speech_s * 1000),
            min_silence_duration_ms=int(self.min_silence_s * 1000),
            max_speech_duration_s=self.max_speech_s,
            speech_pad_ms=int(round(self.speech_pad_s * 1000)),
            return_seconds=False,
            progress_tracking_callback=progress,
        )
        self._model.reset_states()
        return [(s["start"] / VOICE_SAMPLE_RATE, s["end"] / VOICE_SAMPLE_RATE) for s in stamps]

    def activity(self, audio: np.ndarray, sr: int, times: np.ndarray, *, window_s: float = 0.2) -> np.ndarray:
        """Fraction of ``[t - window/2, t + window/2]`` covered by speech, for each time ``t`` (s)."""
        return activity_at(self.segments(audio, sr), times, window_s=window_s)


def activity_at(segments: list[tuple[float, float]], times: np.ndarray, *, window_s: float = 0.2) -> np.ndarray:
    """Fraction of a window around each time covered by the given speech segments."""
    t = np.asarray(times, dtype=np.float64)
    lo, hi = t - window_s / 2, t + window_s / 2
    covered = np.zeros_like(t)
    for s, e in segments:
        covered += np.clip(np.minimum(hi, e) - np.maximum(lo, s), 0.0, None)
    return np.clip(covered / window_s, 0.0, 1.0)
