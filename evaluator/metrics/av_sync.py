"""``av_sync_offset_ms`` and ``av_sync_conf``: does the speech line up with the mouth on screen?

Offline backend ``mouth-envelope``: the per-frame mouth opening of the largest face (dlib 68-point
landmarks, :mod:`evaluator.encoders.face`) is correlated with the speech envelope (RMS per video
frame) at every lag within +/-15 frames at 25 fps, the syncnet_python search range. The lag with the
highest Pearson correlation is the offset (positive: the audio comes late); the confidence is that
peak minus the median over all lags, in the spirit of SyncNet's LSE-C (median minus minimum distance).
A clip with no face in most frames, a mouth that barely moves (``MIN_MOUTH_SPREAD``), or a clip
shorter than one second, is skipped with the reason; so is the offset (not the confidence) when the
search found no sync: its peak at the edge of the search, or a confidence under ``MIN_CONFIDENCE``
(:mod:`evaluator.metrics.sync_search`).

Paper backend ``syncnet``: SyncNet's LSE-D and LSE-C with the syncnet_python conventions
(:mod:`evaluator.metrics.syncnet`), given its weights (``--metric-option syncnet_model=PATH``). It also
fills ``lse_d``, which the offline backend skips.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from evaluator.metrics.base import MetricBackend, MetricFamily
from evaluator.metrics.item import ScoreItem
from evaluator.metrics.spec import SkipMetric
from evaluator.metrics.sync_search import offset_or_skip
from evaluator.metrics.syncnet import SyncNetBackend

FPS = 25.0
MAX_LAG = 15
AUDIO_SR = 16000
MIN_FACE_COVERAGE = 0.5
#: a mouth whose opening spreads less than this (p5 to p95, in face heights) gives no sync signal: both metrics are
#: skipped. benchmarks/av_sync_confidence.py: a still photo 0.000-0.010 (compression jitter of the landmarks), the
#: demo episode's still photo 0.011, the talking faces made here 0.07-0.11; a speaking mouth opens several hundredths
#: of the face height (not measured on real footage here).
MIN_MOUTH_SPREAD = 0.02
#: the offset is reported only at this confidence or more (see :mod:`evaluator.metrics.sync_search`).
#: benchmarks/av_sync_confidence.py, four runs on talking-face clips made here (1.8-5.9 s): every in-sync or
#: shifted clip scored 0.34 or more (minimum per run 0.34-0.44; the offset was right in all of them), while
#: unrelated speech against a moving mouth, and a still face against speech, scored under 0.3 in 74-78% of
#: pairs (medians 0.20-0.23). A floor, not a guarantee: about a quarter of unrelated pairs still pass it,
#: and real faces' mouth tracks are noisier than these (not measured here: no real talking-face footage).
MIN_CONFIDENCE = 0.3
ANALYSIS_WIDTH = 320


@dataclass
class SyncResult:
    offset_frames: int
    offset_ms: float
    confidence: float
    correlations: np.ndarray  # (2 * max_lag + 1,), lags -max_lag..max_lag


def speech_envelope(audio: np.ndarray, sr: int, n_frames: int, fps: float = FPS) -> np.ndarray:
    """RMS level (dB) of ``audio`` in each video frame's window ``(n_frames,)``."""
    hop = sr / fps
    out = np.full(n_frames, -100.0)
    for i in range(n_frames):
        seg = audio[int(round(i * hop)) : int(round((i + 1) * hop))]
        if len(seg):
            out[i] = 20.0 * np.log10(max(float(np.sqrt(np.mean(seg.astype(np.float64) ** 2))), 1e-5))
    return out


def _fill_gaps(x: np.ndarray) -> np.ndarray:
    ok = np.isfinite(x)
    idx = np.arange(len(x))
    return np.interp(idx, idx[ok], x[ok]) if ok.any() else np.zeros_like(x)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def sync_offset(mouth: np.ndarray, envelope: np.ndarray, fps: float = FPS, max_lag: int = MAX_LAG) -> SyncResult:
    """The lag (frames) at which ``envelope`` best follows ``mouth``; positive means the audio is late."""
    m = _fill_gaps(np.asarray(mouth, dtype=np.float64))
    e = np.asarray(envelope, dtype=np.float64)
    n = min(len(m), len(e))
    m, e = m[:n], e[:n]
    lags = range(-max_lag, max_lag + 1)
    corrs = np.array([_corr(m[max(0, -k) : n - max(0, k)], e[max(0, k) : n - max(0, -k)]) for k in lags])
    best = int(np.argmax(corrs))
    lag = best - max_lag
    return SyncResult(lag, 1000.0 * lag / fps, float(corrs[best] - np.median(corrs)), corrs)


