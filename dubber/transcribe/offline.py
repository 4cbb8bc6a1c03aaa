"""``offline``: silero-vad segments, resemblyzer speakers, pocketsphinx English text (models in wheels).

Languages other than English have no offline recogniser: their utterances and speakers come back
without text and with a warning, or with the text of a user's transcript aligned onto them
(:mod:`dubber.transcribe.align_text`). The language cannot be identified offline: ``lang`` is needed.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np

from dubber.transcribe.base import AUTO, SegmentedTranscriber, TranscribeOptions
from evaluator.asr import TimedTranscript
from evaluator.asr.sphinx import PocketSphinxASR
from evaluator.errors import ConfigError


class OfflineTranscriber(SegmentedTranscriber):
    name = "offline"

    @cached_property
    def _asr(self) -> PocketSphinxASR:
        return PocketSphinxASR()

    @property
    def asr_id(self) -> str:
        return self._asr.model_id

    @property
    def aligner_id(self) -> str:
        return "pocketsphinx 5.1.1 decoder word segmentation"

    def check(self, options: TranscribeOptions) -> None:
        super().check(options)
        if options.lang == AUTO:
            raise ConfigError(
                "the offline backend cannot identify the language (lang='auto')",
                hint="give lang: en is transcribed by pocketsphinx; other languages get utterances and speakers, "
                "with text only from a transcript",
            )

    def identify_language(self, speech: np.ndarray) -> tuple[str, dict[str, Any]]:
        raise ConfigError("the offline backend cannot identify the language (lang='auto')")

    def recognize(self, audio: np.ndarray, lang: str) -> TimedTranscript | None:
        if lang.split("-")[0].lower() not in self._asr.languages():
            return None
        return self._asr.transcribe_timed(audio, lang)

    def unload(self) -> None:
        super().unload()
        if "_asr" in self.__dict__:
            self._asr.unload()
