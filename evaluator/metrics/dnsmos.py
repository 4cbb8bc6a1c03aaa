"""DNSMOS P.835 (``dnsmos_sig``, ``dnsmos_bak``, ``dnsmos_ovrl``) and P.808 (``dnsmos_p808``), via speechmos.

The ONNX models ship in the speechmos wheel. They run through speechmos' own ``DNSMOS`` class (9.01 s
windows, 1 s hop, the P.835 polynomial mapping), held by this object rather than speechmos' module
global, so ``unload()`` frees them.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.errors import MissingDependencyError
from evaluator.metrics.base import MetricBackend, MetricFamily
from evaluator.metrics.item import ScoreItem

_KEYS = {"dnsmos_sig": "sig_mos", "dnsmos_bak": "bak_mos", "dnsmos_ovrl": "ovrl_mos", "dnsmos_p808": "p808_mos"}


def dnsmos_scores(model: Any, audio16k: np.ndarray) -> dict[str, float]:
    """All four DNSMOS scores of a 16 kHz clip (peaks above 1 are scaled down to 1 first)."""
    x = np.asarray(audio16k, dtype=np.float32)
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak > 1.0:
        x = x / peak
    res = model(x, 16000, False)
    return {name: float(res[key]) for name, key in _KEYS.items()}


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

    def compute(self, item: ScoreItem, names: list[str]) -> dict[str, Any]:
        return dnsmos_scores(self.backend.model, item.audio(16000))  # type: ignore[attr-defined]
