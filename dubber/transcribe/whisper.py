"""``faster-whisper``: Whisper (CTranslate2) from a local model directory, with the offline segments and
speakers. Each utterance is recognised on its own (Whisper's word timings, ``word_timestamps``); with
``lang='auto'`` the language is identified once, by Whisper, on the first 30 s of speech.

Nothing is downloaded: ``model`` must be a directory holding a CTranslate2 conversion with its
``tokenizer.json`` (``ct2-transformers-converter --model openai/whisper-large-v3 --output_dir DIR
--copy_files tokenizer.json preprocessor_config.json`` on a machine with the hub).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from dubber.transcribe.base import AUTO, SegmentedTranscriber, TranscribeOptions
from evaluator.asr import TimedTranscript
from evaluator.asr.whisper import FasterWhisperASR
from evaluator.errors import ConfigError, ModelLoadError


class FasterWhisperTranscriber(SegmentedTranscriber):
    name = "faster-whisper"

    def __init__(
        self,
        model: str | None = None,
        *,
        device: str = "auto",
        compute_type: str = "default",
        beam_size: int = 5,
        **decode_options: Any,
    ) -> None:
        super().__init__()
        self.model = model
        self.device = device
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.decode_options = decode_options

    @cached_property
    def _asr(self) -> FasterWhisperASR:
        return FasterWhisperASR(
            str(self.model),
            device=self.device,
            compute_type=self.compute_type,
            beam_size=self.beam_size,
            local_only=True,
            **self.decode_options,
        )

    @property
    def asr_id(self) -> str:
        return f"{self._asr.model_id} (faster-whisper, CTranslate2)"

    @property
    def aligner_id(self) -> str:
        return "whisper cross-attention DTW (faster-whisper word_timestamps)"

    def check(self, options: TranscribeOptions) -> None:
        super().check(options)
        if options.transcript is not None:
            raise ConfigError(
                "the faster-whisper backend recognises the speech: a transcript is aligned by the offline backend",
                hint="drop the transcript, or use the offline backend",
            )
        if not self.model:
            raise ModelLoadError(
                "the faster-whisper backend needs model: a local CTranslate2 Whisper model directory",
                hint="nothing is downloaded; convert one with ct2-transformers-converter",
            )
        if not Path(self.model).is_dir():
            raise ModelLoadError(f"{self.model}: no such Whisper model directory", hint="check the model path")
        self._asr._model  # noqa: B018 - loads now: a bad directory fails before any audio is decoded
        if options.lang != AUTO:
            self._asr.check_language(options.lang)

    def identify_language(self, speech: np.ndarray) -> tuple[str, dict[str, Any]]:
        code, prob = self._asr.detect_language(speech)
        return code, {"method": f"whisper language identification ({self._asr.model_id})", "probability": prob}

    def recognize(self, audio: np.ndarray, lang: str) -> TimedTranscript | None:
        return self._asr.transcribe_timed(audio, lang)

    def unload(self) -> None:
        super().unload()
        if "_asr" in self.__dict__:
            self._asr.unload()
