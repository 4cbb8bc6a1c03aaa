"""DubScore end to end: train from a CLIPS.csv, score items with a checkpoint, proxy MOS for score rows."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.dubscore.checkpoint import DubScoreCheckpoint, load_checkpoint, save_checkpoint
from evaluator.dubscore.data import clip_features, label_column, load_clips, metric_matrix
from evaluator.dubscore.features import FeatureTable
from evaluator.dubscore.model import DubScoreModel, checkpoint_cues
from evaluator.dubscore.proxy import ProxyWeights
from evaluator.dubscore.training import (
    TrainConfig,
    ablation,
    check_config,
    cross_validate,
    fit_ensemble,
)
from evaluator.errors import ConfigError
from evaluator.fileio import json_safe, write_json
from evaluator.metrics.item import ScoreItem
from evaluator.metrics.presets import anchored_metrics, anchors

logger = logging.getLogger(__name__)

CHECKPOINT_NAME = "dubscore.pt"
REPORT_NAME = "report.json"


def stage_labels(
    rows: list[dict[str, str]],
    stage: str,
    data: str | os.PathLike[str],
    proxy: ProxyWeights | None,
    rehearse: bool = False,
) -> tuple[np.ndarray, str]:
    """Labels of ``stage``: human ``mos`` (with ``rehearse``, the proxy MOS where the mos cell is empty); or
    ``proxy_mos`` / the proxy of the metric columns."""
    if stage == "human" and rehearse:
        return rehearsal_labels(rows, data, proxy)
    if stage == "human":
        return label_column(rows, "mos", data), "human MOS (mos column)"
    if stage != "proxy":
        raise ConfigError(f"unknown stage {stage!r}", hint="use stage proxy or human", param="stage")
    if rows and "proxy_mos" in rows[0]:
        return label_column(rows, "proxy_mos", data), "proxy MOS (proxy_mos column)"
    names = proxy.names if proxy else [n for n in anchored_metrics() if rows and n in rows[0]]
    if not names:
        raise ConfigError(
            f"{data}: stage proxy needs a proxy_mos column or metric columns (wer, dnsmos_ovrl, ...)",
            hint="run `dubkit score` on the clips and add the metric values, or a proxy_mos column",
        )
    proxy = proxy or ProxyWeights.equal(names)
    return proxy.mos(metric_matrix(rows, proxy.names)), f"proxy MOS over {', '.join(names)} ({proxy.source})"


def rehearsal_labels(
    rows: list[dict[str, str]], data: str | os.PathLike[str], proxy: ProxyWeights | None
) -> tuple[np.ndarray, str]:
    """Stage-2 labels with rehearsal: the human ``mos`` where the cell is filled, the clip's proxy MOS where it
    is empty (so fine-tuning on a few ratings corrects the proxy without forgetting it)."""
    mos = label_column(rows, "mos", data, allow_empty=True)
    rated = np.isfinite(mos)
    if not rated.any():
        raise ConfigError(f"{data}: rehearse needs at least one rated clip (a filled mos cell)", param="rehearse")
    y_proxy, proxy_source = stage_labels(rows, "proxy", data, proxy)
    y = np.where(rated, mos, y_proxy)
    return y, f"human MOS ({int(rated.sum())} clips) + {proxy_source} for the {int((~rated).sum())} unrated"


def rated_mask(rows: list[dict[str, str]], rehearse: bool) -> np.ndarray | None:
    """The clips whose label is a human rating (scored in CV) under rehearsal; None: every label is scored."""
    if not rehearse:
        return None
    return np.isfinite(label_column(rows, "mos", allow_empty=True))


def train_from_csv(
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    cfg: TrainConfig,
    *,
    stage: str = "proxy",
    init: str | os.PathLike[str] | None = None,
    profile: str = "offline",
    models: dict[str, str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    proxy_weights: str | os.PathLike[str] | None = None,
    run_ablation: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    cues: Sequence[str] | None = None,
    finetune_encoders: bool = False,
    lora_rank: int = 8,
    rehearse: bool = False,
    scores: str | os.PathLike[str] | None = None,
    metric_cues: bool = False,
) -> dict[str, Any]:
    """Train (stage 1 on proxy labels, stage 2 on human MOS from ``init``), k-fold CV, ablation; write
    ``out/dubscore.pt`` and ``out/report.json``; return the report.

    ``data`` is a CLIPS.csv with label columns, or any ``dubkit score`` input (a corpus directory) with
    ``scores``, the rows ``dubkit score`` wrote for it: their metric values and proxy MOS are the labels
    (with ``proxy_weights`` the proxy is recomputed from the metric values with those weights).

    ``cues`` restricts the cue encoders (names of the profile). ``metric_cues`` adds the metric suite's values as
    cues (off by default: in stage 1 they are what the proxy label is computed from). ``cfg.ensemble`` > 1 trains
    seed ensembles (each CV fold and the final model; the checkpoint keeps every member); with ``init`` member i
    fine-tunes the checkpoint's member ``i % M``, and the architecture (sizes, PCA) is the checkpoint's. With
    ``finetune_encoders`` the final model's fusion head, fitted on cached features, then trains jointly with
    LoRA adapters of the transformer encoders on the raw inputs (:mod:`evaluator.dubscore.finetune`); the CV
    figures are those of the cached-feature model.

    An ``init`` checkpoint with LoRA adapters (trained with ``finetune_encoders``) has its adapters restored
    on the encoders for feature extraction. Without ``finetune_encoders`` they stay frozen and go unchanged
    into the new checkpoint (same encoder ids); with it they continue training from their saved weights
    (a new adapter hash in the encoder ids)."""
    check_config(cfg)
    items, rows = load_clips(data, scores, proxy_mos=proxy_weights is None)
    proxy = ProxyWeights.load(proxy_weights) if proxy_weights else None
    if rehearse and stage != "human":
        raise ConfigError(
            "rehearse is for stage human",
            hint="use stage human and init STAGE1_CHECKPOINT",
            param=("rehearse", "stage", "init"),
        )
    y, label_source = stage_labels(rows, stage, data, proxy, rehearse)
    init_ckpt = None
    cue_names: Sequence[str] | None = list(cues) if cues else None
    if init is not None:
        init_ckpt = load_checkpoint(init)
        if init_ckpt.info["head"] != cfg.head:
            raise ConfigError(
                f"{init}: a {init_ckpt.info['head']} checkpoint",
                hint=f"use head {init_ckpt.info['head']}",
                param="head",
            )
        profile, models = init_ckpt.info["profile"], init_ckpt.info.get("models") or {}
        cue_names = list(init_ckpt.encoder_ids)
        c = init_ckpt.config
        cfg = replace(cfg, modalities=c.modalities, hidden=c.hidden, layers=c.layers, heads=c.heads,
                      label_range=c.label_range, pca_dims=c.pca_dims, quantile_dims=c.quantile_dims)  # fmt: skip
        if cfg.ensemble != len(init_ckpt.members):
            logger.info("%d members from the %d of %s (member i fine-tunes member i mod %d)",
                        cfg.ensemble, len(init_ckpt.members), init, len(init_ckpt.members))  # fmt: skip
    if finetune_encoders:
        from evaluator.dubscore.finetune import check_finetune

        check_finetune(profile, lora_rank)
    report_progress = progress or (lambda stage_, done, total: None)
    feature_progress = lambda i: report_progress("features", i, len(items))  # noqa: E731
    if init_ckpt is not None and init_ckpt.adapters:
        table = _adapted_features(items, init_ckpt, cache_dir, progress=feature_progress)
    else:
        table = clip_features(items, profile=profile, modalities=cfg.modalities, cache_dir=cache_dir, models=models,
                              cue_names=cue_names, progress=feature_progress, metric_cues=metric_cues)  # fmt: skip
    if init_ckpt is not None:
        init_ckpt.check_encoders(table.encoder_ids)
    init_members = init_ckpt.members if init_ckpt is not None else None
    cv = cross_validate(table, y, cfg, init=init_members, progress=lambda k: report_progress("folds", k, cfg.folds),
                        scored=rated_mask(rows, rehearse))  # fmt: skip
    run_abl = run_ablation and len(cfg.modalities) > 1 and init_members is None
    abl = ablation(table, y, cfg, scored=rated_mask(rows, rehearse)) if run_abl else []
    n_epochs = cfg.ensemble * cfg.epochs
    final = fit_ensemble(table, y, cfg, init=init_members,
                         progress=lambda i, e, _: report_progress("final", i * cfg.epochs + e, n_epochs))  # fmt: skip
    encoder_ids, adapters, lora = dict(table.encoder_ids), {}, {}
    if init_ckpt is not None:  # the init checkpoint's adapters go on unchanged unless they train again below
        adapters = dict(init_ckpt.adapters)
        lora = {k: dict(init_ckpt.info["lora"][k]) for k in adapters}
    lora_notes = {k: f"frozen, carried from {init}" for k in adapters}
    if finetune_encoders:
        from evaluator.dubscore.features import build_cues
        from evaluator.dubscore.finetune import finetune_end_to_end

        built = (checkpoint_cues(init_ckpt) if init_ckpt is not None
                 else build_cues(profile, cfg.modalities, models, names=list(table.encoder_ids)))  # fmt: skip
        try:
            trained, settings = finetune_end_to_end(
                final, items, table, y, built, cfg, rank=lora_rank, resume=lora,
                progress=lambda e, _: report_progress("lora", e, cfg.epochs),
            )  # fmt: skip
            encoder_ids.update({c.name: c.encoder_id for c in built if c.name in trained})
        finally:
            for c in built:
                c.unload()
        for k in trained:
            lora_notes[k] = "end to end with the fusion head" + (f", continued from {init}" if k in adapters else "")
        adapters.update(trained)
        lora.update(settings)
    out = Path(out)
    report = {
        "data": str(data),
        "scores": str(scores) if scores is not None else None,
        "stage": stage,
        "labels": label_source,
        "init": str(init) if init else None,
        "clips": len(items),
        "head": cfg.head,
        "modalities": list(cfg.modalities),
        "profile": profile,
        "encoder_ids": encoder_ids,
        "lora": {k: {**v, "finetuned": lora_notes[k]} for k, v in lora.items()},
        "folds": cv["folds"],
        "overall": cv["overall"],
        "ensemble": len(final),
        "intervals": {
            "method": interval_method(cfg),
            "coverage": cfg.coverage,
            "picp": cv["picp"],
            "mpiw": cv["mpiw"],
        },  # fmt: skip
        "ablation": abl,
        "config": cfg.to_dict(),
        "checkpoint": str(out / CHECKPOINT_NAME),
    }
    report = json_safe(report)  # a fold with fewer than 3 scored clips has no correlation (None)
    save_checkpoint(out / CHECKPOINT_NAME, final, cfg, encoder_ids=encoder_ids, profile=profile, models=models,
                    sigma_res=cv["sigma_res"], report={k: report[k] for k in ("overall", "intervals", "labels")},
                    stage=stage, adapters=adapters, lora=lora)  # fmt: skip
    write_json(out / REPORT_NAME, report)
    return report


def score_with_model(
    items: Sequence[ScoreItem], checkpoint: str | os.PathLike[str], *, cache_dir: str | os.PathLike[str] | None = None,
    table: FeatureTable | None = None,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Per item id: ``dubscore`` (MOS scale), its interval, per-modality relevance, and the model: one call of
    :class:`evaluator.dubscore.model.DubScoreModel` (load it once instead to score many batches)."""
    with DubScoreModel.load(checkpoint, cache_dir=cache_dir) as model:
        return model.score(items, table=table)


