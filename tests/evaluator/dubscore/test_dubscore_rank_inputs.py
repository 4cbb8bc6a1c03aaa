"""Rank-based pieces of DubScore: the quantile proxy normaliser, quantile-normalised cue inputs, the pairwise
ranking loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from evaluator.dubscore.features import FeatureTable
from evaluator.dubscore.losses import head_loss, ranking_loss
from evaluator.dubscore.network import quantile_transform
from evaluator.dubscore.proxy import Normaliser, ProxyWeights, mid_cdf
from evaluator.dubscore.training import TrainConfig, fit, predict


def test_quantile_normaliser_is_the_oriented_mid_rank_cdf() -> None:
    wer = np.array([0.0, 0.0, 0.0, 0.1, 0.5, 1.0])  # lower is better; half the clips tie at 0
    norm = Normaliser.fit(wer[:, None], ["wer"])
    assert norm.kind == "quantile"
    z = norm.transform(wer[:, None])[:, 0]
    assert z[0] == z[1] == z[2] == pytest.approx(0.8)  # the tie sits in the middle of its level range (0.6..1)
    assert z[2] > z[3] > z[4] > z[5] == pytest.approx(0.0)
    # new clips map through the stored grid: between grid points linearly, worse than all 0, better 1, missing 0.5
    new = norm.transform(np.array([[0.3], [2.0], [-1.0], [np.nan]]))[:, 0]
    assert z[4] < new[0] < z[3] and new[1] == 0.0 and new[2] == 1.0 and new[3] == 0.5
    # a scale change of the metric does not change the mapping of the same clips
    dnsmos = np.array([[2.1], [3.7], [2.9], [4.4]])
    a = Normaliser.fit(dnsmos, ["dnsmos_ovrl"]).transform(dnsmos)
    b = Normaliser.fit(dnsmos * 10 - 3, ["dnsmos_ovrl"]).transform(dnsmos * 10 - 3)
    np.testing.assert_allclose(a, b)
    assert np.argsort(a[:, 0]).tolist() == [0, 2, 1, 3]  # higher is better: order kept


def test_mid_cdf_of_a_constant_metric_is_uninformative() -> None:
    assert mid_cdf(np.array([1.0, 5.0]), np.full(101, 3.0)).tolist() == [0.5, 0.5]


def test_proxy_weights_keep_their_normaliser_through_a_file(tmp_path) -> None:
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.random(60), rng.random(60) * 10])
    y = 1 + 4 * (0.7 * x[:, 0] + 0.03 * (10 - x[:, 1]))
    p = ProxyWeights.learn(x, y, ["semantic_sim", "mcd"])
    p.save(tmp_path / "w.json")
    q = ProxyWeights.load(tmp_path / "w.json")
    assert q.normaliser.kind == "quantile" and len(q.normaliser.grid[0]) == 101
    np.testing.assert_allclose(q.mos(x), p.mos(x))
    old = p.to_dict()
    old["normaliser"] = {k: old["normaliser"][k] for k in ("names", "bad", "good")}  # a file from before `kind`
    assert ProxyWeights.from_dict(old).normaliser.kind == "linear"


def test_quantile_transform_matches_the_numpy_mid_cdf() -> None:
    rng = np.random.default_rng(2)
    col = rng.exponential(size=200)  # heavy tail, and a fifth of the clips tie at 0
    col[:40] = 0.0
    levels = np.linspace(0, 1, 33)
    grid = np.quantile(col, levels)
    v = np.array([-1.0, 0.0, 0.4, 1.0, 3.0, 50.0])
    got = quantile_transform(torch.as_tensor(v[:, None], dtype=torch.float32), torch.as_tensor(grid[:, None]).float())
    expect = (mid_cdf(v, grid, levels) - 0.5) * np.sqrt(12)
    np.testing.assert_allclose(got[:, 0].numpy(), expect, atol=1e-5)


def _heavy_table(n: int = 64) -> tuple[FeatureTable, np.ndarray]:
    rng = np.random.default_rng(3)
    s = rng.random(n)
    heavy = np.exp(6 * s)[:, None] + rng.normal(scale=0.01, size=(n, 1))  # signal spans 3 orders of magnitude
    wide = rng.normal(size=(n, 40))
    cues = {"metric": heavy.astype(np.float32), "emb": wide.astype(np.float32)}
    ids = {"metric": "enc-metric", "emb": "enc-emb"}
    table = FeatureTable([f"c{i}" for i in range(n)], cues, {k: np.ones(n, bool) for k in cues}, ids,
                         modality={"metric": "A", "emb": "A"})  # fmt: skip
    return table, 1 + 4 * s


def test_quantile_inputs_apply_to_narrow_cues_only_and_survive_a_checkpoint(tmp_path) -> None:
    from evaluator.dubscore.checkpoint import load_checkpoint, save_checkpoint

    table, y = _heavy_table()
    cfg = TrainConfig(hidden=16, epochs=2, modalities=("A",), quantile_dims=16, mc_samples=0)
    model = fit(table, y, cfg)
    assert model.proj["metric"].quantile and not model.proj["emb"].quantile
    g = model.proj["metric"].grid.numpy()[:, 0]
    np.testing.assert_allclose(g, np.quantile(table.cues["metric"][:, 0], np.linspace(0, 1, 33)), rtol=1e-5)
    save_checkpoint(tmp_path / "m.pt", model, cfg, encoder_ids=table.encoder_ids, profile="offline")
    ck = load_checkpoint(tmp_path / "m.pt", table.encoder_ids)
    assert ck.model.proj["metric"].quantile
    np.testing.assert_allclose(predict(ck.model, table, ck.config)[0], predict(model, table, cfg)[0], atol=1e-6)


def test_ranking_loss_counts_wrongly_ordered_pairs_by_their_label_gap() -> None:
    t = torch.tensor([0.1, 0.5, 0.9])
    right, wrong = ranking_loss(t.clone(), t), ranking_loss(t.flip(0), t)
    assert wrong > 5 * right
    # a swap of two nearly tied labels costs less than a swap of far apart ones
    near = ranking_loss(torch.tensor([0.5, 0.49, 0.9]), torch.tensor([0.49, 0.5, 0.9]))
    far = ranking_loss(torch.tensor([0.9, 0.5, 0.1]), torch.tensor([0.1, 0.5, 0.9]))
    assert near < far
    assert float(ranking_loss(torch.tensor([0.2, 0.8]), torch.tensor([0.5, 0.5]))) == 0.0  # no ordered pair
    p = torch.tensor([0.9, 0.1], requires_grad=True)  # wrong order: the gradient pulls them apart the right way
    ranking_loss(p, torch.tensor([0.0, 1.0])).backward()
    assert p.grad[0] > 0 and p.grad[1] < 0
    mse = head_loss("dubscore", p.detach(), torch.tensor([0.0, 1.0]), 0.6)
    both = head_loss("dubscore", p.detach(), torch.tensor([0.0, 1.0]), 0.6, rank_weight=0.5)
    assert float(both - mse) == pytest.approx(0.5 * float(ranking_loss(p.detach(), torch.tensor([0.0, 1.0]))))
