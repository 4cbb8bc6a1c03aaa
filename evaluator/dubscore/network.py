"""The DubScore fusion networks.

``dubscore`` (hierarchical, after the DubScore reference design): every cue vector is normalised and
projected to the model width (by default a linear map with a residual bottleneck adapter; with
``projection="lora"`` the paper's form, a linear projection adapted by LoRA, :class:`LoRAProjection`), gated by
attention over the cues of its modality (intra-modal attention), scaled by a modality reliability gate, and the
modality vectors (plus a learned summary token) go through a 3-layer, 4-head transformer encoder; the summary
token's output feeds a regression head with a sigmoid, predicting DubScore on [0, 1] (rescaled to the MOS
range by the caller).

``avfusion`` (Attentive AV-FusionNet): every cue is projected to the model width (512 by default, the paper's)
by a linear map and a GELU; audio and video cue tokens attend to each other with bidirectional multi-head
cross-attention, whose outputs replace the tokens (no residual connection or LayerNorm around it, as in the
paper); self-attention then runs over the joint tokens (text cue tokens join here when text is on, a dubkit
extension: the paper has audio and video only) and a shallow head predicts the score.

Both take ``feats`` (cue name -> ``(B, dim)`` tensor) and ``present`` (cue name -> ``(B,)`` bool) and
accept ``off``: modalities to switch off (the ablation and relevance estimates use it). A modality
with no present cue is masked, so any subset of A, V, T works at training and at inference.

>>> import torch
>>> net = DubScoreNet({"a": 4, "v": 3}, {"a": "A", "v": "V"}, hidden=16)
>>> out = net({"a": torch.zeros(2, 4), "v": torch.zeros(2, 3)}, {"a": torch.ones(2, dtype=torch.bool),
...           "v": torch.ones(2, dtype=torch.bool)})
>>> tuple(out.score.shape), tuple(out.modality_in.shape)
((2,), (2, 2, 16))
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn

from evaluator.dubscore.config import HEAD_PROJECTION, HEAD_WIDTH, PROJECTIONS

MODALITY_ORDER = ("A", "V", "T")


@dataclass
class FusionOutput:
    score: torch.Tensor  # (B,) in [0, 1]
    modality_in: torch.Tensor  # (B, M, H) modality vectors before fusion
    modality_out: torch.Tensor  # (B, M, H) after fusion
    modality_mask: torch.Tensor  # (B, M) True where the modality is present and on
    gates: torch.Tensor  # (B, M) reliability gates (ones for avfusion)
    cue_weights: dict[str, torch.Tensor]  # modality -> (B, n_cues) attention weights


#: probability levels of the per-feature quantile grid of a quantile-normalised cue
QUANTILE_LEVELS = 33


def quantile_transform(x: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Each column of ``x`` ``(B, d)`` through the empirical CDF its ``grid`` ``(K, d)`` of quantiles describes
    (linear between grid points, ties at their mid level, clamped to [0, 1]), centred and scaled to unit
    variance (a uniform variable has variance 1/12).

    >>> g = torch.linspace(0, 1, 5)[:, None]
    >>> [round(v, 3) for v in quantile_transform(torch.tensor([[0.0], [0.5], [2.0]]), g).squeeze(1).tolist()]
    [-1.732, 0.0, 1.732]
    """
    k = grid.shape[0]
    g, xt = grid.T.contiguous(), x.T.contiguous()

    def limit(side: str, tied: float) -> torch.Tensor:  # left/right limit of the CDF (as proxy.mid_cdf)
        idx = torch.searchsorted(g, xt, side=side).clamp(1, k - 1)
        lo, hi = g.gather(1, idx - 1), g.gather(1, idx)
        span = hi - lo
        frac = torch.where(span > 0, ((xt - lo) / span.clamp_min(1e-12)).clamp(0.0, 1.0), torch.full_like(xt, tied))
        frac = torch.where(xt > hi, torch.ones_like(xt), torch.where(xt < lo, torch.zeros_like(xt), frac))
        return (idx - 1 + frac) / (k - 1)

    u = (limit("left", 0.0) + limit("right", 1.0)) / 2
    constant = (g[:, -1] == g[:, 0])[:, None]  # a feature constant in training carries nothing: its mid value
    u = torch.where(constant, torch.full_like(u, 0.5), u)
    return ((u - 0.5) * 12**0.5).T


