"""Training DubScore heads on a feature table: fit, predict with intervals, k-fold CV, modality ablation.

Labels are on the MOS scale (``label_range``, default 1-5); the network learns them normalised to
[0, 1] and predictions are rescaled. Prediction intervals combine MC-dropout spread (model
uncertainty) with the residual spread of out-of-fold predictions (label noise):
``mean +/- z * sqrt(var_mc + sigma_res^2)``; PICP is the fraction of held-out labels inside.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from itertools import combinations
from typing import Any

import numpy as np
import torch

from evaluator.dubscore.config import TRAIN_PRESETS, TrainConfig, check_config, preset_config
from evaluator.dubscore.features import FeatureTable
from evaluator.dubscore.losses import agreement, head_loss
from evaluator.dubscore.network import QUANTILE_LEVELS, FusionNetwork, build_network
from evaluator.errors import ConfigError

logger = logging.getLogger(__name__)

__all__ = ["TRAIN_PRESETS", "TrainConfig", "check_config", "preset_config"]  # re-exported from config


def tensors(table: FeatureTable) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    return (
        {k: torch.as_tensor(v, dtype=torch.float32) for k, v in table.cues.items()},
        {k: torch.as_tensor(v, dtype=torch.bool) for k, v in table.present.items()},
    )


def network_kwargs(cfg: TrainConfig) -> dict[str, Any]:
    """Constructor arguments of the network ``cfg`` describes (shared by training and checkpoint loading)."""
    kw: dict[str, Any] = {"hidden": cfg.hidden, "heads": cfg.heads, "dropout": cfg.dropout,
                          "projection": cfg.projection, "proj_rank": cfg.proj_rank}  # fmt: skip
    if cfg.head == "dubscore":
        kw["layers"] = cfg.layers
    if cfg.pca_dims:
        kw["reduce_dims"] = cfg.pca_dims
    if cfg.quantile_dims:
        kw["quantile_dims"] = cfg.quantile_dims
    return kw


def new_model(table: FeatureTable, cfg: TrainConfig) -> FusionNetwork:
    t = table.select(cfg.modalities)
    if not t.cues:
        raise ConfigError(
            f"no cues for modalities {','.join(cfg.modalities)}", hint="check modalities", param="modalities"
        )
    dims = {c: v.shape[1] for c, v in t.cues.items()}
    return build_network(cfg.head, dims, t.modality, **network_kwargs(cfg))


def _normalise(model: FusionNetwork, table: FeatureTable) -> None:
    """Per-cue standardisation (and PCA basis for reduced cues) from the training rows only."""
    mean, std, basis, grid = {}, {}, {}, {}
    for c in model.cue_dims:
        x, p = table.cues[c], table.present[c]
        rows = np.asarray(x[p] if p.any() else x, dtype=np.float64)
        mu, sd = rows.mean(0), rows.std(0) + 1e-3
        mean[c] = torch.as_tensor(mu, dtype=torch.float32)
        std[c] = torch.as_tensor(sd, dtype=torch.float32)
        k = model.reduce_dims
        if 0 < k < rows.shape[1]:
            # principal axes of the standardised rows; fewer rows than k leaves the extra axes at zero
            _, _, vt = np.linalg.svd((rows - mu) / sd, full_matrices=False)
            b = np.zeros((rows.shape[1], k))
            b[:, : min(k, vt.shape[0])] = vt[:k].T
            basis[c] = torch.as_tensor(b, dtype=torch.float32)
        if model.proj[c].quantile:
            levels = np.linspace(0.0, 1.0, QUANTILE_LEVELS)
            grid[c] = torch.as_tensor(np.quantile(rows, levels, axis=0), dtype=torch.float32)
    model.set_normalisation(mean, std, basis, grid)


def to_unit(y: np.ndarray, cfg: TrainConfig) -> np.ndarray:
    lo, hi = cfg.label_range
    return np.clip((np.asarray(y, float) - lo) / (hi - lo), 0.0, 1.0)


def from_unit(s: np.ndarray, cfg: TrainConfig) -> np.ndarray:
    lo, hi = cfg.label_range
    return lo + (hi - lo) * np.asarray(s, float)


def make_optimizer(params: Iterable[torch.nn.Parameter], cfg: TrainConfig) -> torch.optim.Optimizer:
    """``cfg.optimizer`` (Adam, the DubScore paper's, or AdamW) over the trainable ``params`` (a LoRA projection's
    base weights stay frozen), at ``cfg.lr`` and ``cfg.weight_decay``."""
    optim = torch.optim.Adam if cfg.optimizer == "adam" else torch.optim.AdamW
    return optim([p for p in params if p.requires_grad], lr=cfg.lr, weight_decay=cfg.weight_decay)


def fit(
    table: FeatureTable,
    y: np.ndarray,
    cfg: TrainConfig,
    *,
    init: FusionNetwork | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> FusionNetwork:
    """Train a head on ``table`` (cues of ``cfg.modalities``) against MOS-scale labels ``y``."""
    torch.manual_seed(cfg.seed)
    t = table.select(cfg.modalities)
    model = new_model(table, cfg)
    if init is not None:
        model.load_state_dict(init.state_dict())
    else:
        _normalise(model, t)
    feats, present = tensors(t)
    target = torch.as_tensor(to_unit(y, cfg), dtype=torch.float32)
    opt = make_optimizer(model.parameters(), cfg)
    gen = torch.Generator().manual_seed(cfg.seed)
    n_val = int(round(cfg.val_fraction * len(t))) if cfg.val_fraction > 0 and len(t) >= 10 else 0
    order = torch.randperm(len(t), generator=gen) if n_val else torch.arange(len(t))
    val_idx, train_idx = order[:n_val], order[n_val:]
    n = len(train_idx)
    best: tuple[float, dict[str, torch.Tensor] | None, int] = (float("inf"), None, 0)
    model.train()
    for epoch in range(cfg.epochs):
        perm = train_idx[torch.randperm(n, generator=gen)]
        total = 0.0
        for s in range(0, n, cfg.batch_size):
            idx = perm[s : s + cfg.batch_size]
            if len(idx) < 2:
                continue
            out = model({k: v[idx] for k, v in feats.items()}, {k: v[idx] for k, v in present.items()})
            loss = head_loss(cfg.head, out.score, target[idx], cfg.loss_lambda, cfg.rank_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if progress is not None:
            progress(epoch + 1, total / max(n, 1))
        if n_val:
            model.eval()
            with torch.no_grad():
                out = model({k: v[val_idx] for k, v in feats.items()}, {k: v[val_idx] for k, v in present.items()})
                val = float(torch.mean((out.score - target[val_idx]) ** 2))
            model.train()
            if val < best[0] - 1e-6:
                best = (val, {k: v.detach().clone() for k, v in model.state_dict().items()}, epoch)
            elif epoch - best[2] >= cfg.patience:
                break
    if best[1] is not None:
        model.load_state_dict(best[1])
    model.eval()
    return model


def fit_ensemble(
    table: FeatureTable,
    y: np.ndarray,
    cfg: TrainConfig,
    *,
    init: Sequence[FusionNetwork] | FusionNetwork | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> list[FusionNetwork]:
    """``cfg.ensemble`` members trained with seeds ``cfg.seed + 1000 * i`` (member i fine-tunes ``init[i % len]``).

    ``progress(member, epoch, loss)`` follows the training of each member in turn."""
    inits = list(init) if isinstance(init, Sequence) else [init] * cfg.ensemble
    members = []
    for i in range(cfg.ensemble):
        cb = None if progress is None else (lambda e, loss, i=i: progress(i, e, loss))
        members.append(fit(table, y, replace(cfg, seed=cfg.seed + 1000 * i), init=inits[i % len(inits)], progress=cb))
    return members


def predict_ensemble(
    models: Sequence[FusionNetwork], table: FeatureTable, cfg: TrainConfig, mc_samples: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Mean MOS-scale prediction of the members and their spread (standard deviation).

    With ``mc_samples`` the spread also holds the members' MC-dropout variance (law of total variance:
    variance of the member means plus the mean MC variance); one member gives :func:`predict`'s figures."""
    draws = [predict(m, table, cfg, mc_samples) for m in models]
    means, mc = np.stack([d[0] for d in draws]), np.stack([d[1] for d in draws])
    return means.mean(axis=0), np.sqrt(means.var(axis=0) + (mc**2).mean(axis=0))


