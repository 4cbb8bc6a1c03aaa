"""The progressive emotion graph: nodes and edges per stage, and the encoders run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dubber.synth.f5.graph import MODALITIES, build_emotion_graphs
from dubber.synth.f5.graph_encoder import HierarchicalCrossAttention, ProgressiveGraphEncoder, pad_stage_nodes

DIMS = {"scene": 8, "face": 7, "text": 6, "audio": 5}
rng = np.random.default_rng(0)


def _item(with_audio: bool = True) -> dict:
    item = {m: rng.normal(size=DIMS[m]) for m in ("scene", "face", "text")}
    if with_audio:
        item["audio"] = rng.normal(size=DIMS["audio"])
    return item


def _edges(data) -> set[tuple[int, int]]:
    return set(map(tuple, data.edge_index.t().tolist()))


def test_stage_nodes_and_edges():
    g = build_emotion_graphs(_item(False), [_item(), _item(), _item(with_audio=False)])
    s1, s2, s3 = g.stages
    assert [s.num_nodes for s in g.stages] == [3, 3 + 9, 3 + 9 + 2]
    # stage 1: target scene, face, text connected pairwise (both directions)
    assert _edges(s1) == {(a, b) for a in range(3) for b in range(3) if a != b}
    assert s1.source.tolist() == [-1, -1, -1]
    # stage 2: each retrieved node linked to the target node of the same modality only
    new = _edges(s2) - _edges(s1)
    assert len(new) == 2 * 9
    for a, b in new:
        assert s2.modality[a] == s2.modality[b]
        assert -1 in (int(s2.source[a]), int(s2.source[b]))
    # stage 3: audio nodes of references 0 and 1 (reference 2 has none), linked to own clip and target
    audio = [i for i in range(s3.num_nodes) if MODALITIES[int(s3.modality[i])] == "audio"]
    assert [int(s3.source[i]) for i in audio] == [0, 1]
    for a in audio:
        nbrs = {b for x, b in _edges(s3) if x == a}
        assert {int(s3.source[b]) for b in nbrs} == {-1, int(s3.source[a])}
        assert len(nbrs) == 6
    assert s3.num_edges == s2.num_edges + 2 * 2 * 6
    assert g.n_retrieved == 3


def test_without_library_all_stages_are_the_base_graph():
    g = build_emotion_graphs({"scene": np.ones(8), "face": None, "text": np.ones(6)}, [])
    assert [s.num_nodes for s in g.stages] == [2, 2, 2]
    assert [s.num_edges for s in g.stages] == [2, 2, 2]
    with pytest.raises(ValueError, match="at least one"):
        build_emotion_graphs({}, [])
    with pytest.raises(ValueError, match="not finite"):
        build_emotion_graphs({"scene": [np.nan]}, [])


def test_encoders_run_and_feed_cross_attention():
    torch.manual_seed(0)
    enc = ProgressiveGraphEncoder(DIMS, dim=16, heads=4).eval()
    target = _item(False)
    full = enc(build_emotion_graphs(target, [_item(), _item()]))
    base = enc(build_emotion_graphs(target, []))
    assert [tuple(x.shape) for x in full] == [(3, 16), (9, 16), (11, 16)]
    assert all(torch.isfinite(x).all() for x in full + base)
    # stage 1 holds the target alone: the same embeddings whether or not there are retrieved hits
    torch.testing.assert_close(full[0], base[0])
    # stage 2 links the target's nodes to the hits: the same encoder on the same target nodes now reads
    # neighbours, so their embeddings change (they would not if message passing ignored the hits)
    assert (full[1][:3] - base[1][:3]).abs().max() > 1e-3
    stages = pad_stage_nodes([full, base])
    assert stages[2][1].tolist()[1] == [True] * 3 + [False] * 8
    xattn = HierarchicalCrossAttention(32, 16, heads=4)
    h = torch.randn(2, 20, 32)
    upd = xattn(h, stages)
    assert upd.shape == h.shape and torch.isfinite(upd).all()
    # a line with no nodes at all gets no update
    empty = [(n, torch.zeros_like(m)) for n, m in stages]
    assert torch.equal(xattn(h, empty), torch.zeros_like(h))
    with pytest.raises(ValueError, match="features must be 8-d"):
        enc(build_emotion_graphs({"scene": np.ones(3)}, []))


def test_each_stage_reads_the_previous_stages_node_states():
    # Authentic-Dubber's graph is progressive: stage k starts from what stage k-1 computed. An earlier
    # encoder ran the three stages independently, so changing stage 1 changed nothing downstream.
    torch.manual_seed(0)
    enc = ProgressiveGraphEncoder(DIMS, dim=16, heads=4)
    graphs = build_emotion_graphs(_item(False), [_item(), _item()])
    before = [x.detach().clone() for x in enc(graphs)]
    with torch.no_grad():
        for p in enc.stages[0].parameters():
            p.add_(0.5)
    after = enc(graphs)
    assert not torch.allclose(before[0], after[0])
    assert not torch.allclose(before[1], after[1]) and not torch.allclose(before[2], after[2])
    # and stage 1 still ignores later stages
    with torch.no_grad():
        for p in enc.stages[2].parameters():
            p.add_(0.5)
    again = enc(graphs)
    assert torch.allclose(after[0], again[0]) and torch.allclose(after[1], again[1])
