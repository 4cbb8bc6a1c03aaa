"""DNSMOS P.835 (``dnsmos_sig``, ``dnsmos_bak``, ``dnsmos_ovrl``) and P.808 (``dnsmos_p808``), via speechmos.

The ONNX models ship in the speechmos wheel and load through speechmos' own ``DNSMOS`` class, held by this
object rather than speechmos' module global, so ``unload()`` frees them. :func:`dnsmos_many` runs its models on
the windows of several clips at once (one ONNX call per model for a batch of clips); it cuts the windows as
speechmos' ``DNSMOS.__call__`` does (9.01 s windows, 1 s hop, a clip shorter than a window repeated to fill
it) and maps them with its mel spectrogram and P.835 polynomials, so a clip's scores are speechmos' own
(tests/evaluator/test_metric_batches.py checks it to the last digit).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.errors import MissingDependencyError
from evaluator.metrics.base import MetricBackend, MetricFamily
from evaluator.metrics.item import ScoreItem

SR = 16000
_KEYS = {"dnsmos_sig": "sig_mos", "dnsmos_bak": "bak_mos", "dnsmos_ovrl": "ovrl_mos", "dnsmos_p808": "p808_mos"}


def dnsmos_scores(model: Any, audio16k: np.ndarray) -> dict[str, float]:
    """All four DNSMOS scores of a 16 kHz clip (peaks above 1 are scaled down to 1 first)."""
    return dnsmos_many(model, [audio16k])[0]


def _windows(x: np.ndarray) -> list[np.ndarray]:
    """speechmos' windows of a 16 kHz clip: 9.01 s each, 1 s apart; a shorter clip is repeated to fill one."""
    from speechmos.dnsmos import INPUT_LENGTH

    n = int(INPUT_LENGTH * SR)
    while len(x) < n:
        x = np.append(x, x)
    hops = int(np.floor(len(x) / SR) - INPUT_LENGTH) + 1
    segs = [x[int(i * SR) : int((i + INPUT_LENGTH) * SR)] for i in range(hops)]
    return [s for s in segs if len(s) >= n]


def dnsmos_many(model: Any, clips: list[np.ndarray]) -> list[dict[str, float]]:
    """:func:`dnsmos_scores` of each 16 kHz clip, every window of every clip in one run of each ONNX model."""
    segs, owner = [], []
    for i, clip in enumerate(clips):
        x = np.asarray(clip, dtype=np.float32)
        if not len(x):  # speechmos would repeat it forever to fill a window
            raise ValueError("DNSMOS needs a clip with samples (this one is empty)")
        peak = float(np.max(np.abs(x)))
        if peak > 1.0:
            x = x / peak
        w = _windows(x)
        segs += w
        owner += [i] * len(w)
    p835_in = np.stack(segs).astype(np.float32)
    p808_in = np.stack([model.audio_melspec(audio=s[:-160]) for s in segs]).astype(np.float32)
    raw = model.onnx_sess.run(None, {"input_1": p835_in})[0]
    p808 = model.p808_onnx_sess.run(None, {"input_1": p808_in})[0][:, 0]
    sig, bak, ovr = model.get_polyfit_val(raw[:, 0], raw[:, 1], raw[:, 2], False)
    who = np.asarray(owner)
    per = {"sig_mos": sig, "bak_mos": bak, "ovrl_mos": ovr, "p808_mos": p808}
    return [{name: float(np.mean(per[key][who == i])) for name, key in _KEYS.items()} for i in range(len(clips))]


class SpeechMOSBackend(MetricBackend):
    name = "speechmos-dnsmos"
    model_id = "dnsmos-p835-sig_bak_ovr.onnx+p808-model_v8.onnx (speechmos 0.0.1.1)"
    offline = True
    sample_rate = 16000

    @cached_property
    def model(self) -> Any:
        try:
            import speechmos.dnsmos as sd
        except ImportError:
            raise MissingDependencyError("speechmos", install="pip install speechmos==0.0.1.1") from None
        root = Path(sd.__file__).parent / "dnsmos_models"
        return sd.DNSMOS(str(root / "sig_bak_ovr.onnx"), str(root / "model_v8.onnx"))

    def unload(self) -> None:
        self.__dict__.pop("model", None)


class DNSMOSMetrics(MetricFamily):
    family = "dnsmos"
    metric_names = tuple(_KEYS)
    backends = {"speechmos-dnsmos": SpeechMOSBackend}

    def prefetch(self, items: Sequence[ScoreItem], names: Sequence[str]) -> None:
        """The scores of every ready item, their windows run as one batch."""
        ready = self.ready_items(items, names)
        if len(ready) > 1:
            scores = dnsmos_many(self.backend.model, [it.audio(SR) for it in ready])  # type: ignore[attr-defined]
            for it, s in zip(ready, scores, strict=True):
                self.keep(it.id, s)

    def compute(self, item: ScoreItem, names: list[str]) -> dict[str, Any]:
        kept = self.kept(item.id)
        return kept if kept is not None else dnsmos_scores(self.backend.model, item.audio(SR))  # type: ignore[attr-defined]
