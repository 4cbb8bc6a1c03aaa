"""Metric presets (descriptions, inputs, direction, range), read from the package data file presets.yaml."""

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


def normalised(name: str, value: float) -> float:
    """``value`` of metric ``name`` mapped to [0, 1] (1 = good) between the metric's (bad, good) anchors."""
    from evaluator.dubscore.proxy import DEFAULT_ANCHORS

    bad, good = DEFAULT_ANCHORS[name]
    return min(1.0, max(0.0, (float(value) - bad) / (good - bad)))
