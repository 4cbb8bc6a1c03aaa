"""The three stage graphs of the progressive emotion conditioner.

Stage 1, the basic emotion graph: the target clip's ``scene``, ``face`` and ``text`` nodes, connected
pairwise. Stage 2 adds, for every retrieved reference, its scene, face and text nodes, each linked to
the same-modality node of the target. Stage 3 adds the retrieved references' ``audio`` nodes, each
linked to its own reference's scene, face and text nodes and to the target's nodes (the emotion of
real speech reaches the target directly). Each stage holds the nodes of the stages before it.
Edges are stored in both directions. Without retrieved references, stages 2 and 3 equal stage 1.

>>> import numpy as np
>>> g = build_emotion_graphs({"scene": np.ones(4), "face": np.ones(2), "text": np.ones(3)}, [])
>>> [s.num_nodes for s in g.stages], [s.num_edges for s in g.stages]
([3, 3, 3], [6, 6, 6])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Data

#: node modalities, in index order (``Data.modality`` holds these indices)
MODALITIES = ("scene", "face", "text", "audio")
BASE_MODALITIES = ("scene", "face", "text")
TARGET = -1


@dataclass
class EmotionGraphs:
    """The stage graphs (basic, indirect, direct); ``Data.x`` is zero-padded to the widest feature."""

    stages: list[Data]

    @property
    def n_retrieved(self) -> int:
        return int(self.stages[-1].source.max().item()) + 1 if self.stages[-1].num_nodes else 0


def _vector(value: Any, what: str) -> torch.Tensor:
    arr = np.asarray(value, dtype=np.float32).reshape(-1)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{what}: feature vector is empty or not finite")
    return torch.from_numpy(arr.copy())


class _Builder:
    def __init__(self) -> None:
        self.feats: list[torch.Tensor] = []
        self.modality: list[int] = []
        self.source: list[int] = []
        self.edges: list[tuple[int, int]] = []

    def node(self, modality: str, source: int, value: Any, what: str) -> int:
        self.feats.append(_vector(value, what))
        self.modality.append(MODALITIES.index(modality))
        self.source.append(source)
        return len(self.feats) - 1

    def link(self, a: int, b: int) -> None:
        self.edges += [(a, b), (b, a)]

    def snapshot(self) -> Data:
        width = max(f.numel() for f in self.feats)
        x = torch.zeros(len(self.feats), width)
        for i, f in enumerate(self.feats):
            x[i, : f.numel()] = f
        edge_index = torch.tensor(self.edges, dtype=torch.long).t().reshape(2, -1)
        return Data(
            x=x,
            edge_index=edge_index,
            modality=torch.tensor(self.modality, dtype=torch.long),
            source=torch.tensor(self.source, dtype=torch.long),
            dims=torch.tensor([f.numel() for f in self.feats], dtype=torch.long),
        )


def build_emotion_graphs(target: Mapping[str, Any], retrieved: Sequence[Mapping[str, Any]]) -> EmotionGraphs:
    """Build the basic, indirect and direct graphs.

    ``target`` maps ``scene``/``face``/``text`` to feature vectors of the line's clip (a missing or None
    modality gets no node; at least one is needed). Each retrieved item may carry ``scene``, ``face``,
    ``text`` and ``audio`` vectors (for example the emotion vectors the retrieval library stores).
    """
    b = _Builder()
    base: dict[str, int] = {}
    for m in BASE_MODALITIES:
        if target.get(m) is not None:
            base[m] = b.node(m, TARGET, target[m], f"target {m}")
    if not base:
        raise ValueError("the target needs at least one of scene, face or text features")
    ids = list(base.values())
    for i, a in enumerate(ids):
        for c in ids[i + 1 :]:
            b.link(a, c)
    stages = [b.snapshot()]

    own: list[dict[str, int]] = []
    for j, item in enumerate(retrieved):
        nodes = {}
        for m in BASE_MODALITIES:
            if item.get(m) is not None:
                nodes[m] = b.node(m, j, item[m], f"retrieved #{j} {m}")
                if m in base:
                    b.link(nodes[m], base[m])
        own.append(nodes)
    stages.append(b.snapshot())

    for j, item in enumerate(retrieved):
        if item.get("audio") is None:
            continue
        a = b.node("audio", j, item["audio"], f"retrieved #{j} audio")
        for n in list(own[j].values()) + list(base.values()):
            b.link(a, n)
    stages.append(b.snapshot())
    return EmotionGraphs(stages)
