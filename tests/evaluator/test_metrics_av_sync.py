"""av_sync on a talking-face video made here: the photo's mouth opens with the speech envelope."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import SR
from metric_helpers import item

from evaluator import impairments as imp
from evaluator.media import resample, write_wav
from evaluator.metrics.av_sync import FPS, speech_envelope, sync_offset

W, H = 256, 300


def _talking_face(speech: np.ndarray, path: Path, *, face: bool = True) -> Path:
    import cv2
    import matplotlib

    from evaluator.encoders.face import FaceAnalyzer

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


@pytest.fixture(scope="module")
def face_videos(speech, tmp_path_factory):
    d = tmp_path_factory.mktemp("av")
    synced = _talking_face(speech, d / "synced.mp4")
    late = d / "late.mp4"
    imp.av_offset_video(synced, 0.2, late)
    return synced, late, _talking_face(speech, d / "noface.mp4", face=False)


def _av(families, video):
    from evaluator.media import load_audio

    it = item(load_audio(video, 16000), 16000, video=str(video))
    return families["av_sync"].score(it, ["av_sync_offset_ms", "av_sync_conf"])


def test_synced_video_has_no_offset_and_a_200ms_shift_is_found(families, face_videos):
    synced, late, _ = face_videos
    s = _av(families, synced)
    assert s["av_sync_offset_ms"].value <= 40.0
    assert s["av_sync_conf"].value > 0.3
    shifted = _av(families, late)
    assert shifted["av_sync_offset_ms"].details["offset_ms_signed"] == pytest.approx(200.0, abs=40.0)  # one frame
    assert shifted["av_sync_offset_ms"].model_id.startswith("mouth-opening")


def test_no_face_and_short_clips_are_skipped_with_a_reason(families, face_videos, tmp_path):
    _, _, noface = face_videos
    res = _av(families, noface)
    assert res["av_sync_offset_ms"].value is None and "face" in res["av_sync_offset_ms"].skipped
    short = tmp_path / "short.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(face_videos[0]), "-t", "0.6", "-c", "copy", str(short)], check=True
    )
    res = _av(families, short)
    assert res["av_sync_conf"].value is None and "shorter" in res["av_sync_conf"].skipped


def test_sync_offset_on_known_signals():
    rng = np.random.default_rng(0)
    mouth = rng.random(200)
    env = np.roll(mouth, 5)  # audio five frames late
    r = sync_offset(mouth, env)
    assert r.offset_frames == 5 and r.offset_ms == 200.0 and r.confidence > 0.5
