"""Whisper ASR through faster-whisper (CTranslate2), the papers' recogniser (Whisper large-v3).

``model`` is a local directory holding a CTranslate2 Whisper conversion (``model.bin``,
``config.json``, ``tokenizer.json``, ``vocabulary.*``) or a hub id such as ``large-v3`` (downloaded by
faster-whisper on first use on hosts with access to the hub; never in the constructor). With
``local_only=True`` only a local directory is accepted and nothing is ever downloaded (faster-whisper
fetches a tokenizer from the hub when the directory has no ``tokenizer.json``: that is refused too).
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.asr.base import ASRBackend, TimedTranscript, WordTiming
from evaluator.errors import ConfigError, MissingDependencyError, ModelLoadError

logger = logging.getLogger(__name__)


def _fetch(size_or_id: str, cache: Path, local_only: bool) -> str:
    """faster-whisper's own downloader: it maps size names (``large-v3``) to their Systran repositories."""
    from faster_whisper import download_model

    return download_model(size_or_id, cache_dir=str(cache), local_files_only=local_only)


class FasterWhisperASR(ASRBackend):
    name = "faster-whisper"
    offline = False

    def __init__(
        self,
        model: str = "large-v3",
        *,
        device: str = "auto",
        compute_type: str = "default",
        beam_size: int = 5,
        local_only: bool = False,
        **decode_options: Any,
    ) -> None:
        """``decode_options`` go to faster-whisper's ``transcribe`` as they are (e.g. ``temperature=0.0``,
        ``max_new_tokens=64``)."""
        self.model = str(model)
        self.device = device
        self.compute_type = compute_type
        self.beam_size = int(beam_size)
        self.local_only = bool(local_only)
        self.decode_options = dict(decode_options)

    @property
    def model_id(self) -> str:
        p = Path(self.model)
        return f"whisper:{p.name}" if p.is_dir() else f"whisper:{self.model}"

    def languages(self) -> tuple[str, ...]:
        return ()

    def available(self) -> bool:
        from evaluator.models import local_path

        try:
            path = local_path(self.model, fetch=_fetch)
        except ImportError:  # faster-whisper is not installed
            return False
        return path is not None and (path / "model.bin").is_file()

    @cached_property
    def _model(self) -> Any:
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise MissingDependencyError("faster-whisper", extra="asr") from None
        from evaluator.models import resolve

        if self.local_only and not Path(self.model).is_dir():
            raise ModelLoadError(
                f"{self.model}: no such faster-whisper model directory",
                hint="pass a local CTranslate2 Whisper model directory (nothing is downloaded)",
                param="model",
            )
        p = resolve(self.model, what="faster-whisper model", param="model", fetch=_fetch)
        if not (p / "model.bin").is_file():
            raise ModelLoadError(
                f"{p}: not a CTranslate2 Whisper model directory (no model.bin)",
                hint="convert one with ct2-transformers-converter --model openai/whisper-large-v3 --output_dir DIR"
                " --copy_files tokenizer.json preprocessor_config.json",
            )
        if self.local_only and not (p / "tokenizer.json").is_file():
            raise ModelLoadError(
                f"{p}: no tokenizer.json in the Whisper model directory (faster-whisper would download one)",
                hint="copy the model's tokenizer.json into the directory (--copy_files tokenizer.json when converting)",
            )
        try:
            return WhisperModel(str(p), device=self.device, compute_type=self.compute_type)
        except Exception as exc:  # ctranslate2 / huggingface_hub raise many kinds
            raise ModelLoadError(f"cannot load Whisper model {self.model!r}: {exc}") from exc

    def transcribe(self, audio: np.ndarray, lang: str = "en") -> str:
        segments, _ = self._model.transcribe(
            np.asarray(audio, dtype=np.float32),
            language=lang.split("-")[0],
            beam_size=self.beam_size,
            **self.decode_options,
        )
        return " ".join(s.text.strip() for s in segments).strip()

    def supported_languages(self) -> tuple[str, ...]:
        """The language codes the loaded model knows (Whisper's list, or ``en`` for an English-only model)."""
        return tuple(self._model.supported_languages)

    def check_language(self, lang: str) -> str:
        """``lang``'s base code when the model transcribes it, else ``ConfigError``."""
        code = lang.split("-")[0].lower()
        if code not in self.supported_languages():
            raise ConfigError(
                f"the Whisper model {self.model_id} does not know the language {lang!r}",
                hint="pass one of Whisper's codes (en, es, fr, hi, ...) or lang='auto'",
            )
        return code

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        """Whisper's language identification on the first 30 s of ``audio``: ``(code, probability)``."""
        lang, prob, _ = self._model.detect_language(audio=np.asarray(audio, dtype=np.float32))
        return str(lang), float(prob)

    def transcribe_timed(self, audio: np.ndarray, lang: str = "en") -> TimedTranscript:
        """Transcript with word timings (Whisper's cross-attention alignment, ``word_timestamps=True``)."""
        segments, _ = self._model.transcribe(
            np.asarray(audio, dtype=np.float32),
            language=self.check_language(lang),
            beam_size=self.beam_size,
            word_timestamps=True,
            condition_on_previous_text=False,
            vad_filter=False,
            **self.decode_options,
        )
        texts, words = [], []
        for seg in segments:
            texts.append(seg.text.strip())
            for w in seg.words or ():
                if w.word.strip():
                    words.append(WordTiming(w.word.strip(), float(w.start), float(w.end), float(w.probability)))
        return TimedTranscript(" ".join(t for t in texts if t), tuple(words))

    def unload(self) -> None:
        self.__dict__.pop("_model", None)
