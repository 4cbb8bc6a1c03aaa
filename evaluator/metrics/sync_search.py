"""When does an audio-visual offset search say something? The rule both av_sync backends apply.

An offset is reported only when the search found a sync:
- the best lag is not the edge of the search (+/-15 frames): a peak at the edge means the best
  agreement lies at or beyond the range searched, or nowhere (a flat or noisy curve peaks anywhere,
  often at an end); reporting 600 ms there would be a number the search did not measure;
- the confidence is at least the backend's floor (the offline ``mouth-envelope`` backend: 0.3,
  measured by ``benchmarks/av_sync_confidence.py``; the ``syncnet`` backend has none measured here).

Otherwise ``av_sync_offset_ms`` is skipped with the reason (and the signed lag and confidence stay in
its details); ``av_sync_conf`` is still reported, since it is the evidence.
"""

from __future__ import annotations

from typing import Any

from evaluator.metrics.spec import SkipMetric


def offset_or_skip(
    offset_frames: int,
    fps: float,
    max_lag: int,
    confidence: float,
    min_confidence: float | None,
    details: dict[str, Any],
) -> tuple[float, dict[str, Any]] | SkipMetric:
    """``(|offset| in ms, details)`` when the search found a sync, else a ``SkipMetric`` saying why."""
    if abs(offset_frames) >= max_lag:
        return SkipMetric(
            f"no sync found: the best lag is the edge of the +/-{max_lag} frame search ({offset_frames:+d} frames, "
            f"confidence {confidence:.3f})",
            details=details,
        )
    if min_confidence is not None and confidence < min_confidence:
        return SkipMetric(
            f"no usable sync signal: confidence {confidence:.3f} is under {min_confidence:g} (unrelated speech "
            "scores as much)",
            details=details,
        )
    return abs(1000.0 * offset_frames / fps), details
