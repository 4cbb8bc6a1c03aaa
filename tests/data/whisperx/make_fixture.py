"""Write whisperx_3.8.6_diarized.json with whisperx's own code (see README.md beside this file).

Run in whisperx's own environment: ``wx/bin/python make_fixture.py K12.wav W2V2_DIR OUT_DIR`` (OUT_DIR must exist).
"""

from __future__ import annotations

import sys

import pandas as pd
from whisperx.alignment import align, load_align_model
from whisperx.audio import load_audio
from whisperx.diarize import assign_word_speakers
from whisperx.utils import get_writer

SEGMENTS = [
    {"start": 0.5, "end": 1.3, "text": " Hello world."},
    {"start": 2.28, "end": 3.32, "text": " Bonjour le monde."},
    {"start": 4.48, "end": 7.02, "text": " The quick brown fox jumps over the lazy dog. It was 10 past 9."},
]
TURNS = [(0.5, 1.3, "SPEAKER_01"), (2.28, 3.32, "SPEAKER_00"), (4.48, 7.02, "SPEAKER_01")]


def main(wav: str, align_dir: str, out_dir: str) -> None:
    audio = load_audio(wav)
    model, meta = load_align_model("en", "cpu", model_name=align_dir, model_cache_only=True)
    result = align(SEGMENTS, model, meta, audio, "cpu", interpolate_method="nearest", return_char_alignments=False)
    diarized = pd.DataFrame([{"start": s, "end": e, "speaker": who} for s, e, who in TURNS])
    result = assign_word_speakers(diarized, result)
    result["language"] = "en"  # as whisperx's transcribe_task does before writing
    options = {"highlight_words": False, "max_line_count": None, "max_line_width": None}
    get_writer("json", out_dir)(result, "whisperx_diarized.wav", options)


if __name__ == "__main__":
    main(*sys.argv[1:4])
