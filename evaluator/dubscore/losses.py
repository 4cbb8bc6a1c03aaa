"""Losses and agreement statistics for DubScore training.

>>> import torch
>>> round(float(ccc(torch.tensor([1., 2., 3.]), torch.tensor([1., 2., 3.]))), 6)
1.0
"""

from __future__ import annotations

import numpy as np
import torch


def ccc(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Lin's concordance correlation ``2 cov / (var_p + var_t + (mean_p - mean_t)^2)`` (population moments)."""
    mp, mt = pred.mean(), target.mean()
    vp, vt = pred.var(unbiased=False), target.var(unbiased=False)
    cov = ((pred - mp) * (target - mt)).mean()
    return 2 * cov / (vp + vt + (mp - mt) ** 2 + 1e-12)


def ccc_rmse_loss(pred: torch.Tensor, target: torch.Tensor, lam: float = 0.6) -> torch.Tensor:
    """The AV-FusionNet loss ``lam * (1 - CCC) + (1 - lam) * RMSE``."""
    rmse = torch.sqrt(torch.mean((pred - target) ** 2) + 1e-12)
    return lam * (1 - ccc(pred, target)) + (1 - lam) * rmse


def agreement(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """PCC, SRCC, MSE and CCC of predictions against labels."""
    from scipy.stats import pearsonr, spearmanr

    p, t = np.asarray(pred, float), np.asarray(target, float)
    if len(p) < 3 or np.std(p) == 0 or np.std(t) == 0:
        pcc = srcc = float("nan")
    else:
        pcc, srcc = float(pearsonr(p, t)[0]), float(spearmanr(p, t)[0])
    c = float(ccc(torch.as_tensor(p), torch.as_tensor(t))) if len(p) > 1 else float("nan")
    return {"pcc": pcc, "srcc": srcc, "mse": float(np.mean((p - t) ** 2)), "ccc": c, "n": int(len(p))}


def ranking_loss(pred: torch.Tensor, target: torch.Tensor, tau: float = 0.05) -> torch.Tensor:
    """Pairwise logistic ranking loss (RankNet) over the pairs of a batch, each pair weighted by its label gap.

    For labels ``t_i > t_j`` the pair costs ``softplus(-(p_i - p_j) / tau) * (t_i - t_j)``: a pair the
    model orders wrongly costs most, and pairs of nearly equal (noisy) labels count little. Averaged so
    that it is on the scale of the label gaps (labels in [0, 1]).

    >>> t = torch.tensor([0.0, 0.5, 1.0])
    >>> bool(ranking_loss(t, t) < ranking_loss(t.flip(0), t))
    True
    """
    w = (target[:, None] - target[None, :]).clamp(min=0.0)  # label gap of each ordered pair (i above j)
    diff = pred[:, None] - pred[None, :]
    return (torch.nn.functional.softplus(-diff / tau) * tau * w).sum() / w.sum().clamp_min(1e-12)


def head_loss(
    head: str, score: torch.Tensor, target: torch.Tensor, loss_lambda: float, rank_weight: float = 0.0
) -> torch.Tensor:
    """The training loss of a head: ``avfusion`` uses CCC + RMSE, ``dubscore`` the mean squared error; with
    ``rank_weight`` > 0 plus that times the pairwise :func:`ranking_loss` (the order of clips, which SRCC
    and comparisons of generators read)."""
    loss = ccc_rmse_loss(score, target, loss_lambda) if head == "avfusion" else torch.mean((score - target) ** 2)
    if rank_weight > 0:
        loss = loss + rank_weight * ranking_loss(score, target)
    return loss