@torch.no_grad()
def predict(
    model: FusionNetwork, table: FeatureTable, cfg: TrainConfig, mc_samples: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """MOS-scale predictions and their MC-dropout standard deviation (zeros when ``mc_samples`` is 0)."""
    feats, present = tensors(table.select(list(model.modalities)))
    model.eval()
    mean = from_unit(model(feats, present).score.numpy(), cfg)
    if mc_samples <= 0:
        return mean, np.zeros_like(mean)
    model.train()  # dropout on
    torch.manual_seed(cfg.seed + 1)
    draws = np.stack([from_unit(model(feats, present).score.numpy(), cfg) for _ in range(mc_samples)])
    model.eval()
    return mean, draws.std(axis=0)


def z_value(coverage: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + coverage / 2))


def interval(mean: np.ndarray, mc_std: np.ndarray, sigma_res: float, coverage: float) -> tuple[np.ndarray, np.ndarray]:
    half = z_value(coverage) * np.sqrt(mc_std**2 + sigma_res**2)
    return mean - half, mean + half


def kfold_indices(n: int, folds: int, seed: int) -> list[np.ndarray]:
    if folds < 2 or folds > n:
        raise ConfigError(f"folds={folds} with {n} clips", hint="use 2 <= folds <= number of clips", param="folds")
    perm = np.random.default_rng(seed).permutation(n)
    return [np.sort(perm[k::folds]) for k in range(folds)]


