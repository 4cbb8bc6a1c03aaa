"""Metric presets (descriptions, inputs, direction, range, anchors), read from the package data file presets.yaml.

>>> anchors("wer")
(1.0, 0.0)
>>> anchors("spk_sim", "resemblyzer"), anchors("spk_sim", "wavlm-sv")
((0.5, 0.9), None)
>>> round(normalised("spk_sim", 0.7, "resemblyzer"), 6), normalised("wer", 0.25), normalised("dnsmos_ovrl", 6.0)
(0.5, 0.75, 1.0)
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from evaluator.errors import ConfigError


@cache
def all_presets() -> dict[str, dict[str, Any]]:
    import yaml

    text = resources.files("evaluator.metrics").joinpath("presets.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def preset(name: str) -> dict[str, Any]:
    try:
        return all_presets()[name]
    except KeyError:
        raise ConfigError(f"unknown metric {name!r}") from None


def _pair(name: str, value: Any) -> tuple[float, float]:
    try:
        bad, good = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(f"metric {name}: anchors must be [bad, good], got {value!r}") from None
    if bad == good:
        raise ConfigError(f"metric {name}: anchors {value!r} are equal", hint="give two different values")
    return bad, good


def anchors(name: str, backend: str | None = None) -> tuple[float, float] | None:
    """The (bad, good) anchors of metric ``name`` (presets.yaml): the values that normalise to 0 and 1.

    Anchors given per backend apply to that backend only: another backend gets None; ``backend=None``
    (a metric column whose backend is not known) takes the first backend's, the offline default's."""
    value = preset(name).get("anchors")
    if value is None:
        return None
    if isinstance(value, dict):
        if backend is None:
            return _pair(name, next(iter(value.values())))
        return _pair(name, value[backend]) if backend in value else None
    return _pair(name, value)


def normalised(name: str, value: float, backend: str | None = None) -> float:
    """``value`` of metric ``name`` (from ``backend``) on [0, 1], 1 = good, between its anchors (clipped); a
    metric without anchors for that backend is a ConfigError. ``MetricSpec.normalised`` is the same map."""
    from evaluator.metrics.spec import normalise

    pair = anchors(name, backend)
    if pair is None:
        raise ConfigError(
            f"metric {name} with backend {backend} has no anchors to normalise by",
            hint="learn proxy weights from ratings, or use a backend presets.yaml gives anchors for",
        )
    return float(normalise(value, pair))


def anchored_metrics() -> list[str]:
    """The metrics with anchors, in preset order (the uncalibrated proxy MOS uses these)."""
    return [n for n, p in all_presets().items() if p.get("anchors") is not None]
