"""The heuristic reader measures an episode once: one decode per stretch, the face detector only where
the picture changed, a voice profile per named speaker, and a cache that a second read reuses whole."""

from __future__ import annotations

import pytest

from dubber.scene import create_reader, read_scenes
from dubber.scene.episode_analysis import AnalysisParams, EpisodeAnalysis, stretches
from evaluator.script import Cue, load_script


class Counting:
    """Wraps a callable and counts its calls."""

    def __init__(self, fn) -> None:  # noqa: ANN001
        self.fn, self.calls = fn, 0

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        self.calls += 1
        return self.fn(*args, **kwargs)


def test_an_episode_is_measured_once_and_read_again_from_the_cache(demo_episode, tmp_path, monkeypatch):
    cues = load_script(demo_episode.script)  # ANNA, BEN, ANNA over a still photo
    reader = create_reader("heuristic")
    detect = Counting(reader.faces.detect)
    monkeypatch.setattr(reader.faces, "detect", detect)
    readings = read_scenes(demo_episode.video, cues, reader, cache_dir=tmp_path, video_hash="demo")
    frames = sum(r.measurements["frames"] for r in readings)
    assert frames >= 30 and detect.calls <= 3  # the picture never changes: the detector runs every redetect_s
    assert [r.num_people for r in readings] == [1, 1, 1]  # the face is still found on every frame
    # a named speaker's voice is measured over all their lines: ANNA's two lines share one profile
    anna = [r.measurements["voice"] for r, c in zip(readings, cues, strict=True) if c.speaker == "ANNA"]
    assert anna[0] == anna[1] and anna[0]["gender"] == "female"
    assert [r.gender for r in readings] == ["female", "male", "female"]
    assert "speaker ANNA's speech over 2 line(s)" in readings[0].reasoning
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".npz"]

    def no_decoding(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("decoded again although everything is cached")

    import evaluator.media as media

    monkeypatch.setattr(media, "iter_frames", no_decoding)
    monkeypatch.setattr(media, "load_audio", no_decoding)
    fresh = create_reader("heuristic")  # a new process would start with nothing loaded
    again = read_scenes(demo_episode.video, cues, fresh, cache_dir=tmp_path, video_hash="demo")
    assert [r.to_dict() for r in again] == [r.to_dict() for r in readings]
    assert "faces" not in fresh.__dict__ or fresh.faces.__dict__.get("_dlib_detector") is None


def test_stretches_and_the_frame_grid():
    cues = [Cue(1, 0.0, 2.0, "a"), Cue(2, 3.0, 4.0, "b"), Cue(3, 9.0, 10.0, "c")]
    assert [(s, e, [c.index for c in m]) for s, e, m in stretches(cues)] == [(0.0, 4.0, [1, 2]), (9.0, 10.0, [3])]
    analysis = EpisodeAnalysis(AnalysisParams(fps=4.0))
    # frame k shows time (k + 0.5) / fps; a cue's frames are those whose time is inside it
    assert analysis.grid(0.3, 1.0) == [1, 2, 3] and analysis.time(1) == pytest.approx(0.375)
    analysis.speech = {"0.000-4.000": [(0.5, 1.5), (3.2, 3.6)]}
    assert analysis.segments(1.0, 4.0) == [(0.0, 0.5), pytest.approx((2.2, 2.6))]
