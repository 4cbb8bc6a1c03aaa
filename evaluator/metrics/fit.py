"""``slot_error_ms`` and ``stretch_ratio``: read from a dubkit project manifest's per-line fit record."""

from __future__ import annotations

from typing import Any

from evaluator.metrics.base import MetricBackend, MetricFamily
from evaluator.metrics.item import ScoreItem


class ManifestBackend(MetricBackend):
    name = "manifest"
    model_id = "dubkit-manifest-fit"
    offline = True
    sample_rate = None


class FitMetrics(MetricFamily):
    family = "manifest"
    metric_names = ("slot_error_ms", "stretch_ratio")
    backends = {"manifest": ManifestBackend}

    def compute(self, item: ScoreItem, names: list[str]) -> dict[str, Any]:
        fit = item.fit or {}
        ratio = fit.get("stretch_ratio", fit.get("ratio", 1.0))
        return {"slot_error_ms": abs(float(fit.get("error_ms", 0.0))), "stretch_ratio": float(ratio)}
