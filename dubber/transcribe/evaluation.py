"""Scoring a transcript against ground-truth turns: DER, segment boundary error and WER.

- **DER** (diarization error rate): pyannote.metrics' ``DiarizationErrorRate`` (missed speech +
  false alarm + speaker confusion, over the reference speech time, with the optimal one-to-one
  mapping of hypothesis to reference speakers). ``collar`` is the total width forgiven around each
  reference boundary (0.5 = ±250 ms, NIST's usual); 0 forgives nothing. The scored region is the
  whole source (0 to its duration).
- **Boundary error**: reference turns and hypothesis utterances are matched one-to-one by maximum
  overlap (Hungarian assignment over overlap durations; pairs that do not overlap stay unmatched);
  the mean absolute start and end differences of the matched pairs, in ms.
- **WER** (jiwer): over the reference turns that have text in the language asked (English for
  pocketsphinx), against the words of the hypothesis whose midpoints fall inside the turn (the
  utterance texts of overlapping utterances when there are no word timings). Text is compared in
  lower case without punctuation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from dubber.transcribe.conversation import Turn
from dubber.transcribe.types import Transcript
from evaluator.errors import MissingDependencyError


@dataclass(frozen=True)
class TranscriptScores:
    der: float
    der_collar: float
    collar_s: float
    missed: float
    false_alarm: float
    confusion: float
    boundary_start_ms: float | None
    boundary_end_ms: float | None
    matched: int
    reference_turns: int
    hypothesis_utterances: int
    speakers_reference: int
    speakers_hypothesis: int
    wer: float | None
    wer_words: int

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def _annotation(spans: Sequence[tuple[float, float, str]]):  # noqa: ANN202 - pyannote.core.Annotation
    from pyannote.core import Annotation, Segment

    ann = Annotation()
    for i, (s, e, who) in enumerate(spans):
        if e > s:
            ann[Segment(s, e), i] = who
    return ann


def diarization_error(turns: Sequence[Turn], transcript: Transcript, collar: float = 0.0) -> dict[str, float]:
    """DER and its parts (seconds) with ``collar`` (total width, seconds)."""
    try:
        from pyannote.core import Segment, Timeline
        from pyannote.metrics.diarization import DiarizationErrorRate
    except ImportError:
        raise MissingDependencyError("pyannote.metrics", extra="eval") from None
    ref = _annotation([(t.start, t.end, t.speaker) for t in turns])
    hyp = _annotation([(u.start, u.end, u.speaker) for u in transcript.utterances])
    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    parts = metric(ref, hyp, uem=Timeline([Segment(0.0, transcript.duration)]), detailed=True)
    total = parts["total"]
    return {
        "der": float(parts["diarization error rate"]),
        "missed": float(parts["missed detection"] / total),
        "false_alarm": float(parts["false alarm"] / total),
        "confusion": float(parts["confusion"] / total),
    }


def boundary_error(turns: Sequence[Turn], transcript: Transcript) -> tuple[float | None, float | None, int]:
    """Mean absolute start and end error (ms) of one-to-one matched turns/utterances, and the match count."""
    from scipy.optimize import linear_sum_assignment

    hyp = transcript.utterances
    if not turns or not hyp:
        return None, None, 0
    overlap = np.array([[max(0.0, min(t.end, u.end) - max(t.start, u.start)) for u in hyp] for t in turns])
    rows, cols = linear_sum_assignment(-overlap)
    pairs = [(turns[r], hyp[c]) for r, c in zip(rows, cols, strict=True) if overlap[r, c] > 0]
    if not pairs:
        return None, None, 0
    start = float(np.mean([abs(t.start - u.start) for t, u in pairs]) * 1000)
    end = float(np.mean([abs(t.end - u.end) for t, u in pairs]) * 1000)
    return start, end, len(pairs)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def hypothesis_text(turn: Turn, transcript: Transcript) -> str:
    """What the transcript says inside ``turn`` (words by midpoint; else overlapping utterances' text)."""
    out = []
    for u in transcript.utterances:
        if u.words:
            out += [w.text for w in u.words if turn.start <= (w.start + w.end) / 2 <= turn.end]
        elif min(turn.end, u.end) > max(turn.start, u.start):
            out.append(u.text)
    return " ".join(out)


def word_error_rate(turns: Sequence[Turn], transcript: Transcript, lang: str = "en") -> tuple[float | None, int]:
    """Corpus WER over the turns with text in ``lang``, and the number of reference words."""
    import jiwer

    scored = [t for t in turns if t.text and t.lang == lang]
    refs = [_norm(t.text or "") for t in scored]
    hyps = [_norm(hypothesis_text(t, transcript)) for t in scored]
    if not scored:
        return None, 0
    return float(jiwer.wer(refs, hyps)), sum(len(r.split()) for r in refs)


def score_transcript(
    turns: Sequence[Turn], transcript: Transcript, *, collar: float = 0.5, wer_lang: str = "en"
) -> TranscriptScores:
    """All the figures at once (DER at collar 0 and at ``collar``)."""
    strict = diarization_error(turns, transcript, 0.0)
    forgiving = diarization_error(turns, transcript, collar)
    start, end, matched = boundary_error(turns, transcript)
    wer, words = word_error_rate(turns, transcript, wer_lang)
    return TranscriptScores(
        der=strict["der"],
        der_collar=forgiving["der"],
        collar_s=collar,
        missed=strict["missed"],
        false_alarm=strict["false_alarm"],
        confusion=strict["confusion"],
        boundary_start_ms=start,
        boundary_end_ms=end,
        matched=matched,
        reference_turns=len(turns),
        hypothesis_utterances=len(transcript.utterances),
        speakers_reference=len({t.speaker for t in turns}),
        speakers_hypothesis=len(transcript.speakers),
        wer=wer,
        wer_words=words,
    )
