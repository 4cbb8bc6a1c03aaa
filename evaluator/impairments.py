"""Controlled impairments of a clip, for metric tests and for training DubScore on known-bad dubs.

Every function is pure (arrays in, arrays out; a seed for randomness) except :func:`av_offset_video`,
which writes a new file.

>>> import numpy as np
>>> x = np.sin(np.linspace(0, 200, 16000)).astype(np.float32)
>>> round(float(np.max(np.abs(clip_audio(x, 0.5)))), 2)
0.5
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from evaluator.errors import ConfigError


def shift_audio(audio: np.ndarray, sr: int, offset_s: float) -> np.ndarray:
    """Delay (positive) or advance (negative) the audio by ``offset_s``, keeping its length (zero padded)."""
    n = int(round(abs(offset_s) * sr))
    x = np.asarray(audio, dtype=np.float32)
    if n == 0:
        return x.copy()
    pad = np.zeros(min(n, len(x)), dtype=np.float32)
    return np.concatenate([pad, x[: len(x) - len(pad)]]) if offset_s > 0 else np.concatenate([x[len(pad) :], pad])


def av_offset_video(video: str | os.PathLike[str], offset_s: float, output: str | os.PathLike[str]) -> None:
    """Write ``output``: ``video`` with its audio delayed by ``offset_s`` (negative: advanced), picture copied."""
    from evaluator.fileio import atomic_path
    from evaluator.media import load_audio, mux, probe, write_wav

    info = probe(video)
    sr = int(info.audio.sample_rate or 48000) if info.audio else 48000
    audio = shift_audio(load_audio(video, sr), sr, offset_s)
    with atomic_path(str(output) + ".wav") as tmp:
        write_wav(tmp, audio, sr)
        mux(video, [tmp], output)


def add_noise(audio: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    """Add white Gaussian noise at ``snr_db`` relative to the clip's power."""
    x = np.asarray(audio, dtype=np.float32)
    power = float(np.mean(x.astype(np.float64) ** 2))
    noise = np.random.default_rng(seed).standard_normal(len(x)) * np.sqrt(power / 10 ** (snr_db / 10))
    return (x + noise).astype(np.float32)


def time_stretch(audio: np.ndarray, sr: int, ratio: float) -> np.ndarray:
    """Change the duration by ``ratio`` (2.0 = twice as long) without changing pitch (Rubber Band)."""
    import pyrubberband

    if ratio <= 0:
        raise ConfigError(f"stretch ratio must be positive, got {ratio}")
    return pyrubberband.time_stretch(np.asarray(audio, dtype=np.float32), sr, 1.0 / ratio).astype(np.float32)


def other_speaker(audio: np.ndarray, replacement: np.ndarray) -> np.ndarray:
    """Another speaker's clip in place of ``audio``, cut or zero-padded to the same length."""
    r = np.asarray(replacement, dtype=np.float32)[: len(audio)]
    return np.pad(r, (0, len(audio) - len(r)))


def wrong_text(text: str, pool: Sequence[str], seed: int = 0) -> str:
    """A sentence from ``pool`` that is not ``text`` (the dub says something else than the script)."""
    choices = [p for p in pool if p.strip().lower() != text.strip().lower()]
    if not choices:
        raise ConfigError("wrong_text needs a pool with at least one other sentence")
    return choices[int(np.random.default_rng(seed).integers(len(choices)))]


def silence(audio: np.ndarray) -> np.ndarray:
    """All zeros, same length."""
    return np.zeros_like(np.asarray(audio, dtype=np.float32))


def clip_audio(audio: np.ndarray, ceiling: float = 0.1, gain: float = 1.0) -> np.ndarray:
    """Hard clipping: amplify by ``gain`` and cut at +/-``ceiling`` (full scale is 1)."""
    return np.clip(np.asarray(audio, dtype=np.float32) * gain, -ceiling, ceiling)


IMPAIRMENTS = {
    "av_offset": shift_audio,
    "other_speaker": other_speaker,
    "noise": add_noise,
    "time_stretch": time_stretch,
    "wrong_text": wrong_text,
    "silence": silence,
    "clipping": clip_audio,
}
