"""Speech segments of an episode (silero-vad) and the rules that turn them into utterances.

The rules, in order:

1. Speech is where silero-vad's speech probability passes ``threshold`` (0.5); bursts shorter than
   ``min_speech_s`` (0.25 s) are dropped; a pause of ``min_silence_s`` (0.25 s) or longer ends a
   segment, so a turn change with a quarter-second gap already splits; silero pads each segment by
   ``speech_pad_s`` (30 ms) on both sides.
2. A segment longer than ``max_speech_s`` (12 s) is split at its last pause of 98 ms or more
   before the limit (silero's own rule), else cut at the limit: a cue stays short enough to time a
   dub line, and one speaker embedding never spans minutes.
3. After the speakers are known (``diarize``), neighbouring segments of the same speaker whose gap
   is at most ``join_gap_s`` (0.6 s) become one utterance, unless the joined utterance would be
   longer than ``max_speech_s``: a speaker's breath pause does not split a line, a turn change does.

Turn changes without any pause (or overlapping speech) are not split: a VAD cannot see them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from evaluator.encoders.voice import VoiceActivity

Span = tuple[float, float]


@dataclass(frozen=True)
class SegmentRules:
    threshold: float = 0.5
    min_speech_s: float = 0.25
    min_silence_s: float = 0.25
    max_speech_s: float = 12.0
    speech_pad_s: float = 0.03
    join_gap_s: float = 0.6

    def voice_activity(self) -> VoiceActivity:
        return VoiceActivity(
            threshold=self.threshold,
            min_speech_s=self.min_speech_s,
            min_silence_s=self.min_silence_s,
            max_speech_s=self.max_speech_s,
            speech_pad_s=self.speech_pad_s,
        )

    def to_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def detect_speech(
    audio: np.ndarray,
    sr: int,
    vad: VoiceActivity,
    *,
    progress: Callable[[float], None] | None = None,
) -> list[Span]:
    """Speech segments (rules 1 and 2) of mono ``audio``; ``progress`` gets the percentage scanned."""
    return [(float(s), float(e)) for s, e in vad.segments(audio, sr, progress=progress) if e > s]


@dataclass(frozen=True)
class Group:
    """Consecutive segments of one speaker joined into one utterance (rule 3)."""

    start: float
    end: float
    label: int
    parts: tuple[Span, ...]


def join_same_speaker(segments: Sequence[Span], labels: Sequence[int], rules: SegmentRules) -> list[Group]:
    """Join neighbouring segments of the same speaker (rule 3). ``segments`` in time order."""
    groups: list[Group] = []
    for (start, end), label in zip(segments, labels, strict=True):
        last = groups[-1] if groups else None
        if (
            last is not None
            and last.label == label
            and start - last.end <= rules.join_gap_s
            and end - last.start <= rules.max_speech_s
        ):
            groups[-1] = Group(last.start, end, label, (*last.parts, (start, end)))
        else:
            groups.append(Group(start, end, int(label), ((start, end),)))
    return groups
