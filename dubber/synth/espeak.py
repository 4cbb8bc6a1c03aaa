"""``espeak``: formant synthesis in about a hundred languages, via the libespeak-ng that ships in
the espeakng-loader wheel (called through ctypes; no system package needed).

Length control: the speaking rate (words per minute) is set to ``natural_rate * natural /
duration``; the duration ladder removes the residual with Rubber Band.
Style: ``gender`` picks a male or female voice, ``age`` and ``emotion`` move pitch and range
(child/young higher, senior lower; anger/joy/surprise wider and higher, sadness narrower and lower).
Per-speaker voices are espeak's variants, named ``m0``-``m7`` and ``f0``-``f5`` (gender and variant
number; 0 is espeak's own voice of that gender): :meth:`EspeakSynthesizer.assign_voices` gives each
speaker their own, of their gender (measured from their reference, else their scene readings'), the
one nearest their reference clip, unless one is given; a speaker's variant takes precedence over a
line's reading.

Reproducible takes: libespeak-ng keeps state from one synthesis to the next that no call resets
(the pitch flutter's phase is a static counter in ``wavegen.c``'s ``AdvanceParameters``, advanced
every 64 samples and never rewound, not even by ``espeak_Terminate``/``espeak_Initialize``), so the
same request spoke 56908, 56928, 56905 samples in three calls in one process; the first call of a
fresh process is always the same. Each synthesis therefore runs in a freshly loaded private copy
of the library (loaded, initialised, seeded with the request's seed for its noise, used once and
unloaded: about 20 ms), so the same request gives the same samples.
"""

from __future__ import annotations