class CueProjection(nn.Module):
    """Normalise (standardise, or with ``quantile`` map each feature through its training quantiles; buffers set
    from training data), optionally reduce (PCA basis), then project to ``hidden`` by ``kind`` (:data:`PROJECTIONS`):
    ``adapter`` (linear, LayerNorm, residual bottleneck adapter), ``lora`` (:class:`LoRAProjection` of rank
    ``rank``) or ``gelu`` (linear then GELU)."""

    def __init__(
        self,
        dim: int,
        hidden: int,
        bottleneck: int = 16,
        dropout: float = 0.1,
        reduce: int = 0,
        quantile: bool = False,
        kind: str = "adapter",
        rank: int = 8,
    ) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))
        self.quantile = quantile
        if quantile:  # heavy-tailed scalar cues (metrics, statistics): rank-based, robust to scale and outliers
            self.register_buffer("grid", torch.linspace(-1, 1, QUANTILE_LEVELS)[:, None].repeat(1, dim))
        self.reduced = 0 < reduce < dim
        if self.reduced:  # fixed projection onto the training data's principal axes (set with the normalisation)
            self.register_buffer("basis", torch.eye(dim)[:, :reduce].contiguous())
        n_in = reduce if self.reduced else dim
        self.kind = kind
        if kind == "adapter":
            self.proj = nn.Sequential(nn.Dropout(dropout), nn.Linear(n_in, hidden), nn.LayerNorm(hidden))
            self.adapter = nn.Sequential(nn.Linear(hidden, bottleneck), nn.GELU(), nn.Linear(bottleneck, hidden))
        elif kind == "lora":
            self.proj = nn.Sequential(nn.Dropout(dropout), LoRAProjection(n_in, hidden, rank=rank, dropout=dropout))
        elif kind == "gelu":
            self.proj = nn.Sequential(nn.Dropout(dropout), nn.Linear(n_in, hidden), nn.GELU())
        else:
            from evaluator.errors import ConfigError

            raise ConfigError(f"unknown cue projection {kind!r}", hint=f"use one of {', '.join(PROJECTIONS)}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = quantile_transform(x, self.grid) if self.quantile else (x - self.mean) / self.std
        if self.reduced:
            z = z @ self.basis
        h = self.proj(z)
        return h + self.adapter(h) if self.kind == "adapter" else h


class LoRAProjection(nn.Module):
    """The DubScore paper's cue projection: a linear map to the model width whose weights stay as initialised
    (frozen) while a peft LoRA adapter of rank ``rank`` (alpha ``2 * rank``) on it trains.

    >>> p = LoRAProjection(8, 4, rank=2)
    >>> sorted(n.split(".")[-2] for n, q in p.named_parameters() if q.requires_grad)
    ['default', 'default']
    >>> tuple(p(torch.zeros(3, 8)).shape)
    (3, 4)
    """

    def __init__(self, dim: int, hidden: int, rank: int = 8, dropout: float = 0.0) -> None:
        super().__init__()
        try:
            from peft import LoraConfig, inject_adapter_in_model
        except ImportError:
            from evaluator.errors import MissingDependencyError

            raise MissingDependencyError("peft (LoRA projections)", install="pip install peft==0.21.2") from None
        self.linear = nn.Linear(dim, hidden)
        cfg = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=dropout, target_modules=["linear"])
        inject_adapter_in_model(cfg, self)
        for name, p in self.named_parameters():
            p.requires_grad_("lora_" in name)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)


