"""Offline English ASR with CMU PocketSphinx and the US English model packaged in its wheel."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property
from typing import Any

import numpy as np

from evaluator.asr.base import ASRBackend, TimedTranscript, WordTiming
from evaluator.errors import ConfigError, MissingDependencyError

#: pocketsphinx's segmentation rate (frames per second, its ``frate`` default)
_FRAME_RATE = 100.0
_FILLER = re.compile(r"^(<.*>|\[.*\]|\+\+.*\+\+)$")  # <s>, </s>, <sil>, [NOISE], ++GARBAGE++
_ALT = re.compile(r"\(\d+\)$")  # alternate pronunciations: "the(2)"
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")


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

    @cached_property
    def _aligner(self) -> Any:
        """A second decoder kept in alignment mode (``set_align_text``), so ``_decoder`` keeps its LM."""
        from pocketsphinx import Decoder

        self._decoder  # noqa: B018 - raises MissingDependencyError when pocketsphinx is missing
        return Decoder(samprate=self.sample_rate, loglevel="FATAL")

    @property
    def aligner_id(self) -> str:
        """The forced aligner of :meth:`align` (recorded beside the word timings it gives)."""
        return "pocketsphinx 5.1.1 forced alignment (set_align_text, cmudict-en-us)"

    def _check_lang(self, lang: str) -> None:
        if lang.split("-")[0].lower() != "en":
            raise ConfigError(
                f"pocketsphinx transcribes English only, not {lang!r}",
                hint="use the faster-whisper ASR backend with a local model",
            )

    def _decode(self, dec: Any, audio: np.ndarray) -> None:
        """One utterance, decoded as by a fresh decoder: the feature state (cepstral mean) a decoder carries from
        the utterances it heard before is reset first, so a transcript depends on its audio alone, not on which
        clips the same process transcribed earlier (a split of the work over workers gives the same words)."""
        pcm = (np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0) * 32767).astype(np.int16)
        dec.reinit_feat()
        dec.start_utt()
        dec.process_raw(pcm.tobytes(), full_utt=True)
        dec.end_utt()

    def transcribe(self, audio: np.ndarray, lang: str = "en") -> str:
        self._check_lang(lang)
        self._decode(self._decoder, audio)
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    def transcribe_timed(self, audio: np.ndarray, lang: str = "en") -> TimedTranscript:
        """Transcript with the decoder's word segmentation (no word confidence: pocketsphinx's
        segment posteriors are all 1 without a lattice pass)."""
        self._check_lang(lang)
        self._decode(self._decoder, audio)
        words = _words(self._decoder.seg())
        return TimedTranscript(" ".join(w.text for w in words), words)

    def normalise(self, text: str) -> list[str]:
        """``text`` as the aligner's words: lower case, digits and apostrophes kept, punctuation dropped."""
        return _NOT_WORD.sub(" ", text.lower().replace("\u2019", "'")).split()

    def unknown_words(self, text: str) -> list[str]:
        """Words of ``text`` that the pronunciation dictionary lacks (they cannot be aligned)."""
        dec = self._decoder
        return [w for w in self.normalise(text) if dec.lookup_word(w) is None]

    def align(self, audio: np.ndarray, text: str) -> TimedTranscript | None:
        """Force-align the known English ``text`` onto ``audio``: word timings of the given words.

        Returns None when the text has words outside the dictionary (see :meth:`unknown_words`) or
        the decoder finds no path through the audio for it.
        """
        words = self.normalise(text)
        if not words or self.unknown_words(text):
            return None
        dec = self._aligner
        try:
            dec.set_align_text(" ".join(words))
        except RuntimeError:
            return None
        self._decode(dec, audio)
        timed = _words(dec.seg())
        if [w.text for w in timed] != words:
            return None
        return TimedTranscript(text.strip(), timed)

    def unload(self) -> None:
        self.__dict__.pop("_decoder", None)
        self.__dict__.pop("_aligner", None)


def _words(segments: Iterable[Any]) -> tuple[WordTiming, ...]:
    """Word timings from pocketsphinx segments (fillers dropped, ``word(2)`` variants folded)."""
    out = []
    for seg in segments:
        if _FILLER.match(seg.word):
            continue
        start = seg.start_frame / _FRAME_RATE
        end = (seg.end_frame + 1) / _FRAME_RATE  # end_frame is inclusive
        out.append(WordTiming(_ALT.sub("", seg.word), start, end))
    return tuple(out)
