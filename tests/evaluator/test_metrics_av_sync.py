"""av_sync on a talking-face video made here: the photo's mouth opens with the speech envelope."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from metric_helpers import item, talking_face

from evaluator import impairments as imp
from evaluator.metrics.av_sync import sync_offset


@pytest.fixture(scope="module")
def face_videos(speech, tmp_path_factory):
    d = tmp_path_factory.mktemp("av")
    synced = talking_face(speech, d / "synced.mp4")
    late = d / "late.mp4"
    imp.av_offset_video(synced, 0.2, late)
    return synced, late, talking_face(speech, d / "noface.mp4", face=False)


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
