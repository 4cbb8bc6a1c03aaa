"""Per-clip modality relevance: which of A, V, T the score leaned on.

Two estimates, each min-max normalised across the clip's active modalities, then averaged:

- ablation sensitivity: ``|f(x) - f(x with modality m switched off)|``;
- feature change norm: ``||fused_m - input_m|| / ||input_m||``, how much fusion moved modality m.
"""

from __future__ import annotations

import numpy as np
import torch

from evaluator.dubscore.network import FusionNetwork


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
    combined = 0.5 * (_minmax(abl, active) + _minmax(change, active))
    return {"ablation": abl, "change": change, "relevance": combined * active, "active": active}
