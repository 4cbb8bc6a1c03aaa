"""Graph attention over the stage graphs, and hierarchical cross-attention from speech to the stages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn
from torch_geometric.nn import GATConv

from dubber.synth.f5.graph import MODALITIES, EmotionGraphs


class StageEncoder(nn.Module):
    """A stack of GATConv layers (multi-head, concatenated, with residuals and layer norm)."""

    def __init__(self, dim: int, heads: int = 4, layers: int = 2) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} must be divisible by heads {heads}")
        self.convs = nn.ModuleList(GATConv(dim, dim // heads, heads=heads, add_self_loops=True) for _ in range(layers))
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(layers))

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        for conv, norm in zip(self.convs, self.norms, strict=False):
            x = norm(x + torch.nn.functional.elu(conv(x, edge_index)))
        return x


class ProgressiveGraphEncoder(nn.Module):
    """Encodes the three stage graphs progressively, each with its own graph attention encoder.

    Stage k holds the nodes of stage k-1 first (in the same order) and adds its own: those shared nodes
    enter stage k with the states stage k-1 gave them, the new ones with their modality projection.
    So the direct stage reads what the basic and indirect stages learned, as Authentic-Dubber's
    progressive graph does. ``modality_dims`` gives the feature width of each modality (``scene``,
    ``face``, ``text``, ``audio``). Returns, per stage, the node embeddings [num_nodes, dim].
    """

    def __init__(self, modality_dims: Mapping[str, int], dim: int = 256, heads: int = 4, layers: int = 2) -> None:
        super().__init__()
        unknown = set(modality_dims) - set(MODALITIES)
        if unknown:
            raise ValueError(f"unknown modalities {sorted(unknown)}; use {MODALITIES}")
        self.dim = dim
        self.modality_dims = dict(modality_dims)
        self.proj = nn.ModuleDict({m: nn.Linear(d, dim) for m, d in modality_dims.items()})
        self.stages = nn.ModuleList(StageEncoder(dim, heads, layers) for _ in range(3))

    def embed_nodes(self, graph) -> torch.Tensor:
        device = next(self.parameters()).device
        x = graph.x.to(device)
        out = torch.zeros(x.shape[0], self.dim, device=device, dtype=x.dtype)
        for idx, m in enumerate(MODALITIES):
            sel = (graph.modality == idx).to(device)
            if not bool(sel.any()):
                continue
            if m not in self.proj:
                raise ValueError(f"the graph has {m} nodes but the encoder has no {m} projection")
            width = self.modality_dims[m]
            dims = graph.dims.to(device)[sel]
            if bool((dims != width).any()):
                raise ValueError(f"{m} features must be {width}-d, got {sorted(set(dims.tolist()))}")
            out[sel] = self.proj[m](x[sel, :width])
        return out

    def forward(self, graphs: EmotionGraphs) -> list[torch.Tensor]:
        device = next(self.parameters()).device
        out: list[torch.Tensor] = []
        previous = None
        for enc, g in zip(self.stages, graphs.stages, strict=False):
            x = self.embed_nodes(g)
            if previous is not None:
                shared = previous.num_nodes
                if not torch.equal(g.modality[:shared], previous.modality) or not torch.equal(
                    g.source[:shared], previous.source
                ):
                    raise ValueError("a stage graph must start with the previous stage's nodes, in order")
                x = torch.cat([out[-1], x[shared:]], dim=0)
            out.append(enc(x, g.edge_index.to(device)))
            previous = g
        return out


def pad_stage_nodes(per_line: Sequence[Sequence[torch.Tensor]]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Batch the per-line stage outputs: per stage, nodes [b, k_max, dim] and a mask [b, k_max] (True = node)."""
    n_stages = len(per_line[0])
    out = []
    for s in range(n_stages):
        nodes = [line[s] for line in per_line]
        k = max(n.shape[0] for n in nodes)
        batch = nodes[0].new_zeros(len(nodes), k, nodes[0].shape[1])
        mask = torch.zeros(len(nodes), k, dtype=torch.bool, device=nodes[0].device)
        for i, n in enumerate(nodes):
            batch[i, : n.shape[0]] = n
            mask[i, : n.shape[0]] = True
        out.append((batch, mask))
    return out


class HierarchicalCrossAttention(nn.Module):
    """Speech hidden states query the basic, indirect and direct stage nodes in turn.

    ``forward(h, stages)`` returns the increment to add to ``h`` ([b, n, dim]); ``stages`` is a list of
    (nodes [b, k, kv_dim], mask [b, k]). A line with no node at a stage gets no update from it.
    """

    def __init__(self, dim: int, kv_dim: int, heads: int = 4, n_stages: int = 3) -> None:
        super().__init__()
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(n_stages))
        self.attn = nn.ModuleList(
            nn.MultiheadAttention(dim, heads, kdim=kv_dim, vdim=kv_dim, batch_first=True) for _ in range(n_stages)
        )

    def forward(self, h: torch.Tensor, stages: Sequence[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        if len(stages) > len(self.attn):
            raise ValueError(f"{len(stages)} stages given, the module has {len(self.attn)}")
        start = h
        for norm, attn, (nodes, mask) in zip(self.norms, self.attn, stages, strict=False):
            mask = mask.to(h.device)
            has = mask.any(dim=1)
            safe = mask.clone()
            safe[~has, 0] = True  # a fully masked row would give NaN; its update is zeroed below
            upd, _ = attn(norm(h), nodes.to(h.device, h.dtype), nodes.to(h.device, h.dtype), key_padding_mask=~safe)
            h = h + torch.where(has.view(-1, 1, 1), upd, torch.zeros_like(upd))
        return h - start
