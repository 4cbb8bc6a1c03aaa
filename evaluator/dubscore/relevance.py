"""Per-clip modality relevance: which of A, V, T the score leaned on (Attentive AV-FusionNet's Eq. 8).

Two estimates, each min-max normalised across the clip's active modalities:

- ablation sensitivity: ``|f(x) - f(x with modality m switched off)|`` (high: the score needs m);
- feature change norm: ``||fused_m - input_m|| / ||input_m||``, how much fusion moved modality m (low: m kept its
  own information through fusion, so it shaped the fused representation rather than being reshaped by it).

They combine as ``alpha * norm(ablation) + beta * (1 - norm(change))`` with ``alpha > beta``, the ablation
sensitivity weighing more (the paper's form). The paper's own alpha and beta were not in the text we could
read (the stored copy of arXiv 2509.16994 holds its opening sections only); dubkit uses ``alpha = 0.7``,
``beta = 0.3`` (:data:`RELEVANCE_ALPHA`, :data:`RELEVANCE_BETA`), which keep ``alpha > beta`` and sum to 1
so a relevance lies in [0, 1]. See docs/fidelity.md.

>>> import numpy as np
>>> abl, change, on = np.array([[0.9, 0.5, 0.1]]), np.array([[0.9, 0.1, 0.5]]), np.ones((1, 3), bool)
>>> combine_relevance(abl, change, on).round(3).tolist()
[[0.7, 0.65, 0.15]]
"""

from __future__ import annotations

import numpy as np
import torch

from evaluator.dubscore.network import FusionNetwork
from evaluator.errors import ConfigError

#: weight of the normalised ablation sensitivity (the paper's alpha; alpha > beta)
RELEVANCE_ALPHA = 0.7
#: weight of one minus the normalised feature change (the paper's beta)
RELEVANCE_BETA = 0.3


def _minmax(x: np.ndarray, active: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    for i in range(len(x)):
        a = active[i]
        if not a.any():
            continue
        v = x[i, a]
        span = v.max() - v.min()
        out[i, a] = (v - v.min()) / span if span > 1e-12 else 1.0
    return out


def combine_relevance(
    ablation: np.ndarray,
    change: np.ndarray,
    active: np.ndarray,
    alpha: float = RELEVANCE_ALPHA,
    beta: float = RELEVANCE_BETA,
) -> np.ndarray:
    """``alpha * norm(ablation) + beta * (1 - norm(change))`` per clip over its active modalities (0 elsewhere);
    each estimate is min-max normalised across the clip's active modalities (a constant one normalises to 1, so
    ``1 - norm(change)`` is then 0 for every modality and the ablation decides)."""
    if not (alpha > beta >= 0):
        raise ConfigError(f"relevance weights need alpha > beta >= 0, got alpha={alpha}, beta={beta}", param="alpha")
    active = np.asarray(active, bool)
    abl, chg = np.asarray(ablation, np.float64), np.asarray(change, np.float64)
    combined = alpha * _minmax(abl, active) + beta * (1.0 - _minmax(chg, active))
    return np.clip(combined, 0.0, alpha + beta) * active


@torch.no_grad()
def modality_relevance(
    model: FusionNetwork, feats: dict[str, torch.Tensor], present: dict[str, torch.Tensor]
) -> dict[str, np.ndarray]:
    """``ablation``, ``change`` and ``relevance`` ``(B, M)`` arrays (columns in ``model.modalities``)."""
    model.eval()
    base = model(feats, present)
    active = base.modality_mask.cpu().numpy()
    abl = np.zeros(active.shape)
    for j, m in enumerate(model.modalities):
        out = model(feats, present, off={m})
        abl[:, j] = (base.score - out.score).abs().cpu().numpy()
    din, dout = base.modality_in, base.modality_out
    change = ((dout - din).norm(dim=-1) / din.norm(dim=-1).clamp_min(1e-6)).cpu().numpy()
    abl, change = abl * active, change * active
    return {"ablation": abl, "change": change, "relevance": combine_relevance(abl, change, active), "active": active}
