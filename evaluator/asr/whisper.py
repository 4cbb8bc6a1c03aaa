"""Whisper ASR through faster-whisper (CTranslate2), the papers' recogniser (Whisper large-v3).

``model`` is a local directory holding a CTranslate2 Whisper conversion (``model.bin``,
``config.json``, ``tokenizer.json``, ``vocabulary.*``) or a hub id such as ``large-v3`` (downloaded by
faster-whisper on first use on hosts with access to the hub; never in the constructor).
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.asr.base import ASRBackend
from evaluator.errors import MissingDependencyError, ModelLoadError

logger = logging.getLogger(__name__)


def _fetch(size_or_id: str, cache: Path, local_only: bool) -> str:
    """faster-whisper's own downloader: it maps size names (``large-v3``) to their Systran repositories."""
    from faster_whisper import download_model

    return download_model(size_or_id, cache_dir=str(cache), local_files_only=local_only)


class FasterWhisperASR(ASRBackend):
    name = "faster-whisper"
    offline = False

    def __init__(
        self, model: str = "large-v3", *, device: str = "auto", compute_type: str = "default", beam_size: int = 5
    ) -> None:
        self.model = str(model)
        self.device = device
        self.compute_type = compute_type
        self.beam_size = int(beam_size)

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

        p = resolve(self.model, what="faster-whisper model", param="model", fetch=_fetch)
        if not (p / "model.bin").is_file():
            raise ModelLoadError(
                f"{p}: not a CTranslate2 Whisper model directory (no model.bin)",
                hint="convert with ct2-transformers-converter or pass a hub id such as large-v3",
            )
        try:
            return WhisperModel(str(p), device=self.device, compute_type=self.compute_type)
        except Exception as exc:  # ctranslate2 / huggingface_hub raise many kinds
            raise ModelLoadError(f"cannot load Whisper model {self.model!r}: {exc}") from exc

    def transcribe(self, audio: np.ndarray, lang: str = "en") -> str:
        segments, _ = self._model.transcribe(
            np.asarray(audio, dtype=np.float32), language=lang.split("-")[0], beam_size=self.beam_size
        )
        return " ".join(s.text.strip() for s in segments).strip()

    def unload(self) -> None:
        self.__dict__.pop("_model", None)
