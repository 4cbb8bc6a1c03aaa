"""Emotion vectors of speech audio.

- :class:`ProsodyEmotionEncoder` (offline profile): the documented prosodic feature vector of
  :mod:`evaluator.encoders.prosody` (pitch level, range and movement, loudness, pauses, rate,
  spectral tilt), no model weights.
- :class:`Emotion2VecEncoder` (paper profile): emotion2vec utterance embeddings through funasr
  (``iic/emotion2vec_plus_base`` by default, 768-d), from a local model directory or a model id.

Both: ``encode(audio, sr) -> float32 (dim,)`` on mono audio, ``encode_file(path, start, end)``,
``encoder_id``, ``dim``, lazy load, ``unload()``.
"""

from __future__ import annotations

import logging
import os
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.encoders.prosody import PROSODY_DIM, PROSODY_ENCODER_ID, PROSODY_SAMPLE_RATE, prosody_features
from evaluator.errors import MediaError, MissingDependencyError, ModelLoadError

log = logging.getLogger(__name__)

EMOTION2VEC_SAMPLE_RATE = 16000
EMOTION2VEC_DIM = 768
DEFAULT_EMOTION2VEC = "iic/emotion2vec_plus_base"
#: emotion2vec's ModelScope ids (``iic/NAME``) and their Hugging Face copies (``emotion2vec/NAME``): hub ids
#: are fetched from Hugging Face into dubkit's cache (evaluator.models) and funasr reads the local copy
MODELSCOPE_ORG, HF_ORG = "iic/", "emotion2vec/"
#: Shortest span encoded (shorter clips give no stable prosody or embedding).
MIN_SECONDS = 0.2


class _AudioEncoder:
    sample_rate: int = 16000

    def encode(self, audio: np.ndarray, sr: int) -> np.ndarray:
        raise NotImplementedError

    def encode_file(
        self, path: str | os.PathLike[str], start: float | None = None, end: float | None = None, *, stream: int = 0
    ) -> np.ndarray:
        """The vector of ``path``'s audio between ``start`` and ``end`` seconds."""
        from evaluator.media import load_audio

        audio = load_audio(path, self.sample_rate, start=start, end=end, stream=stream)
        if len(audio) < MIN_SECONDS * self.sample_rate:
            raise MediaError(
                f"{path}: only {len(audio) / self.sample_rate:.2f} s of audio between {start} and {end} s",
                hint=f"audio spans must be at least {MIN_SECONDS} s",
            )
        return self.encode(audio, self.sample_rate)


class ProsodyEmotionEncoder(_AudioEncoder):
    """Offline audio emotion: the 16 prosodic features of ``evaluator.encoders.prosody``."""

    modality = "audio"
    encoder_id = PROSODY_ENCODER_ID
    dim = PROSODY_DIM
    sample_rate = PROSODY_SAMPLE_RATE

    def encode(self, audio: np.ndarray, sr: int) -> np.ndarray:
        return prosody_features(np.asarray(audio, dtype=np.float32), sr)

    def unload(self) -> None:
        """Nothing is loaded (no model)."""


class Emotion2VecEncoder(_AudioEncoder):
    """Paper audio emotion: emotion2vec utterance embedding (funasr ``AutoModel``).

    ``model`` is a local directory holding the funasr model files (``model.pt``, ``config.yaml``) or
    a model id such as ``iic/emotion2vec_plus_base`` (ModelScope's name; fetched from its Hugging Face copy
    ``emotion2vec/emotion2vec_plus_base`` into dubkit's cache, see :mod:`evaluator.models`).
    """

    modality = "audio"
    DEFAULT_MODEL = DEFAULT_EMOTION2VEC
    dim = EMOTION2VEC_DIM
    sample_rate = EMOTION2VEC_SAMPLE_RATE

    def __init__(self, model: str | os.PathLike[str] = DEFAULT_EMOTION2VEC, *, device: str = "cpu") -> None:
        self.model = str(model)
        self.device = device

    @property
    def hub_id(self) -> str:
        """The Hugging Face repository of a model id (ModelScope's ``iic/`` ids map to ``emotion2vec/``)."""
        return HF_ORG + self.model[len(MODELSCOPE_ORG) :] if self.model.startswith(MODELSCOPE_ORG) else self.model

    def available(self) -> bool:
        """Whether the model is here (a local directory or a cached copy) without downloading."""
        from evaluator.models import local_path

        path = local_path(self.model if Path(self.model).exists() else self.hub_id)
        return path is not None and (path / "model.pt").is_file()

    @property
    def encoder_id(self) -> str:
        return f"emotion2vec-utterance / {self.model}"

    @cached_property
    def _model(self) -> Any:
        try:
            from funasr import AutoModel
        except ImportError:
            raise MissingDependencyError("funasr (emotion2vec)", extra="paper") from None
        from evaluator.models import resolve

        local = resolve(
            self.model if Path(self.model).exists() else self.hub_id, what="emotion2vec model", param="model"
        )
        if not (local / "model.pt").is_file():
            raise ModelLoadError(f"{local}: no model.pt in this emotion2vec directory", hint="pass the model directory")
        try:
            return AutoModel(model=str(local), device=self.device, disable_update=True)
        except Exception as exc:  # noqa: BLE001 - funasr raises bare Exceptions of many kinds
            raise ModelLoadError(
                f"{self.model}: cannot load emotion2vec ({exc.__class__.__name__}: {exc})",
                hint="pass a local emotion2vec model directory or a reachable model id",
            ) from None

    def encode(self, audio: np.ndarray, sr: int) -> np.ndarray:
        from evaluator.media import resample

        x = resample(np.asarray(audio, dtype=np.float32), sr, self.sample_rate)
        res = self._model.generate(x, granularity="utterance", extract_embedding=True, disable_pbar=True)
        feats = np.asarray(res[0]["feats"], dtype=np.float32).reshape(-1)
        if feats.shape != (self.dim,):
            raise ModelLoadError(
                f"{self.model}: emotion2vec returned a {feats.shape} embedding, expected ({self.dim},)"
            )
        return feats

    def classify(self, audio: np.ndarray, sr: int) -> dict[str, float]:
        """emotion2vec's utterance emotion probabilities, by its class labels (``生气/angry``, ..., ``<unk>``)."""
        from evaluator.media import resample

        x = resample(np.asarray(audio, dtype=np.float32), sr, self.sample_rate)
        res = self._model.generate(x, granularity="utterance", extract_embedding=False, disable_pbar=True)
        labels, scores = res[0].get("labels"), res[0].get("scores")
        if not labels or scores is None or len(labels) != len(scores):
            raise ModelLoadError(
                f"{self.model}: gave no emotion classes",
                hint="use an emotion2vec model with a classification head (emotion2vec_plus_*)",
            )
        return {str(k): float(v) for k, v in zip(labels, scores, strict=True)}

    def unload(self) -> None:
        self.__dict__.pop("_model", None)
