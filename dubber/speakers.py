"""Speakers: picking each speaker's reference clip from the original audio.

For every speaker, the cues they speak alone (no other speaker's cue overlapping) are cut from
the original audio, trimmed to speech with silero-vad, and joined (longest first) into a clip of
3-10 s. The clip is what cloning backends imitate and what ``--match-pitch`` aims at.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from evaluator.encoders.voice import VoiceActivity
from evaluator.project import REFERENCE_MAX_S, REFERENCE_MIN_S
from evaluator.script import Cue

log = logging.getLogger(__name__)


@functools.cache
def _vad() -> VoiceActivity:
    """The silero-vad wrapper of the evaluator, loaded once per process."""
    return VoiceActivity(min_silence_s=0.15)


def median_f0(audio: np.ndarray, sr: int) -> float | None:
    """Median F0 (Hz) of recorded speech over its voiced frames (WORLD Harvest, 60-500 Hz at 16 kHz,
    10 ms hops, as ``evaluator.encoders.voice`` measures voices), or None when nothing is voiced.
    Harvest because a reference clip carries the episode's music and effects: on the demo's
    references (espeak voices over a chord bed) it read 217 and 97 Hz where DIO voiced 6% of ANNA's
    frames, RAPT read her 106 Hz (an octave down) and SWIPE read BEN 231 Hz (the chords)."""
    import pyworld

    from evaluator.media.audio import resample

    if len(audio) < sr // 10:
        return None
    x = resample(np.asarray(audio, dtype=np.float32), sr, 16000).astype(np.float64)
    f0, _ = pyworld.harvest(x, 16000, f0_floor=60.0, f0_ceil=500.0, frame_period=10.0)
    voiced = f0[f0 > 0]
    return float(np.median(voiced)) if len(voiced) >= 5 else None


@dataclass(frozen=True)
class ReferenceClip:
    audio: np.ndarray  # mono float32 at ``sr``
    sr: int
    segments: list[tuple[float, float]]  # spans of the original audio used, seconds
    cues: list[int]  # the cues whose speech makes up the clip, in clip order
    median_f0: float | None
    note: str | None = None

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sr


def solo_cues(cues: Sequence[Cue], speaker: str) -> list[Cue]:
    """The speaker's cues that no other speaker's cue overlaps."""
    own = [c for c in cues if c.speaker == speaker]
    others = [c for c in cues if c.speaker != speaker]
    return [c for c in own if not any(o.start < c.end and c.start < o.end for o in others)]


#: read(spans) -> the original audio of each (start, end) span in seconds, mono, lazily in order
SpanReader = Callable[[Sequence[tuple[float, float]]], Iterator[np.ndarray]]


def array_reader(audio: np.ndarray, sr: int) -> SpanReader:
    """A :data:`SpanReader` over audio already in memory (mono at ``sr``)."""
    return lambda spans: (audio[int(s * sr) : int(e * sr)] for s, e in spans)


def pick_reference(read: SpanReader, sr: int, cues: Sequence[Cue], speaker: str) -> ReferenceClip | None:
    """Build the speaker's 3-10 s reference clip from the original audio, which ``read`` gives span by
    span (mono at ``sr``), or None when the speaker has no audible speech. A clip shorter than 3 s is
    kept with a note.

    Whole cues are taken (from their first to their last voiced sample), longest first, so the
    clip's transcript is exactly the text of the cues it lists. Only the cues tried are read.
    """
    candidates = sorted(solo_cues(cues, speaker), key=lambda c: c.duration, reverse=True)
    if not candidates:
        candidates = sorted((c for c in cues if c.speaker == speaker), key=lambda c: c.duration, reverse=True)
    pieces: list[np.ndarray] = []
    segments: list[tuple[float, float]] = []
    used: list[int] = []
    total = 0.0
    gap = np.zeros(int(0.15 * sr), dtype=np.float32)
    candidates = [c for c in candidates if c.duration >= 0.1]
    for cue, audio in zip(candidates, read([(c.start, c.end) for c in candidates]), strict=False):
        if len(audio) < sr // 10:
            continue
        spans = _vad().segments(audio, sr)
        if not spans:
            continue
        s, e = spans[0][0], spans[-1][1]
        if total + (e - s) > REFERENCE_MAX_S:
            continue
        pieces += [audio[int(s * sr) : int(e * sr)], gap]
        segments.append((round(cue.start + s, 3), round(cue.start + e, 3)))
        used.append(cue.index)
        total += e - s
        if total >= REFERENCE_MIN_S + 3.0:
            break
    if not pieces:
        return None
    audio = np.concatenate(pieces[:-1]).astype(np.float32)
    note = None
    if total < REFERENCE_MIN_S:
        note = f"only {total:.1f} s of speech found (3-10 s wanted); cloning quality may suffer"
    return ReferenceClip(audio=audio, sr=sr, segments=segments, cues=used, median_f0=median_f0(audio, sr), note=note)
