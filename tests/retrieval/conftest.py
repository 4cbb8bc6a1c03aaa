"""Real clips for the library tests: the matplotlib photo under different looks, with espeak speech."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

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
    from dubber.synth.espeak import EspeakSynthesizer

    speech = EspeakSynthesizer(gender=gender).synthesize(text, "en")
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


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four real clips, a corrupt file, and ``clips.csv`` listing them plus a missing file."""
    d = tmp_path_factory.mktemp("clips")
    for cid, speaker, text, vf in CLIPS:
        make_clip(d / f"{cid}.mp4", text, vf, "female" if speaker == "ANNA" else "male")
    (d / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video" * 50)
    with open(d / "clips.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "video", "start", "end", "text", "speaker", "emotion"])
        for cid, speaker, text, _ in CLIPS:
            w.writerow([cid, f"{cid}.mp4", "0", "3", text, speaker, cid[2:]])
        w.writerow(["c_broken", "broken.mp4", "0", "3", "Something.", "ANNA", ""])
        w.writerow(["c_missing", "nowhere.mp4", "0", "3", "Nothing.", "BEN", ""])
    return d


@pytest.fixture(scope="session")
def built_library(clip_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The offline-profile library built from ``clips.csv`` (and its build report)."""
    from retrieval import FootageLibrary, read_dataset

    lib = FootageLibrary.create(tmp_path_factory.mktemp("lib") / "lib", profile="offline")
    report = lib.add(read_dataset(clip_dir / "clips.csv"))
    return lib, report
