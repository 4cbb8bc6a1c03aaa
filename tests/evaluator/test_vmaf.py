"""The six elementary VMAF features (libvmaf through ffmpeg), AV-FusionNet's video input, and the vmaf cue."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from evaluator.encoders.vmaf import VMAF_FEATURES, vmaf_features, vmaf_ffmpeg
from evaluator.metrics.item import ScoreItem, Source


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """A moving test pattern, the same pattern blurred, and a still frame (ffmpeg's lavfi sources)."""
    d = tmp_path_factory.mktemp("vmaf")
    ff = vmaf_ffmpeg()

    def make(args: list[str], name: str) -> str:
        subprocess.run([ff, "-v", "error", "-y", *args, "-pix_fmt", "yuv420p", str(d / name)], check=True)
        return str(d / name)

    ref = make(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2"], "ref.mp4")
    blur = make(["-i", ref, "-vf", "boxblur=4"], "blur.mp4")
    still = make(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2", "-vf", "trim=end_frame=1,loop=49:1"],
                 "still.mp4")  # fmt: skip
    return ref, blur, still


def test_features_follow_distortion_and_motion(videos) -> None:
    ref, blur, still = videos
    same = vmaf_features(Source.of_file(ref), Source.of_file(ref))
    blurred = vmaf_features(Source.of_file(blur), Source.of_file(ref))
    assert same.shape == (6,) and len(VMAF_FEATURES) == 6
    vif, adm, motion = slice(0, 4), 4, 5
    assert np.allclose(same[vif], 1.0, atol=1e-3) and same[adm] == pytest.approx(1.0, abs=1e-3)
    assert np.all(blurred[vif] < same[vif] - 0.1) and blurred[adm] < same[adm] - 0.1  # detail lost
    assert blurred[vif][0] < blurred[vif][3]  # blur hurts the finest scale most
    assert same[motion] > 1.0  # the pattern moves
    assert vmaf_features(Source.of_file(still), Source.of_file(still))[motion] == pytest.approx(0.0, abs=1e-3)
    half = vmaf_features(Source.of_file(ref, 0.5, 1.5), Source.of_file(ref, 0.5, 1.5))  # spans are read
    assert half[vif] == pytest.approx(same[vif], abs=1e-3)


def test_vmaf_cue_needs_the_source_footage(videos, tmp_path) -> None:
    from evaluator.dubscore.cues import VMAFCue
    from evaluator.dubscore.features import CUE_MODALITY, FeatureCache

    ref, blur, _ = videos
    audio = Source.of_array(np.zeros(16000, np.float32), 16000)
    with_ref = ScoreItem("a", audio_src=audio, video=Source.of_file(blur), reference_video=Source.of_file(ref))
    without = ScoreItem("b", audio_src=audio, video=Source.of_file(blur))
    cue = VMAFCue()
    assert CUE_MODALITY["vmaf"] == "V" and cue.applies(with_ref) and not cue.applies(without)
    assert "libvmaf" in cue.encoder_id
    cache = FeatureCache(tmp_path)
    v = cache.get(with_ref, cue)
    assert v.shape == (6,) and v[0] < 0.9
    other = ScoreItem("c", audio_src=audio, video=Source.of_file(blur), reference_video=Source.of_file(blur))
    assert cache.key(other, cue) != cache.key(with_ref, cue)  # the reference footage is part of the cache key


def test_clip_list_reads_a_reference_video_column(videos, tmp_path) -> None:
    from evaluator.media import write_wav
    from evaluator.scoring import resolve_input

    ref, blur, _ = videos
    write_wav(tmp_path / "a.wav", np.zeros(16000, np.float32), 16000)
    (tmp_path / "clips.csv").write_text(f"id,audio,video,reference_video,start,end\nc1,a.wav,{blur},{ref},0.5,1.5\n")
    (item,) = resolve_input(tmp_path / "clips.csv")
    assert item.has("reference_video") and item.reference_video.path == ref
    assert (item.reference_video.start, item.reference_video.end) == (0.5, 1.5)  # the clip's span of the footage
    assert item.describe()["reference_video"]["path"] == ref
