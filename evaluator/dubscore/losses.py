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


def head_loss(head: str, score: torch.Tensor, target: torch.Tensor, loss_lambda: float) -> torch.Tensor:
    """The training loss of a head: ``avfusion`` uses CCC + RMSE, ``dubscore`` the mean squared error."""
    if head == "avfusion":
        return ccc_rmse_loss(score, target, loss_lambda)
    return torch.mean((score - target) ** 2)
