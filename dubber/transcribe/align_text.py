"""A user's unaligned transcript, aligned onto the utterances the VAD and the diarizer found.

How, in order:

1. The transcript (UTF-8 plain text; ``NAME:`` prefixes at line starts are dropped: the speakers
   come from the diarizer) is cut into sentences at ``. ! ? …`` and ``。！？।``. When there are fewer
   sentences than utterances, it is cut at clauses instead (also at ``, ; :`` and ``，、；：``).
2. Units go to utterances in order, each utterance taking a run of consecutive units (possibly
   none) whose length in characters (spaces not counted), at the transcript's average rate of
   seconds per character, best matches the utterance's duration: the assignment that minimises
   the sum of squared log ratios of predicted to actual duration (dynamic programming). An
   utterance with speech and no text is predicted at 50 ms, a heavy cost, so every utterance gets
   text when there are enough units. Utterances that still receive nothing stay empty (warned).
3. For English, each utterance's text is force-aligned by pocketsphinx for word timings; an
   utterance whose words the dictionary lacks, or whose audio does not fit its text, keeps its text
   without word timings (warned with a count: the sign of a unit given to the wrong utterance).

The match assumes an even speaking rate per character: a long pause inside one utterance, a much
faster speaker, or scripts with very different seconds per character (kana against Latin letters)
can move a unit across a boundary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evaluator.asr import TimedTranscript
from evaluator.errors import ScriptError
from evaluator.script import split_speaker

PROPORTIONAL_ID = "dubkit-transcript-dp-v1 (sentences matched to utterance durations by character length)"
MAX_UNITS = 8
EMPTY_S = 0.05
_SENTENCE = re.compile(r"[^.!?…。！？।]*[.!?…。！？।]+[\"'”’»)\]]*|[^.!?…。！？।]+$")
_CLAUSE = re.compile(r"[^.!?…。！？।,;:，、；：]*[.!?…。！？।,;:，、；：]+[\"'”’»)\]]*|[^.!?…。！？।,;:，、；：]+$")


def read_transcript(path: Path) -> str:
    """The transcript's text, one space between lines, speaker prefixes dropped."""
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScriptError(str(path), ["not UTF-8 text: re-save it as UTF-8"]) from None
    except OSError as exc:
        raise ScriptError(str(path), [f"cannot read the transcript ({exc.strerror})"]) from None
    lines = [split_speaker(line)[1] for line in raw.splitlines()]
    text = " ".join(line for line in lines if line)
    if not text.strip():
        raise ScriptError(str(path), ["the transcript is empty"])
    return text


def split_units(text: str, pattern: re.Pattern[str] = _SENTENCE) -> list[str]:
    """``text`` cut into sentences (or clauses, with ``_CLAUSE``).

    >>> split_units("Hello world. Bonjour le monde! 你好。再见")
    ['Hello world.', 'Bonjour le monde!', '你好。', '再见']
    """
    return [u.strip() for u in pattern.findall(text) if u.strip()]


def distribute(units: Sequence[str], durations: Sequence[float], *, max_units: int = MAX_UNITS) -> list[str]:
    """Each utterance's text: consecutive units per utterance, lengths matched to durations (module docstring).

    Dynamic programming over (units placed, utterances filled): utterance ``j`` taking ``k`` units
    (0 to ``max_units``) costs ``log(predicted / duration_j)²``, the predicted duration being the
    units' characters times the whole transcript's seconds per character (at least ``EMPTY_S``);
    the assignment with the least total cost wins.
    """
    n, m = len(units), len(durations)
    if n == 0 or m == 0:
        return ["" for _ in durations]
    chars = np.array([len(re.sub(r"\s+", "", u)) for u in units], dtype=float)
    dur = np.asarray(durations, dtype=float)
    rate = dur.sum() / max(chars.sum(), 1.0)  # seconds per character
    prefix = np.concatenate([[0.0], np.cumsum(chars)])
    cost = np.full((n + 1, m + 1), np.inf)
    back = np.zeros((n + 1, m + 1), dtype=int)
    cost[0, 0] = 0.0
    for j in range(1, m + 1):
        for i in range(0, n + 1):
            ks = np.arange(0, min(max_units, i) + 1)
            prev = cost[i - ks, j - 1]
            if not np.isfinite(prev).any():
                continue
            predicted = np.maximum((prefix[i] - prefix[i - ks]) * rate, EMPTY_S)
            total = prev + np.log(predicted / max(dur[j - 1], EMPTY_S)) ** 2
            best = int(np.argmin(total))
            cost[i, j], back[i, j] = total[best], ks[best]
    if not np.isfinite(cost[n, m]):  # more units than max_units per utterance can hold: widen
        return distribute(units, durations, max_units=max_units * 2)
    out, i = [], n
    for j in range(m, 0, -1):
        k = back[i, j]
        out.append(" ".join(units[i - k : i]))
        i -= k
    return out[::-1]


def align_transcript(
    audio: np.ndarray, sr: int, spans: Sequence[tuple[float, float]], path: Path, lang: str
) -> tuple[list[TimedTranscript], str, list[str]]:
    """Texts (with word timings for English) of the utterance ``spans`` from the transcript at ``path``;
    the aligner id and warnings."""
    text = read_transcript(path)
    units = split_units(text)
    if len(units) < len(spans):
        units = split_units(text, _CLAUSE)
    texts = distribute(units, [e - s for s, e in spans])
    warnings = []
    empty = sum(1 for t in texts if not t)
    if empty:
        warnings.append(f"{empty} of {len(spans)} utterance(s) got no text from the transcript ({len(units)} units)")
    if lang.split("-")[0].lower() != "en":
        return [TimedTranscript(t) for t in texts], PROPORTIONAL_ID, warnings
    from evaluator.asr.sphinx import PocketSphinxASR

    asr = PocketSphinxASR()
    out, failed = [], 0
    for (start, end), t in zip(spans, texts, strict=True):
        aligned = asr.align(audio[int(start * sr) : int(end * sr)], t) if t else None
        if t and aligned is None:
            failed += 1
        out.append(aligned or TimedTranscript(t))
    if failed:
        warnings.append(
            f"pocketsphinx could not align {failed} utterance(s) with their transcript text (no word timings there)"
        )
    return out, f"{PROPORTIONAL_ID} + {asr.aligner_id}", warnings
