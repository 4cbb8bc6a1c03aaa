"""Decoding, resampling and writing audio.

Audio arrays are float32, mono ``(n,)`` or channels-last ``(n, c)``, at an explicit sample rate.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from evaluator.errors import MediaError
from evaluator.fileio import atomic_path
from evaluator.media.tools import binary, run


def load_audio(
    path: str | os.PathLike[str],
    sr: int,
    *,
    mono: bool = True,
    start: float | None = None,
    end: float | None = None,
    stream: int = 0,
) -> np.ndarray:
    """Decode audio stream ``stream`` of any media file to float32 at ``sr`` Hz.

    ``start``/``end`` (seconds) select a span. Returns ``(n,)`` when ``mono`` else ``(n, channels)``.
    Raises ``MediaError`` when the file is missing or has no such audio stream.
    """
    p = Path(path)
    if not p.is_file():
        raise MediaError(f"{p}: no such file", hint="check the path")
    args = [binary("ffmpeg"), "-nostdin", "-v", "error"]
    if start is not None and start > 0:
        args += ["-ss", f"{start:.6f}"]
    args += ["-i", str(p)]
    if end is not None:
        args += ["-t", f"{max(0.0, end - (start or 0.0)):.6f}"]
    args += ["-map", f"0:a:{stream}", "-vn", "-f", "f32le", "-acodec", "pcm_f32le", "-ar", str(sr)]
    if mono:
        args += ["-ac", "1"]
    try:
        proc = run([*args, "-"], what=f"decoding audio of {p}")
    except Exception as exc:  # ffmpeg says "Stream map ... matches no streams" or "Invalid data"
        raise MediaError(f"{p}: cannot decode audio stream {stream}", hint=str(exc)) from None
    audio = np.frombuffer(proc.stdout, dtype=np.float32)
    if not mono:
        channels = _channels(p, stream)
        audio = audio[: len(audio) // channels * channels].reshape(-1, channels)
    return audio.copy()


def _channels(path: Path, stream: int) -> int:
    from evaluator.media.probe import probe

    streams = probe(path).audio_streams
    return int(streams[stream].channels or 1) if stream < len(streams) else 1


def resample(audio: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Band-limited resampling (soxr, via librosa); a no-op when the rates match."""
    if sr_in == sr_out:
        return audio.astype(np.float32, copy=False)
    import librosa

    y = librosa.resample(np.asarray(audio, dtype=np.float32).T, orig_sr=sr_in, target_sr=sr_out, res_type="soxr_hq")
    return y.T.astype(np.float32, copy=False)


def write_wav(path: str | os.PathLike[str], audio: np.ndarray, sr: int, subtype: str = "PCM_16") -> None:
    """Write a WAV file atomically. Samples beyond [-1, 1] are a bug upstream: they are clipped here."""
    data = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0)
    with atomic_path(path) as tmp:
        sf.write(tmp, data, sr, subtype=subtype, format="WAV")


def read_wav(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """Read a WAV/FLAC file written by dubkit (float32, as stored)."""
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=False)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise MediaError(f"{path}: not a readable audio file ({exc})") from None
    return data, int(sr)
