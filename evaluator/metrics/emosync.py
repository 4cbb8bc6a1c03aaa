"""``emo_sync``: does the dub's speech carry the emotion the face on screen shows? (the DubScore paper's EmoSync)

The face side is the same for both backends: the facial-expression probabilities of the largest face (the fer
network, :class:`evaluator.encoders.face.FaceAnalyzer`, 7 classes) averaged over the frames of the clip that show
a face, read at 4 fps. A clip with a face in fewer than a quarter of its frames is skipped with the reason.

- ``emotion2vec`` (paper): the speech side is emotion2vec's utterance emotion probabilities (its 9 classes; the 7
  it shares with the face model kept and renormalised, ``other`` and ``unknown`` dropped). EmoSync is one minus
  the Jensen-Shannon divergence (base 2) of the two distributions: 1 when they agree, 0 when disjoint.
- ``prosody-arousal`` (offline): no packaged model classifies speech emotion, so the two sides meet on the one
  axis prosody carries reliably, activation (arousal; Juslin & Laukka 2003: higher, wider-ranging pitch, more
  intensity, faster rate and a flatter spectrum with higher activation). Face arousal is the expectation of
  :data:`EXPRESSION_AROUSAL` (the circumplex's activation axis, Russell 1980, coarsened to 1, 0.5, 0, -1:
  anger, fear, surprise high; happiness, disgust moderate; neutral 0; sadness low). Speech arousal is
  ``tanh`` of the mean, over :data:`VOCAL_AROUSAL`, of the dub's prosodic feature minus the target voice's
  (the ``voice`` clip, else the ``reference``), each in its unit (+3 semitones of mean pitch, +6 dB, ...), so a
  delivery at the speaker's reference level reads 0. EmoSync is ``1 - |face - speech| / 2`` on [0, 1]. The
  units and class values are dubkit's choices (documented, not fitted): this backend measures whether the
  dub is as excited, or as subdued, as the face, not which emotion it carries.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from evaluator.encoders.face import EXPRESSION_LABELS
from evaluator.metrics.base import MetricBackend, MetricFamily
from evaluator.metrics.item import ScoreItem
from evaluator.metrics.spec import SkipMetric

#: frames per second and width at which the face is read
FACE_FPS = 4.0
FACE_WIDTH = 320
#: fewest frames with a face, as a share of the clip's frames
MIN_FACE_COVERAGE = 0.25
#: activation of each facial expression class (the circumplex's arousal axis, coarsened)
EXPRESSION_AROUSAL = {"angry": 1.0, "fear": 1.0, "surprise": 1.0, "happy": 0.5, "disgust": 0.5, "neutral": 0.0,
                      "sad": -1.0}  # fmt: skip
#: prosodic features (evaluator.encoders.prosody) that rise with vocal arousal, and the change that counts as one
#: unit, in the feature's own scale: f0_mean in octaves (0.25 = 3 semitones), f0_range in half octaves (0.5 = a
#: quarter octave wider), energy_mean in 10 dB (0.6 = 6 dB), speaking_rate in 4 onsets/s (0.25 = 1 onset/s),
#: spectral_tilt in 10 dB/octave (0.3 = 3 dB/octave flatter)
VOCAL_AROUSAL = {"f0_mean": 0.25, "f0_range": 0.5, "energy_mean": 0.6, "speaking_rate": 0.25, "spectral_tilt": 0.3}
#: emotion2vec's class names (English part of its labels) -> the face model's
EMOTION2VEC_TO_FACE = {"angry": "angry", "disgusted": "disgust", "fearful": "fear", "happy": "happy",
                       "neutral": "neutral", "sad": "sad", "surprised": "surprise"}  # fmt: skip


def face_arousal(probs: np.ndarray) -> float:
    """Expected activation of expression probabilities over ``EXPRESSION_LABELS``."""
    return float(sum(p * EXPRESSION_AROUSAL[k] for k, p in zip(EXPRESSION_LABELS, probs, strict=True)))


def vocal_arousal(dub: np.ndarray, voice: np.ndarray) -> float:
    """Speech arousal of the dub relative to the target voice, from their prosodic feature vectors, in (-1, 1).

    >>> from evaluator.encoders.prosody import PROSODY_FEATURE_NAMES
    >>> v = np.zeros(len(PROSODY_FEATURE_NAMES)); d = v.copy(); d[PROSODY_FEATURE_NAMES.index("f0_mean")] = 0.25
    >>> vocal_arousal(v, v), round(vocal_arousal(d, v), 3)
    (0.0, 0.197)
    """
    from evaluator.encoders.prosody import PROSODY_FEATURE_NAMES

    idx = {n: PROSODY_FEATURE_NAMES.index(n) for n in VOCAL_AROUSAL}
    units = [(dub[i] - voice[i]) / VOCAL_AROUSAL[n] for n, i in idx.items()]
    return float(np.tanh(np.mean(units)))


def js_agreement(p: np.ndarray, q: np.ndarray) -> float:
    """One minus the Jensen-Shannon divergence (base 2) of two distributions: 1 identical, 0 disjoint.

    >>> js_agreement(np.array([1.0, 0.0]), np.array([1.0, 0.0])), js_agreement(np.array([1.0, 0]), np.array([0, 1.0]))
    (1.0, 0.0)
    """
    p, q = np.asarray(p, float) / np.sum(p), np.asarray(q, float) / np.sum(q)
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        ok = a > 0
        return float(np.sum(a[ok] * np.log2(a[ok] / m[ok])))

    return float(np.clip(1.0 - (kl(p) + kl(q)) / 2, 0.0, 1.0))


def speech_face_distribution(scores: dict[str, float]) -> np.ndarray:
    """emotion2vec's class scores (labels such as ``生气/angry``) as a distribution over ``EXPRESSION_LABELS``."""
    out = dict.fromkeys(EXPRESSION_LABELS, 0.0)
    for label, p in scores.items():
        name = EMOTION2VEC_TO_FACE.get(label.split("/")[-1].strip().lower())
        if name is not None:
            out[name] += float(p)
    v = np.array([out[k] for k in EXPRESSION_LABELS])
    if v.sum() <= 0:
        raise SkipMetric("emotion2vec gave no probability to an emotion the face model knows")
    return v / v.sum()