def cross_validate(
    table: FeatureTable,
    y: np.ndarray,
    cfg: TrainConfig,
    *,
    init: Sequence[FusionNetwork] | FusionNetwork | None = None,
    truth: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
    scored: np.ndarray | None = None,
) -> dict[str, Any]:
    """k-fold CV: per fold and overall PCC/SRCC/MSE, out-of-fold predictions, PICP/MPIW of the intervals.

    ``scored`` (bool per clip, optional): only these clips' labels are scored and set the residual spread
    (rehearsal: the human ratings are scored, the proxy labels of unrated clips are only trained on).

    Each fold trains ``cfg.ensemble`` members (:func:`fit_ensemble`; ``init`` may list one start per
    member) and predicts their mean; the spread is the members' spread combined with MC dropout
    (:func:`predict_ensemble`). ``truth`` (optional) is a second target the out-of-fold predictions
    are also compared with (the hidden quality of a synthetic corpus).
    """
    y = np.asarray(y, float)
    folds = kfold_indices(len(y), cfg.folds, cfg.seed)
    oof, oof_std = np.zeros(len(y)), np.zeros(len(y))
    fold_of = np.zeros(len(y), int)
    for k, test in enumerate(folds):
        train = np.setdiff1d(np.arange(len(y)), test)
        members = fit_ensemble(table.subset(train), y[train], replace(cfg, seed=cfg.seed + k), init=init)
        oof[test], oof_std[test] = predict_ensemble(members, table.subset(test), cfg, cfg.mc_samples)
        fold_of[test] = k
        if progress is not None:
            progress(k + 1)
    per_fold, lo, hi = [], np.zeros(len(y)), np.zeros(len(y))
    sc = np.ones(len(y), bool) if scored is None else np.asarray(scored, bool)
    for k, test in enumerate(folds):
        others = (fold_of != k) & sc  # residual spread estimated without this fold's labels
        if not others.any():
            others = fold_of != k
        sigma = float(np.sqrt(max(np.mean((oof[others] - y[others]) ** 2) - np.mean(oof_std[others] ** 2), 1e-6)))
        lo[test], hi[test] = interval(oof[test], oof_std[test], sigma, cfg.coverage)
        t = test[sc[test]]
        per_fold.append({"fold": k, **agreement(oof[t], y[t])})
    inside = (y >= lo) & (y <= hi)
    report = {
        "folds": per_fold,
        "overall": agreement(oof[sc], y[sc]),
        "picp": float(inside[sc].mean()),
        "mpiw": float(np.mean((hi - lo)[sc])),
        "coverage": cfg.coverage,
        "oof": oof,
        "oof_std": oof_std,
        "sigma_res": float(np.sqrt(max(np.mean((oof[sc] - y[sc]) ** 2) - np.mean(oof_std[sc] ** 2), 1e-6))),
    }
    if truth is not None:
        report["vs_truth"] = agreement(oof[sc], np.asarray(truth)[sc])
    return report


MODALITY_SUBSETS = ("A", "V", "T", "AV", "AT", "VT", "AVT")


def ablation(
    table: FeatureTable, y: np.ndarray, cfg: TrainConfig, *, truth: np.ndarray | None = None,
    subsets: Sequence[str] = MODALITY_SUBSETS, scored: np.ndarray | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """CV agreement for each modality subset present in the table (the ablation table)."""
    have = set(table.modality.values())
    rows = []
    for s in subsets:
        if not set(s) <= have:
            continue
        rep = cross_validate(table, y, replace(cfg, modalities=tuple(s), mc_samples=0), truth=truth, scored=scored)
        row = {"modalities": "+".join(s), **{k: rep["overall"][k] for k in ("pcc", "srcc", "mse")}}
        if truth is not None:
            row.update({f"truth_{k}": rep["vs_truth"][k] for k in ("pcc", "srcc")})
        rows.append(row)
    return rows


def all_subsets(modalities: Sequence[str]) -> list[str]:
    return ["".join(c) for r in range(1, len(modalities) + 1) for c in combinations(modalities, r)]
