"""Speech recognition backends: ``pocketsphinx`` (offline English) and ``faster-whisper`` (paper, Whisper)."""

from evaluator.asr.base import ASR_BACKENDS, ASRBackend, TimedTranscript, WordTiming

ASR_BACKENDS.register("pocketsphinx", "evaluator.asr.sphinx:PocketSphinxASR")
ASR_BACKENDS.register("faster-whisper", "evaluator.asr.whisper:FasterWhisperASR")

__all__ = ["ASR_BACKENDS", "ASRBackend", "TimedTranscript", "WordTiming"]
