import numpy as np
import pytest

from dubber import mixing
from dubber.speakers import median_f0, pick_reference
from dubber.stretch import semitones_between, stretch
from dubber.synth import SynthRequest
from dubber.synth.espeak import EspeakSynthesizer
from evaluator.encoders.voice import VoiceActivity
from evaluator.script import Cue


def test_stretch_exact_length_and_pitch_shift_on_a_harmonic_tone():
    sr = 22050
    t = np.arange(2 * sr) / sr
    tone = sum(0.2 / k * np.sin(2 * np.pi * 200 * k * t) for k in range(1, 6)).astype(np.float32)

    def peak_hz(a):
        return np.argmax(np.abs(np.fft.rfft(a * np.hanning(len(a))))) * sr / len(a)

    for ratio, semis in [(0.85, 3.0), (1.0, -2.0), (1.2, 0.0)]:
        out = stretch(tone, sr, ratio, semitones=semis)
        assert len(out) == round(len(tone) * ratio)
        assert semitones_between(200.0, peak_hz(out)) == pytest.approx(semis, abs=0.15)


def test_pitch_shift_moves_speech_f0(espeak):
    speech = espeak.synthesize(SynthRequest("Then we will have to change the travel plan.", "en"))
    up = stretch(speech.audio, speech.sr, 0.9, semitones=4.0)
    shift = semitones_between(median_f0(speech.audio, speech.sr), median_f0(up, speech.sr))
    assert shift == pytest.approx(4.0, abs=1.0)


def test_loudness_matching_and_true_peak_ceiling():
    sr = 48000
    t = np.arange(sr * 3) / sr
    tone = (0.05 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    out, gain = mixing.match_loudness(tone, sr, -16.0)
    assert mixing.loudness(out, sr) == pytest.approx(-16.0, abs=0.2)
    # peaky material pushed loud: the look-ahead limiter keeps the ceiling without costing loudness
    rng = np.random.default_rng(0)
    peaky = (0.05 * rng.standard_normal(len(t)) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32)
    peaky[10000:10010], peaky[50000:50003] = 0.9, -1.2
    out, _ = mixing.match_loudness(peaky, sr, -16.0)
    assert mixing.true_peak_dbtp(out, sr) <= -1.0 + 1e-6
    assert mixing.loudness(out, sr) == pytest.approx(-16.0, abs=0.5)
    loud = (1.4 * np.sin(2 * np.pi * 997 * t)).astype(np.float32)
    limited = mixing.limit(loud, sr, -1.0)
    assert mixing.true_peak_dbtp(limited, sr) <= -1.0 + 1e-6


def test_ducking_gain_curve():
    sr = 1000
    g = mixing.duck_gain(5000, sr, [(2.0, 3.0)], duck_db=20.0, fade=0.1)
    assert g[500] == pytest.approx(1.0)
    assert g[2500] == pytest.approx(0.1, abs=1e-3)
    assert 0.1 < g[1920] < 1.0  # fading


def test_reference_clip_from_solo_speech(espeak):
    from evaluator.media.audio import resample

    sr = 16000
    a = resample(
        EspeakSynthesizer(gender="female")
        .synthesize(SynthRequest("Good morning, did you see the news today about the port?", "en"))
        .audio,
        22050,
        sr,
    )
    b = resample(
        EspeakSynthesizer(gender="male")
        .synthesize(SynthRequest("Yes I did, the port will be closed all week long it seems.", "en"))
        .audio,
        22050,
        sr,
    )
    silence = np.zeros(sr, dtype=np.float32)
    audio = np.concatenate([silence, a, silence, b, silence])
    t_a, t_b = 1.0, 2.0 + len(a) / sr
    assert VoiceActivity().segments(audio, sr)[0][0] == pytest.approx(1.0, abs=0.15)
    cues = [Cue(1, t_a, t_a + len(a) / sr, "x", "ANNA"), Cue(2, t_b, t_b + len(b) / sr, "y", "BEN")]
    ref = pick_reference(audio, sr, cues, "ANNA")
    assert ref is not None and 2.0 < ref.duration <= 10.0
    assert all(t_a - 0.2 <= s <= e <= cues[0].end + 0.2 for s, e in ref.segments)
    ben = pick_reference(audio, sr, cues, "BEN")
    assert ben.median_f0 < ref.median_f0
