"""Face encoder on a real photo (matplotlib's grace_hopper.jpg) and on frames without faces."""

from __future__ import annotations

import matplotlib.cbook
import numpy as np
import pytest

from evaluator.encoders.face import (
    EXPRESSION_FEATURE_DIM,
    EXPRESSION_LABELS,
    FaceAnalyzer,
    mouth_opening,
    mouth_opening_track,
)
from evaluator.errors import ConfigError


@pytest.fixture(scope="module")
def hopper() -> np.ndarray:
    import cv2

    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer()


@pytest.mark.parametrize("detector", ["dlib", "haar"])
def test_one_face_in_photo(hopper: np.ndarray, detector: str) -> None:
    boxes = FaceAnalyzer(detector).detect(hopper)
    assert len(boxes) == 1
    cx, cy = boxes[0].center
    # the face is in the upper middle of the portrait
    assert 180 < cx < 340 and 150 < cy < 330
    assert 150 < boxes[0].w < 300


def test_no_face_in_blank_and_noise(analyzer: FaceAnalyzer) -> None:
    assert analyzer.detect(np.zeros((240, 320, 3), np.uint8)) == []
    assert analyzer.detect(np.full((240, 320), 200, np.uint8)) == []


def test_landmarks_and_mouth_opening(hopper: np.ndarray, analyzer: FaceAnalyzer) -> None:
    box = analyzer.detect(hopper)[0]
    pts = analyzer.landmarks(hopper, box)
    assert pts.shape == (68, 2)
    # the landmarks lie inside (a margin around) the face box, the chin below the nose
    assert np.all(pts[:, 0] > box.x - 20) and np.all(pts[:, 0] < box.x + box.w + 20)
    assert pts[8, 1] > pts[30, 1] > pts[27, 1]
    value = mouth_opening(pts)
    assert np.isfinite(value) and 0.0 <= value < 0.1  # closed mouth in the portrait


def test_mouth_opening_grows_when_lips_part() -> None:
    pts = np.zeros((68, 2))
    pts[27] = (0, 0)
    pts[8] = (0, 100)
    for a, b in ((61, 67), (62, 66), (63, 65)):
        pts[a], pts[b] = (0, 60), (0, 60)
    closed = mouth_opening(pts)
    for b in (67, 66, 65):
        pts[b] = (0, 80)
    assert closed == 0.0 and mouth_opening(pts) == pytest.approx(0.2)
    with pytest.raises(ConfigError, match="68, 2"):
        mouth_opening(np.zeros((5, 2)))


def test_expression_probabilities(hopper: np.ndarray, analyzer: FaceAnalyzer) -> None:
    expr = analyzer.expression(hopper, analyzer.detect(hopper)[0])
    assert expr.probs.shape == (len(EXPRESSION_LABELS),)
    assert expr.probs.sum() == pytest.approx(1.0, abs=1e-4)
    assert np.all(expr.probs >= 0)
    assert expr.features.shape == (EXPRESSION_FEATURE_DIM,) and np.all(np.isfinite(expr.features))
    assert expr.label in EXPRESSION_LABELS and expr.to_dict()["model"].startswith("fer-")


def test_mouth_track_nan_without_face(hopper: np.ndarray, analyzer: FaceAnalyzer) -> None:
    blank = np.zeros_like(hopper)
    track = mouth_opening_track(np.stack([hopper, blank, hopper]), analyzer)
    assert track.shape == (3,)
    assert np.isfinite(track[0]) and np.isnan(track[1]) and track[2] == pytest.approx(track[0])


def test_face_tracks_follow_two_faces(hopper: np.ndarray, analyzer: FaceAnalyzer) -> None:
    pair = np.concatenate([hopper, hopper], axis=1)  # two faces side by side
    frames = np.stack([pair, pair, np.concatenate([hopper, np.zeros_like(hopper)], axis=1)])
    tracks = analyzer.face_tracks(frames)
    assert len(tracks) == 2
    cover = sorted(t.coverage for t in tracks)
    assert cover == pytest.approx([2 / 3, 1.0])


def test_unknown_detector() -> None:
    with pytest.raises(ConfigError, match="dlib or haar"):
        FaceAnalyzer("mtcnn")
