"""The objective metric suite: a registry of metric families, their specs, and presets.

>>> from evaluator.metrics import create_metric, list_metrics
>>> "wer" in list_metrics()
True
>>> create_metric("dnsmos_ovrl").spec("dnsmos_ovrl").higher_is_better
True
"""

from __future__ import annotations

import fnmatch
from typing import Any

from evaluator.metrics.base import MetricBackend, MetricFamily
from evaluator.metrics.item import ScoreItem, Source
from evaluator.metrics.presets import all_presets
from evaluator.metrics.spec import MetricSpec, MetricValue, SkipMetric
from evaluator.options import Option, check_options
from evaluator.registry import Registry

#: metric family name -> family class (lazy); each metric's preset names its family
METRICS = Registry("metric family")
METRICS.register("transcript", "evaluator.metrics.transcript:TranscriptMetrics")
METRICS.register("speaker", "evaluator.metrics.speaker:SpeakerMetrics")
METRICS.register("emotion", "evaluator.metrics.emotion:EmotionMetrics")
METRICS.register("emosync", "evaluator.metrics.emosync:EmoSyncMetrics")
METRICS.register("cepstral", "evaluator.metrics.cepstral:CepstralMetrics")
METRICS.register("dnsmos", "evaluator.metrics.dnsmos:DNSMOSMetrics")
METRICS.register("utmos", "evaluator.metrics.utmos:UTMOSMetrics")
METRICS.register("av_sync", "evaluator.metrics.av_sync:AVSyncMetrics")
METRICS.register("manifest", "evaluator.metrics.fit:FitMetrics")

#: the metrics that run offline on any machine (utmos needs weights)
OFFLINE_SUITE = (
    "wer", "cer", "semantic_sim", "spk_sim", "emo_sim", "mcd", "mcd_sl", "log_f0_rmse",
    "dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl", "dnsmos_p808", "av_sync_offset_ms", "av_sync_conf",
    "slot_error_ms", "stretch_ratio",
)  # fmt: skip

#: named metric sets (``dubkit score --metrics NAME``): ``dubscore-paper`` is the DubScore paper's proxy set,
#: PEAVS/sync (no public PEAVS model: av_sync, SyncNet LSE-C/LSE-D with --profile paper), EmoSync, LogF0RMSE,
#: UTMOS and SpeechBERTScore (semantic_sim; with --profile paper its speechbertscore backend)
METRIC_SETS: dict[str, tuple[str, ...]] = {
    "dubscore-paper": ("av_sync_offset_ms", "av_sync_conf", "lse_d", "emo_sync", "log_f0_rmse", "utmos",
                       "semantic_sim"),
}  # fmt: skip


def list_metrics(pattern: str = "*", family: str | None = None) -> list[str]:
    """Metric names matching a glob ``pattern`` (and a family), in preset order."""
    return [
        n for n, p in all_presets().items() if fnmatch.fnmatch(n, pattern) and (family is None or p["family"] == family)
    ]


def family_of(name: str) -> str:
    from evaluator.metrics.presets import preset

    return str(preset(name)["family"])


def metric_options() -> list[Option]:
    """Every option the metric families declare (one list for a run: each family takes the ones it knows)."""
    out: dict[str, Option] = {}
    for fam in METRICS.names():
        for o in METRICS.get(fam).declared_options():
            out.setdefault(o.name, o)
    return sorted(out.values(), key=lambda o: o.name)


def create_metric(name: str, backend: str | None = None, *, profile: str = "offline", **options: Any) -> MetricFamily:
    """The family object that computes metric ``name`` (``backend`` and options override the preset).

    ``options`` are checked against :func:`metric_options` (an unknown name is a ConfigError with the valid
    ones) and typed by their declarations; every family gets all of them and takes those it declares."""
    typed = check_options(options, metric_options(), what="the metrics")
    return METRICS.get(family_of(name))(backend, profile=profile, **typed)


__all__ = [
    "METRICS",
    "METRIC_SETS",
    "OFFLINE_SUITE",
    "MetricBackend",
    "MetricFamily",
    "MetricSpec",
    "MetricValue",
    "ScoreItem",
    "SkipMetric",
    "Source",
    "create_metric",
    "family_of",
    "list_metrics",
    "metric_options",
]
