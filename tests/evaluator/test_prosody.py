import numpy as np
import pytest

from evaluator.encoders.prosody import PROSODY_DIM, PROSODY_ENCODER_ID, PROSODY_FEATURE_NAMES, prosody_features


def _tone(f0: float, sr: int = 16000, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(sr * seconds)) / sr
    # a harmonic-rich voiced-like tone, pulsed at 4 Hz like syllables
    x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
    env = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2
    return (0.3 * x * env / 2.3).astype(np.float32)


def test_vector_shape_names_and_determinism():
    assert PROSODY_ENCODER_ID and len(PROSODY_FEATURE_NAMES) == PROSODY_DIM
    x = _tone(150.0)
    v = prosody_features(x, 16000)
    assert v.shape == (PROSODY_DIM,) and v.dtype == np.float32
    assert np.array_equal(v, prosody_features(x, 16000))
    assert np.all(np.abs(v) < 10)


def test_pitch_moves_with_the_voice():
    names = list(PROSODY_FEATURE_NAMES)
    low = prosody_features(_tone(110.0), 16000)
    high = prosody_features(_tone(220.0, sr=22050), 22050)
    # one octave up is +1 on f0_mean (octaves relative to 150 Hz)
    assert high[names.index("f0_mean")] - low[names.index("f0_mean")] == pytest.approx(1.0, abs=0.1)
    assert low[names.index("voiced_ratio")] > 1.0


def test_silence_gives_zero_pitch_and_rejects_stereo():
    v = prosody_features(np.zeros(16000, dtype=np.float32), 16000)
    assert v[:7].tolist() == [0.0] * 7
    with pytest.raises(ValueError, match="mono"):
        prosody_features(np.zeros((100, 2), dtype=np.float32), 16000)
