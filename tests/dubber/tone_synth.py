"""A small real synthesizer for fast pipeline tests (injected with ``Dubber(cfg, synthesizer=...)``).

It speaks a voiced buzz (harmonics of an F0 set by the seed) whose natural length is 0.07 s per
character of text, and exactly the requested duration when one is asked for; it records each
``synthesize_many`` batch, and can fail on purpose after a number of batches (an interrupted run).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dubber.synth.base import Speech, Synthesizer, SynthRequest
from evaluator.errors import BackendError

SR = 16000
SECONDS_PER_CHAR = 0.07


class ToneSynthesizer(Synthesizer):
    name = "tone"
    controls_length = True
    clones_voice = False

    def __init__(self, fail_after: int | None = None) -> None:
        self.batches: list[list[tuple[str, float | None, int]]] = []
        self.fail_after = fail_after

    @property
    def model_id(self) -> str:
        return "tone:test"

    def languages(self) -> list[str]:
        return ["en", "es"]

    def synthesize_many(self, requests: Sequence[SynthRequest]) -> list[Speech]:
        if self.fail_after is not None and len(self.batches) >= self.fail_after:
            raise BackendError("tone: failing on purpose (an interrupted run)")
        self.batches.append([(r.text, r.duration, r.seed) for r in requests])
        return [self._speak(r) for r in requests]

    def _speak(self, r: SynthRequest) -> Speech:
        seconds = r.duration if r.duration is not None else SECONDS_PER_CHAR * len(r.text)
        t = np.arange(int(round(seconds * SR))) / SR
        f0 = 110.0 + (r.seed % 7) * 10.0
        audio = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6)).astype(np.float32) * 0.2
        fade = min(len(audio) // 2, int(0.01 * SR))
        if fade:
            ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
            audio[:fade] *= ramp
            audio[-fade:] *= ramp[::-1]
        return Speech(audio=audio, sr=SR, info={"seed": r.seed, "f0": f0})


class PredictingToneSynthesizer(ToneSynthesizer):
    """The tone synthesizer that also predicts its natural durations (as piper does): the render
    stage then speaks each line once, at its planned length."""

    name = "tone-predicting"
    predicts_length = True

    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__(fail_after)
        self.predicted: list[str] = []

    def natural_durations(self, requests: Sequence[SynthRequest]) -> list[float]:
        self.predicted.extend(r.text for r in requests)
        return [SECONDS_PER_CHAR * len(r.text) for r in requests]
