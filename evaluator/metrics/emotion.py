"""``emo_sim``: emotion similarity of the dub and the reference speech.

Backends: ``prosody`` (offline; cosine of the documented prosodic feature vectors of
:mod:`evaluator.encoders.prosody`) and ``emotion2vec`` (paper; utterance embeddings of emotion2vec
through funasr, from a local directory or a model id such as ``iic/emotion2vec_plus_base``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evaluator.encoders.audio_emotion import DEFAULT_EMOTION2VEC, EMOTION2VEC_SAMPLE_RATE, Emotion2VecEncoder
from evaluator.encoders.prosody import PROSODY_ENCODER_ID, PROSODY_SAMPLE_RATE, prosody_features
from evaluator.metrics.base import MetricBackend
from evaluator.metrics.speaker import EmbeddingSimilarity


class ProsodyBackend(MetricBackend):
    name = "prosody"
    model_id = PROSODY_ENCODER_ID
    offline = True
    sample_rate = PROSODY_SAMPLE_RATE

    def embed(self, audio: np.ndarray) -> np.ndarray:
        return prosody_features(audio, self.sample_rate)


class Emotion2VecBackend(MetricBackend):
    """emotion2vec utterance embeddings: :class:`evaluator.encoders.audio_emotion.Emotion2VecEncoder` (one loader)."""

    name = "emotion2vec"
    offline = False
    sample_rate = EMOTION2VEC_SAMPLE_RATE
    extra = "paper"

    def __init__(self, model: str = DEFAULT_EMOTION2VEC, device: str = "cpu") -> None:
        self.model = str(model)
        self.device = device
        self.encoder = Emotion2VecEncoder(self.model, device=device)

    @property
    def model_id(self) -> str:  # type: ignore[override]
        return f"emotion2vec:{Path(self.model).name if Path(self.model).is_dir() else self.model}"

    def describe_model(self) -> str:
        return self.model_id

    def available(self) -> bool:
        return self.encoder.available()

    def embed(self, audio: np.ndarray) -> np.ndarray:
        return self.encoder.encode(np.asarray(audio, dtype=np.float32), self.sample_rate)

    def unload(self) -> None:
        self.encoder.unload()


class EmotionMetrics(EmbeddingSimilarity):
    family = "emotion"
    metric_names = ("emo_sim",)
    backends = {"prosody": ProsodyBackend, "emotion2vec": Emotion2VecBackend}
    paper_backend = "emotion2vec"
