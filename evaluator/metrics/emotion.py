"""``emo_sim``: emotion similarity of the dub and the reference speech.

Backends: ``prosody`` (offline; cosine of the documented prosodic feature vectors of
:mod:`evaluator.encoders.prosody`) and ``emotion2vec`` (paper; utterance embeddings of emotion2vec
through funasr, from a local directory or a model id such as ``iic/emotion2vec_plus_base``).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.encoders.prosody import PROSODY_ENCODER_ID, PROSODY_SAMPLE_RATE, prosody_features
from evaluator.errors import MissingDependencyError, ModelLoadError
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
    name = "emotion2vec"
    offline = False
    sample_rate = 16000
    extra = "paper"

    def __init__(self, model: str = "iic/emotion2vec_plus_base", device: str = "cpu") -> None:
        self.model = str(model)
        self.device = device

    @property
    def model_id(self) -> str:  # type: ignore[override]
        return f"emotion2vec:{Path(self.model).name if Path(self.model).is_dir() else self.model}"

    def describe_model(self) -> str:
        return self.model_id

    def available(self) -> bool:
        return Path(self.model).is_dir()

    @cached_property
    def _model(self) -> Any:
        try:
            from funasr import AutoModel
        except ImportError:
            raise MissingDependencyError("funasr (emotion2vec)", extra="paper") from None
        try:
            return AutoModel(model=self.model, device=self.device, disable_update=True)
        except Exception as exc:  # funasr raises assorted errors for bad directories
            raise ModelLoadError(f"cannot load emotion2vec model {self.model!r}: {exc}") from exc

    def embed(self, audio: np.ndarray) -> np.ndarray:
        res = self._model.generate(np.asarray(audio, dtype=np.float32), granularity="utterance", extract_embedding=True)
        return np.asarray(res[0]["feats"], dtype=np.float32).ravel()

    def unload(self) -> None:
        self.__dict__.pop("_model", None)


class EmotionMetrics(EmbeddingSimilarity):
    family = "emotion"
    metric_names = ("emo_sim",)
    backends = {"prosody": ProsodyBackend, "emotion2vec": Emotion2VecBackend}
    paper_backend = "emotion2vec"