def interval_method(cfg: TrainConfig) -> str:
    """How the intervals of ``cfg`` are built (for the report)."""
    parts = [f"spread of {cfg.ensemble} ensemble members"] if cfg.ensemble > 1 else []
    parts += ["MC dropout"] if cfg.mc_samples > 0 else []
    return " + ".join([*parts, "out-of-fold residual spread"])


def _adapted_features(
    items: Sequence[ScoreItem],
    ckpt: DubScoreCheckpoint,
    cache_dir: str | os.PathLike[str] | None,
    progress: Callable[[int], None] | None = None,
) -> FeatureTable:
    """Features with the checkpoint's LoRA adapters on the encoders (cached under the adapted encoder ids)."""
    with DubScoreModel.load(ckpt, cache_dir=cache_dir) as model:
        return model.features(items, progress=progress)


def proxy_for_rows(rows: dict[str, dict[str, Any]], weights: ProxyWeights | None = None) -> dict[str, dict[str, Any]]:
    """``proxy_mos`` for ``dubkit score`` rows: learned weights if given, else equal weights (uncalibrated)."""
    out: dict[str, dict[str, Any]] = {}
    for rid, row in rows.items():
        metrics = row.get("metrics", {})
        have = [n for n, m in metrics.items() if m.get("value") is not None]
        if weights is None:
            backends = {n: str(metrics[n].get("backend")) for n in have}
            names = [n for n in have if anchors(n, backends[n]) is not None]
            if not names:
                continue
            w = ProxyWeights.equal(names, backends)
        else:
            w = weights
        x = metric_matrix([row], w.names)
        out[rid] = {
            "value": float(w.mos(x)[0]),
            "weights": dict(zip(w.names, [round(v, 4) for v in w.weights], strict=True)),
            "weights_source": w.source,
            "calibrated": w.calibrated,
            "missing": [n for n in w.names if n not in have],
        }
    return out
