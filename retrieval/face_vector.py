"""The face vector of a clip: facial-expression probabilities and features over the detected faces.

Frames are sampled at :data:`FACE_FPS` (at most :data:`MAX_FRAMES`); in each, the largest face
(``evaluator.encoders.face``) gives FER-2013 expression probabilities and the model's 128-d
penultimate feature. The vector (136 entries) is:

- 0..6: mean expression probabilities over the frames with a face (``EXPRESSION_LABELS`` order);
- 7..134: mean penultimate feature, scaled to unit length;
- 135: coverage, the share of sampled frames with a face.

A clip in which no frame shows a face has no face vector (None).
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any

import numpy as np

from evaluator.encoders.face import EXPRESSION_FEATURE_DIM, EXPRESSION_ID, EXPRESSION_LABELS

FACE_FPS = 2.0
MAX_FRAMES = 8
FRAME_WIDTH = 480
FACE_DIM = len(EXPRESSION_LABELS) + EXPRESSION_FEATURE_DIM + 1


def face_vector(expressions: list[Any], n_frames: int) -> np.ndarray | None:
    """Combine per-frame ``Expression`` results (one per frame with a face) into the face vector."""
    if not expressions or n_frames <= 0:
        return None
    probs = np.mean([e.probs for e in expressions], axis=0)
    feats = np.mean([e.features for e in expressions], axis=0)
    norm = float(np.linalg.norm(feats))
    feats = feats / norm if norm > 0 else feats
    vec = np.concatenate([probs, feats, [len(expressions) / n_frames]])
    return vec.astype(np.float32)


class FaceVectorEncoder:
    """Face vectors of video spans (``evaluator.encoders.face.FaceAnalyzer`` underneath)."""

    modality = "face"
    dim = FACE_DIM

    def __init__(self, detector: str = "haar", fps: float = FACE_FPS, max_frames: int = MAX_FRAMES) -> None:
        self.detector = detector
        self.fps = float(fps)
        self.max_frames = int(max_frames)

    @property
    def encoder_id(self) -> str:
        from evaluator.encoders.face import DETECTORS

        return f"dubkit-face-vector-v1 / {DETECTORS.get(self.detector, self.detector)} / {EXPRESSION_ID}"

    @cached_property
    def analyzer(self) -> Any:
        from evaluator.encoders.face import FaceAnalyzer

        return FaceAnalyzer(detector=self.detector)

    def read(self, video: str | os.PathLike[str], start: float | None = None, end: float | None = None) -> np.ndarray:
        from evaluator.media import probe, read_frames

        info = probe(video).video
        width = FRAME_WIDTH
        height = 2 * round(FRAME_WIDTH * (info.height or 9) / max(info.width or 16, 1) / 2) if info else 270
        frames = read_frames(video, fps=self.fps, start=start, end=end, size=(width, height))
        if len(frames) == 0:
            frames = read_frames(video, start=start, end=(start or 0.0) + 0.5, size=(width, height))[:1]
        if len(frames) > self.max_frames:
            frames = frames[np.linspace(0, len(frames) - 1, self.max_frames).round().astype(int)]
        return frames

    def encode_frames(self, frames: np.ndarray) -> np.ndarray | None:
        expressions = []
        for frame in frames:
            boxes = self.analyzer.detect(frame)
            if boxes:
                expressions.append(self.analyzer.expression(frame, boxes[0]))
        return face_vector(expressions, len(frames))

    def encode(
        self, video: str | os.PathLike[str], start: float | None = None, end: float | None = None
    ) -> np.ndarray | None:
        """The face vector of ``video`` between ``start`` and ``end``; None when no face is seen."""
        return self.encode_frames(self.read(video, start, end))

    def unload(self) -> None:
        if "analyzer" in self.__dict__:
            self.analyzer.unload()
            del self.__dict__["analyzer"]
