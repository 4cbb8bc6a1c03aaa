import numpy as np
import pytest

from dubber import mixing
from dubber.limiter import limit_stream, true_peak_dbtp
from dubber.loudness import loudness
from dubber.speakers import array_reader, median_f0, pick_reference
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


def test_limiter_keeps_the_true_peak_ceiling_and_the_loudness_across_blocks():
    sr = 48000
    t = np.arange(sr * 3) / sr
    # peaky material pushed loud: the look-ahead limiter keeps the ceiling without costing loudness
    rng = np.random.default_rng(0)
    peaky = (0.05 * rng.standard_normal(len(t)) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32)
    peaky[10000:10010], peaky[50000:50003] = 0.9, -1.2
    peaky *= np.float32(10 ** ((-16.0 - loudness(peaky, sr)) / 20))
    whole = np.concatenate(list(limit_stream([peaky], sr, -1.0)))
    assert true_peak_dbtp(whole) <= -1.0 + 1e-6
    assert loudness(whole, sr) == pytest.approx(-16.0, abs=0.5)
    # a peak right at a block boundary: the blocks ahead are seen, the result is the whole signal's
    pieces = np.split(peaky, [10005, 10007, 30000, 50001, 100000])
    assert np.array_equal(np.concatenate(list(limit_stream(pieces, sr, -1.0))), whole)
    loud = np.stack([1.4 * np.sin(2 * np.pi * 997 * t), 0.5 * np.sin(2 * np.pi * 300 * t)], axis=1).astype(np.float32)
    limited = np.concatenate(list(limit_stream(np.array_split(loud, 7), sr, -1.0)))
    assert limited.shape == loud.shape and true_peak_dbtp(limited) <= -1.0 + 1e-6
    quiet = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)  # far under the ceiling: untouched
    assert np.array_equal(np.concatenate(list(limit_stream(np.array_split(quiet, 5), sr))), quiet)


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
    ref = pick_reference(array_reader(audio, sr), sr, cues, "ANNA")
    assert ref is not None and 2.0 < ref.duration <= 10.0
    assert all(t_a - 0.2 <= s <= e <= cues[0].end + 0.2 for s, e in ref.segments)
    ben = pick_reference(array_reader(audio, sr), sr, cues, "BEN")
    assert ben.median_f0 < ref.median_f0