import ctypes
import functools
import shutil
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dubber.synth.base import Speech, Synthesizer, SynthRequest, check_voice_speakers
from evaluator.errors import BackendError, ConfigError, MissingDependencyError
from evaluator.options import Option

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4
NATURAL_RATE = 175  # espeak's default words per minute
_GENDER = {"male": 1, "female": 2}
#: espeak's variant numbers per gender letter (voices/!v: m1-m7, f1-f5)
VARIANTS = {"m": 7, "f": 5}
_AGE_PITCH = {"child": 25, "young": 8, "adult": 0, "senior": -8}
_EMOTION = {  # (pitch offset, range)
    "anger": (6, 80),
    "joy": (8, 75),
    "surprise": (10, 85),
    "fear": (6, 60),
    "sadness": (-6, 25),
    "disgust": (-2, 45),
    "neutral": (0, 50),
}


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Engine:
    """libespeak-ng through ctypes: the catalogue (languages, sample rate) from the shared library,
    and each synthesis in a private copy loaded for that call (see the module docstring)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError:
            raise MissingDependencyError("espeakng-loader", install="pip install espeakng-loader") from None
        self._path = espeakng_loader.get_library_path()
        self._data = espeakng_loader.get_data_path().encode()
        self.lib = ctypes.CDLL(self._path)
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.sr = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, self._data, 0)
        if self.sr <= 0:
            raise BackendError(f"libespeak-ng failed to initialise with data at {self._data.decode()}")
        self.lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        self.lock = threading.Lock()
        self.languages = self._list_languages()
        self.version = Path(self._data.decode()).name
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # keep a reference: the library calls it
        self._private_dir = tempfile.TemporaryDirectory(prefix="dubkit-espeak-")  # removed at exit
        self._private = Path(self._private_dir.name) / Path(self._path).name
        shutil.copyfile(self._path, self._private)
        self._dlclose = ctypes.CDLL(None).dlclose
        self._dlclose.argtypes = [ctypes.c_void_p]

    def _collect(self, wav: Any, n: int, _events: Any) -> int:
        if n > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    def _list_languages(self) -> list[str]:
        langs: set[str] = set()
        voices = self.lib.espeak_ListVoices(None)
        i = 0
        while voices[i]:
            raw = ctypes.string_at(voices[i].contents.languages, 64)
            # a sequence of (priority byte, NUL-terminated language) pairs, ending with a 0 byte
            pos = 0
            while pos < len(raw) and raw[pos] != 0:
                end = raw.index(b"\0", pos + 1)
                langs.add(raw[pos + 1 : end].decode(errors="replace"))
                pos = end + 1
            i += 1
        return sorted(langs)

    def speak(
        self,
        text: str,
        lang: str,
        gender: int,
        rate: int,
        pitch: int,
        pitch_range: int,
        *,
        variant: int = 0,
        seed: int = 0,
    ) -> np.ndarray:
        """``text`` spoken by a fresh instance of the library (the same arguments give the same samples)."""
        with self.lock:
            lib = ctypes.CDLL(str(self._private))
            try:
                if lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, self._data, 0) <= 0:
                    raise BackendError("libespeak-ng failed to initialise")
                lib.espeak_SetSynthCallback(self._callback)
                lib.espeak_ng_SetRandSeed(ctypes.c_long(seed % 2**31))
                lang_buf = ctypes.create_string_buffer(lang.encode())
                spec = _Voice(
                    name=None,
                    languages=ctypes.cast(lang_buf, ctypes.c_void_p),
                    identifier=None,
                    gender=gender,
                    age=0,
                    variant=variant,
                )
                lib.espeak_SetVoiceByProperties.argtypes = [ctypes.POINTER(_Voice)]
                if lib.espeak_SetVoiceByProperties(ctypes.byref(spec)) != 0:
                    raise ConfigError(f"espeak cannot speak '{lang}'")
                for param, value in ((_RATE, rate), (_PITCH, pitch), (_RANGE, pitch_range), (_VOLUME, 100)):
                    lib.espeak_SetParameter(param, int(value), 0)
                self._chunks = []
                data = text.encode("utf-8") + b"\0"
                err = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
                if err != 0:
                    raise BackendError(f"espeak_Synth failed with code {err}")
                lib.espeak_Synchronize()
                pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)
            finally:
                lib.espeak_Terminate()
                self._dlclose(lib._handle)
        return (pcm.astype(np.float32) / 32768.0).astype(np.float32)


@functools.cache
def _engine() -> _Engine:
    return _Engine()


class EspeakSynthesizer(Synthesizer):
    name = "espeak"
    controls_length = True
    clones_voice = False
    controls_pitch = True
    options = (Option("gender", str, None, "male or female voice when the scene reading gives none"),)

    def __init__(self, gender: str | None = None) -> None:
        if gender is not None and gender not in _GENDER:
            raise ConfigError(f"espeak gender {gender!r} is not male or female", param="gender")
        self._gender = gender
        self._f0_at_50: dict[tuple[int, int, str], float | None] = {}

    def _base_pitch(self, gender: int, variant: int, lang: str, pitch_hz: float) -> int:
        """The pitch parameter (0-99) at which this voice's median F0 is ``pitch_hz``: espeak scales its
        base F0 by ``2 ** ((pitch - 50) / 50)`` (wavegen.c's pitch_adjust_tab), so the voice is
        measured once at 50 (RAPT on a fixed phrase) and the parameter follows."""
        from dubber.pitch import take_f0

        key = (gender, variant, lang)
        if key not in self._f0_at_50:
            audio = _engine().speak(_Nearest.PHRASE, lang, gender, NATURAL_RATE, 50, 50, variant=variant)
            self._f0_at_50[key] = take_f0(Speech(audio=audio, sr=_engine().sr))
        f0 = self._f0_at_50[key]
        if not f0 or pitch_hz <= 0:
            return 50
        return int(np.clip(round(50 + 50 * np.log2(pitch_hz / f0)), 0, 99))

    @property
    def model_id(self) -> str:
        return "espeak-ng:espeakng-loader"

    def languages(self) -> list[str]:
        return _engine().languages

    def synthesize_many(self, requests: Sequence[SynthRequest]) -> list[Speech]:
        return [self._speak(r) for r in requests]

    def assign_voices(
        self,
        genders: Mapping[str, str | None],
        given: Mapping[str, str],
        *,
        references: Mapping[str, Path] | None = None,
        lang: str = "en",
    ) -> dict[str, str | None]:
        """Each speaker's variant (see the module docstring): the given one, else among the variants of
        their gender (``m0``-``m7``, ``f0``-``f5``; 0 is espeak's own voice) the one not yet taken
        whose voice is nearest their reference clip (resemblyzer embeddings of the variant counting
        one to ten in ``lang``), else the first not taken."""
        check_voice_speakers(genders, given)
        out: dict[str, str | None] = {}
        for name, value in given.items():
            if _variant(value) is None:
                raise ConfigError(
                    f"voices: {name}={value!r} is not an espeak variant",
                    hint="espeak variants are m0-m7 (male) and f0-f5 (female)",
                    param="voices",
                )
            out[name] = value
        taken = set(out.values())
        near = _Nearest(self, lang)
        for name in sorted(genders):
            if name in out:
                continue
            letter = "f" if (genders[name] or self._gender) == "female" else "m"
            names = [f"{letter}{k}" for k in range(VARIANTS[letter] + 1)]
            free = [v for v in names if v not in taken] or names
            reference = (references or {}).get(name)
            out[name] = near.pick(free, reference) if reference is not None and len(free) > 1 else free[0]
            taken.add(out[name])
        return out

    def _speak(self, request: SynthRequest) -> Speech:
        text, lang, duration = request.text, request.lang, request.duration
        if not self.supports(lang):
            raise ConfigError(f"espeak cannot speak '{lang}'", hint="see `espeak-ng --voices` for language codes")
        style = request.conditions.style
        gender = _GENDER.get(style.gender or self._gender or "", 0)
        variant = 0
        assigned = _variant(request.speaker_voice) if request.speaker_voice else None
        if assigned is not None:
            gender, variant = assigned
        offset, pitch_range = _EMOTION.get(style.emotion or "neutral", (0, 50))
        base = 50 if request.pitch_hz is None else self._base_pitch(gender, variant, lang, request.pitch_hz)
        pitch = int(np.clip(base + offset + _AGE_PITCH.get(style.age or "adult", 0), 0, 99))
        engine = _engine()
        seed = request.seed
        audio = engine.speak(text, lang, gender, NATURAL_RATE, pitch, pitch_range, variant=variant, seed=seed)
        rate = NATURAL_RATE
        natural = len(audio) / engine.sr
        if duration is not None and duration > 0 and natural > 0:
            rate = int(np.clip(round(NATURAL_RATE * natural / duration), 80, 450))
            audio = engine.speak(text, lang, gender, rate, pitch, pitch_range, variant=variant, seed=seed)
        info = {"rate_wpm": rate, "pitch": pitch, "natural_duration": natural}
        if request.speaker_voice:
            info["voice"] = request.speaker_voice
        return Speech(audio=audio, sr=engine.sr, info=info)


def _variant(name: str | None) -> tuple[int, int] | None:
    """``(gender, variant)`` of a variant name such as ``f2``; None when it is not one."""
    if not name or len(name) < 2 or name[0] not in VARIANTS or not name[1:].isdigit():
        return None
    number = int(name[1:])
    return (_GENDER["male" if name[0] == "m" else "female"], number) if 0 <= number <= VARIANTS[name[0]] else None


class _Nearest:
    """Picks the variant whose voice is nearest a reference clip (speaker embeddings, resemblyzer)."""

    PHRASE = "1 2 3 4 5 6 7 8 9 10"  # espeak reads numbers in every language it speaks

    def __init__(self, synth: EspeakSynthesizer, lang: str) -> None:
        self.synth, self.lang = synth, lang
        self._embedded: dict[str, np.ndarray] = {}

    @functools.cached_property
    def backend(self) -> Any:
        from evaluator.metrics.speaker import ResemblyzerBackend

        return ResemblyzerBackend()

    def _embed(self, audio: np.ndarray, sr: int) -> np.ndarray:
        from evaluator.media.audio import resample

        return self.backend.embed(resample(np.asarray(audio, dtype=np.float32), sr, self.backend.sample_rate))

    def pick(self, variants: Sequence[str], reference: Path) -> str:
        from evaluator.media import read_wav
        from evaluator.metrics.speaker import cosine

        audio, sr = read_wav(reference)
        target = self._embed(audio.mean(axis=1) if audio.ndim == 2 else audio, sr)
        for v in variants:
            if v not in self._embedded:
                take = self.synth.synthesize(SynthRequest(self.PHRASE, self.lang, speaker_voice=v))
                self._embedded[v] = self._embed(take.audio, take.sr)
        return max(variants, key=lambda v: cosine(self._embedded[v], target))
