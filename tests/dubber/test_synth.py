import numpy as np
import pytest

from dubber.synth import SYNTHESIZERS
from evaluator.errors import ConfigError


def test_registry_suggests_close_names():
    with pytest.raises(ConfigError, match="did you mean piper"):
        SYNTHESIZERS.get("pipr")


def test_piper_speaks_english_and_controls_length(piper):
    natural = piper.synthesize("The port will be closed all week.", "en")
    assert natural.sr == 22050 and natural.duration > 1.0
    assert np.abs(natural.audio).max() > 0.1
    longer = piper.synthesize("The port will be closed all week.", "en", duration=natural.duration * 1.2)
    # length_scale is not exactly proportional and piper samples phoneme durations with noise, so
    # one take lands near the target, not on it; the ladder's residual stretch makes it exact
    assert 1.0 < longer.duration / natural.duration < 1.45  # measured 1.06-1.24 over 12 takes
    assert piper.describe() == {"backend": "piper", "model": "piper:en_US-joe-medium"}


def test_piper_refuses_other_languages(piper):
    with pytest.raises(ConfigError, match="cannot speak 'hi'"):
        piper.synthesize("नमस्ते", "hi")


@pytest.mark.parametrize("lang,text", [("en", "Good morning."), ("hi", "नमस्ते, आप कैसे हैं?"), ("es", "Buenos días.")])
def test_espeak_many_languages_and_rate(espeak, lang, text):
    natural = espeak.synthesize(text, lang)
    assert natural.duration > 0.4
    faster = espeak.synthesize(text, lang, duration=natural.duration * 0.8)
    assert faster.duration / natural.duration == pytest.approx(0.8, abs=0.06)


def test_espeak_unknown_language(espeak):
    assert not espeak.supports("xx")
    with pytest.raises(ConfigError, match="espeak cannot speak 'xx'"):
        espeak.synthesize("hello", "xx")


def test_espeak_gender_style_changes_pitch(espeak):
    from dubber.speakers import median_f0

    male = espeak.synthesize("This is a test of the voice.", "en", style={"gender": "male"})
    female = espeak.synthesize("This is a test of the voice.", "en", style={"gender": "female"})
    assert median_f0(female.audio, female.sr) > median_f0(male.audio, male.sr) * 1.2