class FusionNetwork(nn.Module):
    """What the DubScore heads share: per-cue projections (optionally reduced and quantile-normalised), the
    modality layout and the label range; :class:`DubScoreNet` and :class:`AVFusionNet` add their fusion."""

    def __init__(
        self,
        cue_dims: dict[str, int],
        cue_modality: dict[str, str],
        hidden: int,
        dropout: float,
        reduce_dims: int = 0,
        quantile_dims: int = 0,
        projection: str = "adapter",
        proj_rank: int = 8,
    ) -> None:
        super().__init__()
        self.cue_dims = dict(cue_dims)
        self.cue_modality = dict(cue_modality)
        self.modalities = [m for m in MODALITY_ORDER if m in self.cue_modality.values()]
        self.cues_of = {m: [c for c in self.cue_dims if self.cue_modality[c] == m] for m in self.modalities}
        self.hidden = hidden
        self.reduce_dims = reduce_dims
        self.quantile_dims = quantile_dims  # cues this narrow or narrower are quantile-normalised
        self.projection = projection
        self.proj = nn.ModuleDict(
            {
                c: CueProjection(d, hidden, dropout=dropout, reduce=reduce_dims, quantile=d <= quantile_dims,
                                 kind=projection, rank=proj_rank)
                for c, d in self.cue_dims.items()
            }
        )  # fmt: skip

    def set_normalisation(
        self,
        mean: dict[str, torch.Tensor],
        std: dict[str, torch.Tensor],
        basis: dict[str, torch.Tensor] | None = None,
        grid: dict[str, torch.Tensor] | None = None,
    ) -> None:
        """Standardisation per cue, for cues wider than ``reduce_dims`` the PCA basis ``(dim, reduce_dims)``, and
        for quantile-normalised cues their quantile grid ``(QUANTILE_LEVELS, dim)``."""
        for c, p in self.proj.items():
            p.mean.copy_(mean[c])
            p.std.copy_(std[c].clamp_min(1e-4))
            if p.reduced and basis is not None:
                p.basis.copy_(basis[c])
            if p.quantile and grid is not None:
                p.grid.copy_(grid[c])

    def _tokens(
        self, feats: dict[str, torch.Tensor], present: dict[str, torch.Tensor], modality: str, off: set[str]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Projected cue tokens ``(B, n, H)`` of ``modality`` and their mask ``(B, n)`` (False when off)."""
        names = self.cues_of[modality]
        toks = torch.stack([self.proj[c](feats[c].float()) for c in names], dim=1)
        mask = torch.stack([present[c].bool() for c in names], dim=1)
        if modality in off:
            mask = torch.zeros_like(mask)
        return toks, mask


def _masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    scores = scores.masked_fill(~mask, float("-inf"))
    w = torch.softmax(scores, dim=-1)
    return torch.nan_to_num(w, nan=0.0) * mask


class DubScoreNet(FusionNetwork):
    """Hierarchical fusion: cue adapters -> intra-modal attention gating -> reliability gates -> transformer."""

    head_name = "dubscore"

    def __init__(
        self,
        cue_dims: dict[str, int],
        cue_modality: dict[str, str],
        *,
        hidden: int = 128,
        layers: int = 3,
        heads: int = 4,
        dropout: float = 0.1,
        reduce_dims: int = 0,
        quantile_dims: int = 0,
        projection: str = "adapter",
        proj_rank: int = 8,
    ) -> None:
        super().__init__(cue_dims, cue_modality, hidden, dropout, reduce_dims, quantile_dims, projection, proj_rank)
        self.attn = nn.ModuleDict(
            {m: nn.Sequential(nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1)) for m in self.modalities}
        )
        self.reliability = nn.ModuleDict({m: nn.Linear(hidden, 1) for m in self.modalities})
        self.modality_embed = nn.Parameter(torch.zeros(len(self.modalities), hidden))
        self.summary = nn.Parameter(torch.zeros(1, 1, hidden))
        layer = nn.TransformerEncoderLayer(hidden, heads, 2 * hidden, dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        half = hidden // 2
        self.head = nn.Sequential(
            nn.LayerNorm(hidden), nn.Linear(hidden, half), nn.GELU(), nn.Dropout(dropout), nn.Linear(half, 1)
        )

    def forward(
        self, feats: dict[str, torch.Tensor], present: dict[str, torch.Tensor], off: Iterable[str] = ()
    ) -> FusionOutput:
        off = set(off)
        vecs, masks, gates, weights = [], [], [], {}
        for m in self.modalities:
            toks, mask = self._tokens(feats, present, m, off)
            w = _masked_softmax(self.attn[m](toks).squeeze(-1), mask)
            vec = (w.unsqueeze(-1) * toks).sum(dim=1)
            g = torch.sigmoid(self.reliability[m](vec)).squeeze(-1)
            vecs.append(vec * g.unsqueeze(-1))
            masks.append(mask.any(dim=1))
            gates.append(g)
            weights[m] = w
        mod_in = torch.stack(vecs, dim=1)
        mod_mask = torch.stack(masks, dim=1)
        b = mod_in.shape[0]
        x = torch.cat([self.summary.expand(b, -1, -1), mod_in + self.modality_embed], dim=1)
        pad = torch.cat([torch.zeros(b, 1, dtype=torch.bool, device=x.device), ~mod_mask], dim=1)
        y = self.encoder(x, src_key_padding_mask=pad)
        score = torch.sigmoid(self.head(y[:, 0]).squeeze(-1))
        return FusionOutput(score, mod_in, y[:, 1:], mod_mask, torch.stack(gates, dim=1), weights)


class AVFusionNet(FusionNetwork):
    """Bidirectional A<->V cross-attention (its outputs replace the tokens), then self-attention over the joint
    tokens, then a shallow head; cues projected by a linear map and a GELU to 512 by default."""

    head_name = "avfusion"

    def __init__(
        self,
        cue_dims: dict[str, int],
        cue_modality: dict[str, str],
        *,
        hidden: int = HEAD_WIDTH["avfusion"],
        heads: int = 4,
        dropout: float = 0.1,
        layers: int = 1,
        reduce_dims: int = 0,
        quantile_dims: int = 0,
        projection: str = HEAD_PROJECTION["avfusion"],
        proj_rank: int = 8,
    ) -> None:
        super().__init__(cue_dims, cue_modality, hidden, dropout, reduce_dims, quantile_dims, projection, proj_rank)
        self.a2v = nn.MultiheadAttention(hidden, heads, dropout=dropout, batch_first=True)
        self.v2a = nn.MultiheadAttention(hidden, heads, dropout=dropout, batch_first=True)
        self.modality_embed = nn.Parameter(torch.zeros(len(self.modalities), hidden))
        self.summary = nn.Parameter(torch.zeros(1, 1, hidden))
        layer = nn.TransformerEncoderLayer(hidden, heads, 2 * hidden, dropout, batch_first=True, norm_first=True)
        self.self_attn = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, 1))

    @staticmethod
    def _cross(attn: nn.MultiheadAttention, q: torch.Tensor, kv: torch.Tensor, kv_mask: torch.Tensor) -> torch.Tensor:
        """Cross-attention of ``q`` over ``kv``; rows whose keys are all absent keep ``q`` (nothing to attend to)."""
        any_key = kv_mask.any(dim=1)
        safe = kv_mask | ~any_key.unsqueeze(1)
        out, _ = attn(q, kv, kv, key_padding_mask=~safe)
        return torch.where(any_key.view(-1, 1, 1), out, q)

    def forward(
        self, feats: dict[str, torch.Tensor], present: dict[str, torch.Tensor], off: Iterable[str] = ()
    ) -> FusionOutput:
        off = set(off)
        toks = {m: self._tokens(feats, present, m, off) for m in self.modalities}
        b = next(iter(toks.values()))[0].shape[0]
        fused = {m: t for m, (t, _) in toks.items()}
        if "A" in toks and "V" in toks:
            (a, am), (v, vm) = toks["A"], toks["V"]
            fused["A"] = self._cross(self.a2v, a, v, vm)  # the paper's X_a' = CrossAttn(X_a, X_v): no residual, no LN
            fused["V"] = self._cross(self.v2a, v, a, am)
        parts = [self.summary.expand(b, -1, -1)]
        pads = [torch.zeros(b, 1, dtype=torch.bool, device=parts[0].device)]
        spans = {}
        start = 1
        for i, m in enumerate(self.modalities):
            parts.append(fused[m] + self.modality_embed[i])
            pads.append(~toks[m][1])
            spans[m] = (start, start + fused[m].shape[1])
            start += fused[m].shape[1]
        y = self.self_attn(torch.cat(parts, dim=1), src_key_padding_mask=torch.cat(pads, dim=1))
        score = torch.sigmoid(self.head(y[:, 0]).squeeze(-1))

        def pooled(t: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            w = mask.float().unsqueeze(-1)
            return (t * w).sum(1) / w.sum(1).clamp_min(1.0)

        mod_in = torch.stack([pooled(*toks[m]) for m in self.modalities], dim=1)
        mod_out = torch.stack([pooled(y[:, spans[m][0] : spans[m][1]], toks[m][1]) for m in self.modalities], dim=1)
        mod_mask = torch.stack([toks[m][1].any(dim=1) for m in self.modalities], dim=1)
        return FusionOutput(score, mod_in, mod_out, mod_mask, torch.ones_like(mod_mask, dtype=torch.float), {})


HEADS = {"dubscore": DubScoreNet, "avfusion": AVFusionNet}


def build_network(
    head: str, cue_dims: dict[str, int], cue_modality: dict[str, str], **kw: int | float | str
) -> FusionNetwork:
    from evaluator.errors import ConfigError

    if head not in HEADS:
        raise ConfigError(f"unknown DubScore head {head!r}", hint=f"choose one of {', '.join(HEADS)}")
    return HEADS[head](cue_dims, cue_modality, **kw)
