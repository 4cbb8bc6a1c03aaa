"""Media I/O shared by every package: probe, decode audio and frames, write audio, mux."""

from evaluator.media.audio import load_audio, read_wav, resample, write_wav
from evaluator.media.frames import iter_frames, read_frames
from evaluator.media.mux import mux
from evaluator.media.probe import MediaInfo, StreamInfo, probe

__all__ = [
    "MediaInfo",
    "StreamInfo",
    "iter_frames",
    "load_audio",
    "mux",
    "probe",
    "read_frames",
    "read_wav",
    "resample",
    "write_wav",
]