class ProsodyArousalBackend(MetricBackend):
    name = "prosody-arousal"
    offline = True
    sample_rate = 16000

    @property
    def model_id(self) -> str:  # type: ignore[override]
        from evaluator.encoders.face import EXPRESSION_ID
        from evaluator.encoders.prosody import PROSODY_ENCODER_ID

        return f"arousal of {EXPRESSION_ID} vs {PROSODY_ENCODER_ID} relative to the target voice"

    def describe_model(self) -> str:
        return self.model_id

    def agreement(self, item: ScoreItem, face: np.ndarray) -> tuple[float, dict[str, Any]]:
        from evaluator.encoders.prosody import prosody_features

        if not item.has("voice|reference"):
            raise SkipMetric("missing input: voice or reference (the speaker's level the dub is compared with)")
        sr = self.sample_rate
        speech = vocal_arousal(prosody_features(item.audio(sr), sr), prosody_features(item.voice(sr), sr))
        fa = face_arousal(face)
        return 1.0 - abs(fa - speech) / 2.0, {"face_arousal": round(fa, 4), "speech_arousal": round(speech, 4)}


class Emotion2VecEmotionBackend(MetricBackend):
    """emotion2vec's utterance emotion probabilities (:class:`evaluator.encoders.audio_emotion.Emotion2VecEncoder`)."""

    name = "emotion2vec"
    offline = False
    sample_rate = 16000
    extra = "paper"

    def __init__(self, model: str | None = None, device: str = "cpu") -> None:
        from evaluator.encoders.audio_emotion import DEFAULT_EMOTION2VEC, Emotion2VecEncoder

        self.encoder = Emotion2VecEncoder(model or DEFAULT_EMOTION2VEC, device=device)

    @property
    def model_id(self) -> str:  # type: ignore[override]
        from evaluator.encoders.face import EXPRESSION_ID

        return f"{EXPRESSION_ID} vs emotion2vec classes / {self.encoder.model}"

    def describe_model(self) -> str:
        return self.model_id

    def available(self) -> bool:
        return self.encoder.available()

    def agreement(self, item: ScoreItem, face: np.ndarray) -> tuple[float, dict[str, Any]]:
        speech = speech_face_distribution(self.encoder.classify(item.audio(self.sample_rate), self.sample_rate))
        top = EXPRESSION_LABELS[int(np.argmax(speech))]
        return js_agreement(face, speech), {"face": EXPRESSION_LABELS[int(np.argmax(face))], "speech": top}

    def unload(self) -> None:
        self.encoder.unload()


class EmoSyncMetrics(MetricFamily):
    family = "emosync"
    metric_names = ("emo_sync",)
    backends = {"prosody-arousal": ProsodyArousalBackend, "emotion2vec": Emotion2VecEmotionBackend}
    paper_backend = "emotion2vec"

    @cached_property
    def _faces(self) -> Any:
        from evaluator.encoders.face import FaceAnalyzer

        return FaceAnalyzer("dlib")

    def face_probs(self, item: ScoreItem) -> tuple[np.ndarray, float]:
        """Mean expression probabilities of the largest face over the clip's frames with a face, and that share."""
        from evaluator.media import probe, read_frames

        src = item.video
        info = probe(src.path).video
        w, h = (info.width, info.height) if info is not None else (0, 0)
        size = (FACE_WIDTH, int(round(h * FACE_WIDTH / w / 2)) * 2) if w and h else None
        frames = read_frames(src.path, fps=FACE_FPS, start=src.start, end=src.end, size=size)
        probs = []
        for frame in frames:
            boxes = self._faces.detect(frame)
            if boxes:
                probs.append(self._faces.expression(frame, boxes[0]).probs)
        cover = len(probs) / max(len(frames), 1)
        if cover < MIN_FACE_COVERAGE:
            raise SkipMetric(f"a face in {cover:.0%} of the frames (needs {MIN_FACE_COVERAGE:.0%})")
        return np.mean(probs, axis=0), cover

    def compute(self, item: ScoreItem, names: list[str]) -> dict[str, Any]:
        face, cover = self.face_probs(item)
        value, details = self.backend.agreement(item, face)  # type: ignore[attr-defined]
        return {"emo_sync": (value, {**details, "face_coverage": round(cover, 3)})}

    def unload(self) -> None:
        super().unload()
        if "_faces" in self.__dict__:
            self._faces.unload()
        self.__dict__.pop("_faces", None)
