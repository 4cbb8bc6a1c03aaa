"""What ASR-based values say about themselves: the transcribed input and lines too short for the recogniser."""

from __future__ import annotations

import numpy as np
from metric_helpers import SENTENCE, SR, item

from evaluator.asr.sphinx import PocketSphinxASR
from evaluator.metrics import Source


def _yes(piper_voice) -> np.ndarray:
    from piper import SynthesisConfig

    chunks = piper_voice.synthesize("Yes.", syn_config=SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0))
    return np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)


def test_a_line_shorter_than_the_recognisers_reliable_length_is_flagged(families, piper_voice, speech):
    limit = PocketSphinxASR.reliable_from_s
    short = _yes(piper_voice)
    assert len(short) / SR < limit < len(speech) / SR
    fam = families["transcript"]
    flagged = fam.score(item(short, text="Yes."), ["wer", "cer"])
    for name in ("wer", "cer"):
        v = flagged[name]
        assert v.value is not None and v.details["short_line"] is True  # still measured, but flagged
        assert v.notes == [f"under {limit:g} s: pocketsphinx WER unreliable on lines this short"]
    long = fam.score(item(speech, text=SENTENCE), ["wer"])["wer"]
    assert long.notes == [] and "short_line" not in long.details


def test_the_speech_source_is_transcribed_and_the_note_recorded(families, speech):
    """An item whose audio is noise but whose dialogue stem is the speech: ASR hears the stem."""
    noise = np.random.default_rng(0).normal(0, 0.3, len(speech)).astype(np.float32)
    it = item(noise, text=SENTENCE, speech_src=Source.of_array(speech, SR), speech_note="transcribed the dialogue stem")
    v = families["transcript"].score(it, ["wer"])["wer"]
    assert v.value <= 0.15 and v.details["transcribed"] == "speech" and v.notes == ["transcribed the dialogue stem"]
    assert it.describe()["speech"] == {"array": True, "sr": SR}


def test_dialogue_stem_from_the_projects_outputs_or_beside_the_video(tmp_path):
    import json
    import subprocess

    from evaluator.media import write_wav
    from evaluator.media.tools import binary
    from evaluator.scoring.inputs import dialogue_stem

    video = tmp_path / "ep.dub.mp4"
    lavfi = ["-f", "lavfi", "-i", "color=c=gray:s=64x64:d=2:r=10", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono"]
    subprocess.run([binary("ffmpeg"), "-v", "error", *lavfi, "-t", "2", "-c:v", "libx264", str(video)], check=True)
    assert dialogue_stem(video) is None  # a video alone: the mix is all there is
    sr = 16000
    write_wav(tmp_path / "ep.dub.dub.wav", np.zeros(2 * sr, np.float32), sr)
    assert dialogue_stem(video) == tmp_path / "ep.dub.dub.wav"  # `dubkit dub -o ep.dub.mp4` writes it there
    (tmp_path / "stems").mkdir()
    write_wav(tmp_path / "stems" / "speech.wav", np.zeros(2 * sr, np.float32), sr)
    project = tmp_path / "ep.dub.dubkit"
    project.mkdir()
    outputs = {"video": str(video), "dub_wav": str(tmp_path / "stems" / "speech.wav")}
    (project / "manifest.json").write_text(json.dumps({"outputs": outputs}))
    assert dialogue_stem(video) == tmp_path / "stems" / "speech.wav"  # the project's record comes first
    write_wav(tmp_path / "stems" / "speech.wav", np.zeros(5 * sr, np.float32), sr)
    assert dialogue_stem(video) == tmp_path / "ep.dub.dub.wav"  # 5 s is not this 2 s video's timeline
    (project / "manifest.json").write_text("{ not json")
    assert dialogue_stem(video) == tmp_path / "ep.dub.dub.wav"
