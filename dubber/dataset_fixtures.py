"""Small MELD and M2H2 trees in the real formats, built offline, with every quirk the readers handle.

The lines are our own (no dataset text). Speech is espeak-ng (English for MELD, Hindi for M2H2)
over matplotlib's sample photo; folder and column names come from the readers
(:mod:`evaluator.datasets.meld`, :mod:`evaluator.datasets.m2h2`), so the fixtures follow them.
Used by the reader tests and by the ``--smoke`` mode of the MELD and M2H2 examples.

MELD (``dev``: 8 rows, ``train`` and ``test``: 1 each; CRLF line ends like the real CSVs):
both time formats, a 2-digit fraction, typographic quotes, UTF-8-read-as-Windows-1252 mojibake,
Windows-1252 C1 control characters (text and speaker), the speaker ``All`` and a pair
(``Maya and Theo``), a line cut mid-sentence, overlapping times, a missing clip, a gap in
``Sr No.``, and two bad rows (a time that is no time, an end before the start).

M2H2 (``Ep-22.tsv``, two scenes): ``2a``/``2b`` ids, ``Name,uK``/``Name,u-``/``u-b`` speakers, a
reply to another scene, a reply to an id the episode lacks, a reply to itself, a blank separator
row, times with and without a fraction, End_time as a duration, an unknown label, audio only,
video only, neither, and two bad rows (a time that is no time, a zero duration).
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import numpy as np

from evaluator.datasets import m2h2, meld
from evaluator.fileio import atomic_path, write_text
from evaluator.media.audio import write_wav
from evaluator.media.tools import binary, run

#: MELD rows per split: (Sr No., Utterance, Speaker, Emotion, Sentiment, Dialogue_ID, Utterance_ID,
#: Season, Episode, StartTime, EndTime, has a clip)
MELD_ROWS: dict[str, list[tuple]] = {
    "train": [(1, "Morning, everyone.", "Maya\x92s Boss", "neutral", "neutral", 0, 0, 1, 1,
               "00:01:00,000", "00:01:02,500", True)],
    "dev": [
        (1, "Oh wow, she’s really here.", "Maya", "joy", "positive", 0, 0, 2, 5,
         "00:20:57,256", "00:21:00,049", True),
        (2, "Iâ€™m not sure thatâ€™s right.", "Theo", "surprise", "negative", 0, 1, 2, 5,
         "0:21:01,927", "0:21:03,261", True),
        (3, "Hey!", "All", "joy", "positive", 0, 2, 2, 5, "0:21:03,000", "0:21:04,100", True),
        (4, "So what I was trying to say is", "Maya", "neutral", "neutral", 0, 3, 2, 5,
         "00:21:04,300", "00:21:06,800", False),
        (5, "Wait\x85 what\x97no, it\x92s fine.", "Theo", "anger", "negative", 1, 0, 3, 9,
         "00:06:45,489", "00:06:47,28", True),
        (6, '"Closed." That’s what the  sign says.', "Maya and Theo", "sadness", "negative", 1, 1, 3, 9,
         "00:06:48,000", "00:06:51,500", True),
        (8, "Bad time", "Theo", "neutral", "neutral", 1, 2, 3, 9, "00:06:5x,000", "00:06:53,000", False),
        (9, "Backwards", "Theo", "neutral", "neutral", 1, 3, 3, 9, "00:06:58,000", "00:06:55,000", False),
    ],
    "test": [(1, "Right, see you tomorrow.", "Theo", "neutral", "neutral", 0, 0, 1, 1,
              "0:00:10,000", "0:00:12,000", True)],
}  # fmt: skip
#: M2H2 episode 22: (Scenes, Sl. No., Start_time, End_time, Utterance, Label, Speaker, media);
#: None is the blank separator row; media is "av" (audio and video), "a", "v" or "".
M2H2_EPISODE = 22
M2H2_ROWS: list[tuple | None] = [
    ("Scene_1", "1", "0:00:02.500000", "0:00:01.800000", "नमस्ते, आप कैसे हैं?", "non-humor", "Asha,u-", "av"),
    ("Scene_1", "2a", "0:00:04.400000", "0:00:00.600000", "अरे!", "humor", "Ravi,u1", "a"),
    ("Scene_1", "2b", "0:00:05.050000", "0:00:00.950000", "क्या हुआ?", "non-humor", "Asha,u2a", "v"),
    ("Scene_1", "3", "0:00:06", "0:00:02", "मैं ठीक हूँ, धन्यवाद।", "humor", "Ravi,u2b", ""),
    None,
    ("Scene_2", "4", "0:00:10.000000", "0:00:01.500000", "चलो बाज़ार चलते हैं।", "non-humor", "Mother in law,u3", "av"),
    ("Scene_2", "5", "0:00:11.000000", "0:00:01.200000", "अभी  नहीं।", "humor", "Asha,u4ab", "a"),
    ("Scene_2", "6", "0:00:1x.000000", "0:00:01", "गलत समय", "non-humor", "Ravi,u5", ""),
    ("Scene_2", "7", "0:00:14.000000", "0:00:00", "शून्य", "non-humor", "Ravi,u5", ""),
    ("Scene_2", "8", "0:00:15.000000", "0:00:01.000000", "ठीक है।", "funny", "Ravi,u8", "av"),
    ("Scene_2", "9", "0:00:17", "0:00:01.5", "हम सब चलेंगे!", "humor", "All,u-b", "v"),
]
_GENDER = {"Maya": "female", "Asha": "female", "Mother in law": "female"}


def build_meld_fixture(root: str | Path, *, width: int = 160) -> Path:
    """Write a MELD tree (CSVs in ``root``, clip folders beside them) and return ``root``."""
    root = Path(root)
    speak = _Speaker()
    for split, rows in MELD_ROWS.items():
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(meld.COLUMNS)
        for *cells, has_clip in rows:
            writer.writerow(cells)
            if has_clip:
                dialogue, utterance, speaker, text = cells[5], cells[6], cells[2], cells[1]
                clip = root / meld.CLIP_DIRS[split] / meld.clip_name(dialogue, utterance)
                _clip(clip, speak(text, "en", speaker), width)
        write_text(root / meld.csv_name(split), buf.getvalue())
    return root


def build_m2h2_fixture(root: str | Path, *, width: int = 160) -> Path:
    """Write an M2H2 tree (``Raw-Text``, ``Raw-Audio``, ``Raw-Visual`` in ``root``) and return ``root``."""
    root = Path(root)
    speak = _Speaker()
    lines = ["\t".join(m2h2.COLUMNS)]
    for row in M2H2_ROWS:
        if row is None:
            lines.append("\t" * (len(m2h2.COLUMNS) - 1))
            continue
        *cells, media = row
        lines.append("\t".join(cells))
        scene, turn, text, speaker = cells[0], cells[1], cells[4], cells[6].rpartition(",")[0]
        folder = Path(str(M2H2_EPISODE), scene)
        if media:
            speech = speak(text, "hi", speaker)
            if "a" in media:
                write_wav(root / m2h2.AUDIO_DIRS[0] / folder / f"{turn}.wav", *speech)
            if "v" in media:
                _clip(root / m2h2.VIDEO_DIRS[0] / folder / f"{turn}.mp4", speech, width)
    write_text(root / m2h2.TEXT_DIRS[0] / m2h2.episode_file(M2H2_EPISODE), "\n".join(lines) + "\n")
    return root


class _Speaker:
    """espeak-ng speech of a line, a female or male voice by speaker."""

    def __init__(self) -> None:
        from dubber.synth.espeak import EspeakSynthesizer

        self.voices = {gender: EspeakSynthesizer(gender=gender) for gender in ("female", "male")}

    def __call__(self, text: str, lang: str, speaker: str) -> tuple[np.ndarray, int]:
        from dubber.synth import SynthRequest

        speech = self.voices[_GENDER.get(speaker, "male")].synthesize(SynthRequest(text, lang))
        return speech.audio * 0.5, speech.sr


def _clip(path: Path, speech: tuple[np.ndarray, int], width: int) -> None:
    """An mp4 of the sample photo with ``speech`` as its sound, as long as the speech."""
    from dubber.demo import photo_path

    audio, sr = speech
    height = int(round(width * 1.2 / 2)) * 2
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        write_wav(wav, audio, sr)
        with atomic_path(path) as out:
            run(
                [binary("ffmpeg"), "-nostdin", "-v", "error", "-y", "-loop", "1", "-framerate", "10",
                 "-i", str(photo_path()), "-i", str(wav), "-vf", f"scale={width}:{height},format=yuv420p",
                 "-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage", "-c:a", "aac", "-b:a", "64k",
                 "-shortest", str(out)],
                what=f"building the fixture clip {path.name}",
            )  # fmt: skip
