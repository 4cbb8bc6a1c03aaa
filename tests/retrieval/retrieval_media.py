"""Real clips for the retrieval tests: the matplotlib photo under different looks, with espeak speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evaluator.media.audio import resample, write_wav
from evaluator.media.tools import binary, run

SR = 22050
#: (clip id, speaker, line, ffmpeg filter giving the clip its look)
CLIPS = [
    ("c_happy", "ANNA", "I'm so happy, we won, this is the best day ever!", "eq=brightness=0.15:saturation=1.8"),
    ("c_angry", "BEN", "I hate you, get out of my house right now!", "hue=h=140,eq=contrast=1.6"),
    ("c_sad", "ANNA", "He is gone and he is never coming back.", "eq=brightness=-0.25:saturation=0.2"),
    ("c_plain", "BEN", "The train to the city leaves at nine tomorrow.", "noise=alls=30:allf=t"),
]


def photo() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


def make_clip(out: Path, text: str, vf: str, gender: str = "female") -> Path:
    """A 3 s clip: the photo with filter ``vf`` and espeak speaking ``text`` (aac in mp4)."""
    from dubber.synth import SynthRequest
    from dubber.synth.espeak import EspeakSynthesizer

    speech = EspeakSynthesizer(gender=gender).synthesize(SynthRequest(text, "en"))
    audio = resample(speech.audio.astype(np.float32), speech.sr, SR)[: 3 * SR] * 0.6
    audio = np.pad(audio, (0, max(0, 3 * SR - len(audio))))
    wav = out.with_suffix(".wav")
    write_wav(wav, audio, SR)
    args = [binary("ffmpeg"), "-nostdin", "-v", "error", "-y", "-loop", "1", "-framerate", "12"]
    args += ["-i", str(photo()), "-i", str(wav), "-t", "3", "-vf", f"scale=320:384,{vf},format=yuv420p"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(out)]
    run(args, what="making a test clip")
    wav.unlink()
    return out
