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


def test_an_offset_is_reported_only_when_the_search_found_a_sync():
    from evaluator.metrics.av_sync import FPS, MAX_LAG, MIN_CONFIDENCE
    from evaluator.metrics.spec import SkipMetric
    from evaluator.metrics.sync_search import offset_or_skip

    found = offset_or_skip(5, FPS, MAX_LAG, 0.5, MIN_CONFIDENCE, {"x": 1})
    assert found == (200.0, {"x": 1})
    edge = offset_or_skip(-MAX_LAG, FPS, MAX_LAG, 0.9, MIN_CONFIDENCE, {"offset_ms_signed": -600.0})
    assert isinstance(edge, SkipMetric) and "edge of the +/-15 frame search" in str(edge)
    assert edge.details == {"offset_ms_signed": -600.0}
    weak = offset_or_skip(3, FPS, MAX_LAG, MIN_CONFIDENCE - 0.01, MIN_CONFIDENCE, {})
    assert isinstance(weak, SkipMetric) and f"under {MIN_CONFIDENCE:g}" in str(weak)


def test_a_still_face_gives_no_offset_but_the_reason(families, speech, tmp_path):
    """The demo's case: a photo that never moves its mouth over speech (the old code reported 560-600 ms)."""
    still = talking_face(np.zeros_like(speech), tmp_path / "still.mp4")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(still), "-i", str(talking_face(speech, tmp_path / "talk.mp4")), "-map",
         "0:v", "-map", "1:a", "-c", "copy", str(tmp_path / "still_talk.mp4")],
        check=True,
    )  # fmt: skip
    res = _av(families, tmp_path / "still_talk.mp4")
    for name in ("av_sync_offset_ms", "av_sync_conf"):
        assert res[name].value is None and res[name].skipped.startswith("no mouth signal"), res[name]
