"""Offline English ASR with CMU PocketSphinx and the US English model packaged in its wheel."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from evaluator.asr.base import ASRBackend
from evaluator.errors import ConfigError, MissingDependencyError


class PocketSphinxASR(ASRBackend):
    """PocketSphinx 5 decoder (``en-us`` acoustic model, ``en-us.lm.bin`` trigram LM, cmudict)."""

    name = "pocketsphinx"
    offline = True
    #: benchmarks/asr_short_lines.py (piper joe-us, 52 dialogue lines at 3 paces, two runs of 156 lines): clean
    #: lines under 1.25 s got WER >= 0.5 in 5-24% of cases per 0.25 s bin (one to three words: one miss is a WER
    #: of 0.33-1), lines from 1.25 s on in none of 128 (mean WER 0.045 against 0.09-0.12 under)
    reliable_from_s = 1.25

    @property
    def model_id(self) -> str:
        return "cmusphinx-en-us-5.2+en-us.lm.bin (pocketsphinx 5.1.1 wheel)"

    def languages(self) -> tuple[str, ...]:
        return ("en",)

    @cached_property
    def _decoder(self) -> Any:
        try:
            from pocketsphinx import Decoder
        except ImportError:
            raise MissingDependencyError("pocketsphinx", install="pip install pocketsphinx==5.1.1") from None
        return Decoder(samprate=self.sample_rate, loglevel="FATAL")

    def transcribe(self, audio: np.ndarray, lang: str = "en") -> str:
        if lang.split("-")[0].lower() != "en":
            raise ConfigError(
                f"pocketsphinx transcribes English only, not {lang!r}",
                hint="use the faster-whisper ASR backend with a local model",
            )
        pcm = (np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0) * 32767).astype(np.int16)
        dec = self._decoder
        dec.start_utt()
        dec.process_raw(pcm.tobytes(), full_utt=True)
        dec.end_utt()
        hyp = dec.hyp()
        return hyp.hypstr if hyp is not None else ""

    def unload(self) -> None:
        self.__dict__.pop("_decoder", None)