class MouthEnvelopeBackend(MetricBackend):
    name = "mouth-envelope"
    offline = True
    sample_rate = AUDIO_SR
    #: frames are decoded at most this wide for the landmark detector
    analysis_width = ANALYSIS_WIDTH
    min_frames = 2 * MAX_LAG + 3
    provides = ("av_sync_offset_ms", "av_sync_conf")

    def __init__(self, detector: str = "dlib", detect_every: int = 5) -> None:
        self.detector = detector
        self.detect_every = max(1, int(detect_every))

    @property
    def model_id(self) -> str:  # type: ignore[override]
        from evaluator.encoders.face import MOUTH_OPENING_ID

        return f"{MOUTH_OPENING_ID} x speech-rms, +/-{MAX_LAG} frames at {FPS:g} fps"

    def describe_model(self) -> str:
        return self.model_id

    @cached_property
    def analyzer(self) -> Any:
        from evaluator.encoders.face import FaceAnalyzer

        return FaceAnalyzer(self.detector)

    def mouth_track(self, frames: np.ndarray) -> np.ndarray:
        """Mouth opening per frame (NaN without a face); the detector runs every ``detect_every`` frames."""
        from evaluator.encoders.face import mouth_opening

        out = np.full(len(frames), np.nan)
        box = None
        for i, frame in enumerate(frames):
            if box is None or i % self.detect_every == 0:
                boxes = self.analyzer.detect(frame)
                box = boxes[0] if boxes else None
            if box is not None:
                out[i] = mouth_opening(self.analyzer.landmarks(frame, box))
        return out

    def load(self) -> None:
        """Load the face models now (the family calls this before decoding any video)."""
        self.analyzer.load_landmarks()

    def measure(self, frames: np.ndarray, audio16k: np.ndarray, names: list[str]) -> dict[str, Any]:
        """The av_sync metrics of RGB frames at 25 fps and their 16 kHz audio."""
        mouth = self.mouth_track(frames)
        coverage = float(np.isfinite(mouth).mean())
        if coverage < MIN_FACE_COVERAGE:
            raise SkipMetric(f"a face was found in {coverage:.0%} of the frames only")
        spread = float(np.nanpercentile(mouth, 95) - np.nanpercentile(mouth, 5))
        if spread < MIN_MOUTH_SPREAD:
            raise SkipMetric(
                f"no mouth signal: the mouth barely moves (opening spread {spread:.3f} of the face height, under "
                f"{MIN_MOUTH_SPREAD:g})"
            )
        res = sync_offset(mouth, speech_envelope(audio16k, AUDIO_SR, len(frames)))
        details = {"offset_ms_signed": res.offset_ms, "face_coverage": round(coverage, 3), "frames": len(frames)}
        offset = offset_or_skip(res.offset_frames, FPS, MAX_LAG, res.confidence, MIN_CONFIDENCE, details)
        return {"av_sync_offset_ms": offset, "av_sync_conf": (res.confidence, details)}

    def unload(self) -> None:
        if "analyzer" in self.__dict__:
            self.analyzer.unload()
            del self.__dict__["analyzer"]


class AVSyncMetrics(MetricFamily):
    family = "av_sync"
    metric_names = ("av_sync_offset_ms", "av_sync_conf", "lse_d")
    backends = {"mouth-envelope": MouthEnvelopeBackend, "syncnet": SyncNetBackend}
    paper_backend = "syncnet"

    def compute(self, item: ScoreItem, names: list[str]) -> dict[str, Any]:
        from evaluator.media import probe, read_frames

        provides = self.backend.provides  # type: ignore[attr-defined]
        out: dict[str, Any] = {
            n: SkipMetric(
                f"{n} needs the syncnet backend (backend av_sync=syncnet with the metric option syncnet_model=PATH)"
            )
            for n in names
            if n not in provides
        }
        names = [n for n in names if n in provides]
        if not names:
            return out
        self.backend.load()  # type: ignore[attr-defined]  # a missing model says so before any decoding
        src = item.video
        info = probe(src.path)  # type: ignore[union-attr, arg-type]
        if info.video is None or not info.video.width:
            raise SkipMetric("the video has no picture stream")
        w, h = info.video.width, info.video.height or 1
        width = int(self.backend.analysis_width)  # type: ignore[attr-defined]
        size = (width, int(round(width * h / w / 2)) * 2) if w > width else None
        frames = read_frames(src.path, fps=FPS, start=src.start, end=src.end, size=size)  # type: ignore[union-attr, arg-type]
        if len(frames) < self.backend.min_frames:  # type: ignore[attr-defined]
            raise SkipMetric(f"clip too short for a +/-{MAX_LAG} frame search ({len(frames)} frames)")
        values = self.backend.measure(frames, item.audio(AUDIO_SR), names)  # type: ignore[attr-defined]
        return out | {n: values[n] for n in names}
