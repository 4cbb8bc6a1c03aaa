"""Metric anchors have one home (presets.yaml via the spec): the proxy MOS and MetricSpec.normalised agree."""

from __future__ import annotations

import numpy as np
import pytest

from evaluator.dubscore.api import proxy_for_rows
from evaluator.dubscore.proxy import Normaliser, ProxyWeights
from evaluator.errors import ConfigError
from evaluator.metrics import create_metric, list_metrics
from evaluator.metrics.presets import anchored_metrics, anchors


def test_every_preset_anchor_parses_and_target_metrics_have_none():
    for name in list_metrics():
        a = anchors(name)
        assert a is None or (len(a) == 2 and a[0] != a[1])
    assert "stretch_ratio" not in anchored_metrics() and "wer" in anchored_metrics()


def test_proxy_default_normaliser_and_the_spec_map_values_the_same_way():
    names = [n for n in anchored_metrics() if n not in ("utmos",)]  # utmos needs weights to build its family
    specs = {}
    for n in names:
        fam = create_metric(n)
        specs[n] = fam.spec(n)
        assert specs[n].anchors == anchors(n, fam.backend_name) is not None
    norm = Normaliser.default(names)
    rng = np.random.default_rng(0)
    lows = np.array([min(specs[n].anchors) for n in names])
    highs = np.array([max(specs[n].anchors) for n in names])
    x = lows + (highs - lows) * rng.uniform(-0.3, 1.3, (50, len(names)))  # inside and beyond the anchors
    z = norm.transform(x)
    want = np.array([[specs[n].normalised(v) for n, v in zip(names, row, strict=True)] for row in x])
    np.testing.assert_allclose(z, want)
    assert z.min() == 0.0 and z.max() == 1.0


def test_spk_sim_anchors_are_the_measured_resemblyzer_scale_and_other_backends_have_none(tmp_path):
    spec = create_metric("spk_sim").spec("spk_sim")
    assert spec.backend == "resemblyzer"
    assert spec.normalised(0.5) == 0.0 and spec.normalised(0.9) == pytest.approx(1.0)
    assert spec.normalised(0.7) == pytest.approx(0.5)
    assert spec.to_dict()["anchors"] == [0.5, 0.9]
    other = create_metric("spk_sim", backend="wavlm-sv").spec("spk_sim")
    assert other.anchors is None
    with pytest.raises(ConfigError, match="no anchors"):
        other.normalised(0.8)
    from evaluator.metrics.presets import normalised

    assert normalised("spk_sim", 0.8, "resemblyzer") == spec.normalised(0.8)  # one map, by name or by spec
    with pytest.raises(ConfigError, match="no anchors"):
        normalised("spk_sim", 0.8, "wavlm-sv")
    lower_is_better = create_metric("wer").spec("wer")
    assert lower_is_better.normalised(0.25) == 0.75 and lower_is_better.normalised(3.0) == 0.0


def test_uncalibrated_proxy_for_rows_leaves_out_metrics_of_an_unanchored_backend():
    row = {
        "metrics": {
            "wer": {"value": 0.0, "backend": "pocketsphinx"},
            "spk_sim": {"value": 0.9, "backend": "wavlm-sv"},
        }
    }
    got = proxy_for_rows({"a": row})["a"]
    assert list(got["weights"]) == ["wer"]
    row["metrics"]["spk_sim"]["backend"] = "resemblyzer"
    got = proxy_for_rows({"a": row})["a"]
    assert list(got["weights"]) == ["wer", "spk_sim"]
    eq = ProxyWeights.equal(["wer", "spk_sim"])
    assert got["value"] == pytest.approx(float(eq.mos(np.array([[0.0, 0.9]]))[0]))  # both at their good anchor
