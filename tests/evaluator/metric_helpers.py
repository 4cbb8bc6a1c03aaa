"""Helpers for the metric tests: build score items from arrays, score one metric."""

from __future__ import annotations

from pathlib import Path

# shared with conftest.py; test modules import them from here (two folders have a conftest.py)
SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank."
OTHER_SENTENCE = "Please call my office tomorrow morning about the new contract."
SR = 22050

W, H = 256, 300


def item(audio=None, sr=SR, *, reference=None, voice=None, text=None, video=None, **kw):
    from evaluator.metrics import ScoreItem, Source

    def src(x):
        return None if x is None else Source.of_array(x, sr)

    return ScoreItem(
        kw.pop("id", "t"),
        audio_src=src(audio),
        reference_src=src(reference),
        voice_src=src(voice),
        text=text,
        video=Source.of_file(video) if video else None,
        **kw,
    )


def value(families, name, it) -> float | None:
    from evaluator.metrics import family_of

    return families[family_of(name)].score(it, [name])[name].value


def talking_face(speech, path: Path, *, face: bool = True) -> Path:
    """An ffmpeg-made video of the matplotlib photo whose mouth (a dark ellipse) opens with ``speech``'s level."""
    import subprocess

    import cv2
    import matplotlib
    import numpy as np

    from evaluator.encoders.face import FaceAnalyzer
    from evaluator.media import resample, write_wav
    from evaluator.metrics.av_sync import FPS, speech_envelope

    photo = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    img = cv2.resize(cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB), (W, H))
    fa = FaceAnalyzer()
    lm = fa.landmarks(img, fa.detect(img)[0])
    cx, cy = lm[60:68].mean(0).astype(int)
    half_w = int((lm[54, 0] - lm[48, 0]) * 0.4)
    audio = np.concatenate([np.zeros(SR // 2, np.float32), speech, np.zeros(SR // 2, np.float32)])
    env = speech_envelope(resample(audio, SR, 16000), 16000, int(len(audio) / SR * FPS))
    level = np.clip((env + 50.0) / 35.0, 0.0, 1.0)  # -50 dB closed .. -15 dB wide open
    frames = []
    for lv in level:
        f = img.copy() if face else np.full_like(img, 90)
        if face and lv > 0.05:
            cv2.ellipse(f, (int(cx), int(cy)), (half_w, int(round(1 + 8 * lv))), 0, 0, 360, (40, 10, 10), -1)
        frames.append(f)
    wav = path.with_suffix(".wav")
    write_wav(wav, audio, SR)
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", str(FPS)]
    cmd += ["-i", "-", "-i", str(wav), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)]
    subprocess.run(cmd, input=np.stack(frames).tobytes(), check=True)
    return path
