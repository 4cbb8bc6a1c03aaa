"""The fusion networks: shapes, gating, masking; the CCC loss; modality relevance."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from evaluator.dubscore.features import FeatureTable
from evaluator.dubscore.losses import ccc, ccc_rmse_loss
from evaluator.dubscore.network import build_network
from evaluator.dubscore.relevance import modality_relevance
from evaluator.dubscore.training import TrainConfig, cross_validate, fit, tensors

DIMS = {"a1": 6, "a2": 4, "v1": 5, "t1": 3}
MOD = {"a1": "A", "a2": "A", "v1": "V", "t1": "T"}


def _batch(b: int = 5, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    feats = {k: torch.randn(b, d, generator=g) for k, d in DIMS.items()}
    present = {k: torch.ones(b, dtype=torch.bool) for k in DIMS}
    return feats, present


@pytest.mark.parametrize("head", ["dubscore", "avfusion"])
def test_shapes_and_masked_modality_has_no_effect(head: str) -> None:
    net = build_network(head, DIMS, MOD, hidden=16).eval()
    feats, present = _batch()
    out = net(feats, present)
    assert out.score.shape == (5,)
    assert out.modality_in.shape == out.modality_out.shape == (5, 3, 16)
    assert torch.all((out.score > 0) & (out.score < 1))
    # switching V off: changing the video features no longer changes the score
    other = dict(feats, v1=feats["v1"] * 10 + 3)
    a = net(feats, present, off={"V"}).score
    b = net(other, present, off={"V"}).score
    assert torch.allclose(a, b, atol=1e-6)
    assert not torch.allclose(net(feats, present).score, net(other, present).score)
    # a cue absent for one clip masks its modality for that clip only
    present["v1"] = torch.tensor([False, True, True, True, True])
    out = net(feats, present)
    assert out.modality_mask[:, 1].tolist() == [False, True, True, True, True]
    # every modality off: the score no longer depends on the inputs
    none = net(feats, present, off={"A", "V", "T"}).score
    assert torch.allclose(none, none[0].expand(5), atol=1e-6)


def test_dubscore_gates() -> None:
    net = build_network("dubscore", DIMS, MOD, hidden=16).eval()
    feats, present = _batch()
    present["a2"] = torch.tensor([True, False, True, True, True])
    out = net(feats, present)
    w = out.cue_weights["A"]
    assert w.shape == (5, 2)
    assert torch.allclose(w.sum(dim=1), torch.ones(5), atol=1e-6)  # attention over a modality's cues sums to 1
    assert float(w[1, 1].detach()) == 0.0 and float(w[1, 0].detach()) == pytest.approx(  # noqa: E501
        1.0
    )  # an absent cue gets no weight
    assert out.gates.shape == (5, 3) and torch.all((out.gates > 0) & (out.gates < 1))


def test_ccc_math() -> None:
    rng = np.random.default_rng(0)
    p, t = rng.normal(size=50), rng.normal(size=50) + 0.3
    cov = np.mean((p - p.mean()) * (t - t.mean()))
    want = 2 * cov / (p.var() + t.var() + (p.mean() - t.mean()) ** 2)
    assert float(ccc(torch.tensor(p), torch.tensor(t))) == pytest.approx(want, rel=1e-6)
    x = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert float(ccc(x, x)) == pytest.approx(1.0)
    assert float(ccc(x + 1.0, x)) == pytest.approx(2 * 1.25 / (1.25 + 1.25 + 1.0))  # a bias lowers CCC, not PCC
    rmse = np.sqrt(np.mean((p - t) ** 2))
    loss = ccc_rmse_loss(torch.tensor(p), torch.tensor(t), 0.6)
    assert float(loss) == pytest.approx(0.6 * (1 - want) + 0.4 * rmse, rel=1e-5)


def _synthetic_table(n: int = 96, seed: int = 0) -> tuple[FeatureTable, np.ndarray]:
    """A carries the label (through a1), V and T are noise."""
    rng = np.random.default_rng(seed)
    a1 = rng.normal(size=(n, 6)).astype(np.float32)
    y = 3.0 + 0.9 * np.tanh(a1[:, 0] + 0.5 * a1[:, 1])
    cues = {"a1": a1, "a2": rng.normal(size=(n, 4)).astype(np.float32),
            "v1": rng.normal(size=(n, 5)).astype(np.float32), "t1": rng.normal(size=(n, 3)).astype(np.float32)}  # fmt: skip  # noqa: E501
    present = {k: np.ones(n, bool) for k in cues}
    ids = [f"c{i}" for i in range(n)]
    return FeatureTable(ids, cues, present, {k: f"test:{k}" for k in cues}, "test", dict(MOD)), y


@pytest.mark.parametrize("head", ["dubscore", "avfusion"])
def test_training_learns_and_relevance_ranks_signal_modality_first(head: str) -> None:
    table, y = _synthetic_table()
    # the paper's avfusion (GELU projections, no residual around cross-attention) needs more epochs at this width
    cfg = TrainConfig(head=head, hidden=16, epochs=20 if head == "dubscore" else 40, folds=2, mc_samples=2, lr=5e-3)
    cv = cross_validate(table, y, cfg)
    assert cv["overall"]["pcc"] > 0.8
    assert 0.5 < cv["picp"] <= 1.0 and len(cv["folds"]) == 2
    model = fit(table, y, cfg)
    rel = modality_relevance(model, *tensors(table))
    assert np.all((rel["relevance"] >= 0) & (rel["relevance"] <= 1))
    if head == "avfusion":
        # the paper's residual-free cross-attention makes the audio tokens attention over the video tokens: switching
        # video off changes what the audio path carries, so the ablation of V is large even when V is noise
        return
    a, v, t = rel["relevance"].mean(axis=0)
    assert a > v and a > t
    assert rel["ablation"][:, 0].mean() > 3 * rel["ablation"][:, 1].mean()


def test_relevance_is_the_papers_weighted_form_not_the_mean() -> None:
    """Eq. 8 of Attentive AV-FusionNet: alpha*norm(ablation) + beta*(1 - norm(change)), alpha > beta. Here the two
    forms rank differently: A has the largest ablation but fusion moved it most; V is almost as needed and kept."""
    from evaluator.dubscore.relevance import RELEVANCE_ALPHA, RELEVANCE_BETA, combine_relevance

    abl, change = np.array([[0.6, 0.5, 0.0]]), np.array([[1.0, 0.0, 0.5]])
    on = np.ones((1, 3), bool)
    rel = combine_relevance(abl, change, on)[0]
    assert RELEVANCE_ALPHA > RELEVANCE_BETA
    assert rel.argmax() == 1  # V; the old 0.5*norm(ablation) + 0.5*norm(change) put A first (1.0 vs 0.42)
    assert rel == pytest.approx([RELEVANCE_ALPHA, RELEVANCE_ALPHA * 5 / 6 + RELEVANCE_BETA, RELEVANCE_BETA * 0.5])
    # an inactive modality gets nothing and does not enter the normalisation
    rel2 = combine_relevance(np.array([[0.6, 0.5, 9.0]]), np.array([[1.0, 0.0, 9.0]]), np.array([[True, True, False]]))
    assert rel2[0].tolist() == pytest.approx([RELEVANCE_ALPHA, RELEVANCE_BETA, 0.0])
    with pytest.raises(Exception, match="alpha > beta"):
        combine_relevance(abl, change, on, alpha=0.3, beta=0.7)


def test_modality_relevance_of_a_network_uses_the_papers_form() -> None:
    from evaluator.dubscore.relevance import combine_relevance

    net = build_network("avfusion", DIMS, MOD, hidden=16)
    rel = modality_relevance(net, *_batch(b=7))
    assert np.allclose(rel["relevance"], combine_relevance(rel["ablation"], rel["change"], rel["active"]))


def test_avfusion_is_the_papers_head() -> None:
    """512-d by default, cues projected by linear + GELU, and the cross-attention output replaces the tokens: no
    residual connection and no LayerNorm around it (the old head added the input back and normalised)."""
    from evaluator.dubscore.network import AVFusionNet

    cfg = TrainConfig(head="avfusion")
    assert cfg.hidden == 512 and cfg.projection == "gelu"
    net = build_network("avfusion", DIMS, MOD, hidden=32, dropout=0.0).eval()
    assert not hasattr(net, "norm_a") and not hasattr(net, "norm_v")
    proj = net.proj["a1"].proj
    assert [type(m).__name__ for m in proj] == ["Dropout", "Linear", "GELU"]
    feats, present = _batch()
    toks = {m: net._tokens(feats, present, m, set()) for m in ("A", "V")}
    (a, _), (v, vm) = toks["A"], toks["V"]
    out = AVFusionNet._cross(net.a2v, a, v, vm)
    want, _ = net.a2v(a, v, v)
    assert torch.allclose(out, want, atol=1e-6)  # exactly the attention output
    # a clip without video keeps its audio tokens as they are
    no_v = torch.zeros_like(vm)
    assert torch.allclose(AVFusionNet._cross(net.a2v, a, v, no_v), a)


def test_dubscore_lora_projection_trains_only_the_adapter() -> None:
    """The DubScore paper's projection: a linear map whose weights stay frozen, adapted by a trained LoRA."""
    from dataclasses import replace

    from evaluator.dubscore.network import LoRAProjection

    cfg = TrainConfig(projection="lora", proj_rank=2, hidden=16, epochs=2)
    table, y = _synthetic_table(48)
    model = fit(table, y, cfg)
    lora = model.proj["a1"].proj[1]
    assert isinstance(lora, LoRAProjection) and not lora.linear.base_layer.weight.requires_grad
    names = [n for n, p in lora.named_parameters() if p.requires_grad]
    assert names and all("lora_" in n for n in names)
    base = lora.linear.base_layer.weight.detach().clone()
    up = lora.linear.lora_B["default"].weight.detach().clone()
    tuned = fit(table, y, replace(cfg, epochs=3), init=model)
    t = tuned.proj["a1"].proj[1].linear
    assert torch.equal(t.base_layer.weight, base)  # the base projection stays frozen
    assert not torch.equal(t.lora_B["default"].weight, up)  # the adapter trains


def test_checkpoint_of_the_old_avfusion_layout_is_refused_with_a_retrain_hint(tmp_path) -> None:
    from evaluator.dubscore.checkpoint import load_checkpoint, save_checkpoint
    from evaluator.errors import ModelLoadError

    cfg = TrainConfig(head="avfusion", hidden=16)
    net = build_network("avfusion", DIMS, MOD, hidden=16)
    save_checkpoint(tmp_path / "ok.pt", net, cfg, encoder_ids={k: k for k in DIMS}, profile="test")
    assert load_checkpoint(tmp_path / "ok.pt").info["head"] == "avfusion"
    blob = torch.load(tmp_path / "ok.pt", weights_only=False)
    blob["state_dicts"][0]["norm_a.weight"] = torch.ones(16)  # the LayerNorm the old head had after cross-attention
    torch.save(blob, tmp_path / "old.pt")
    with pytest.raises(ModelLoadError, match="retrain"):
        load_checkpoint(tmp_path / "old.pt")


def test_the_paper_preset_trains_with_adam_and_the_default_with_adamw_over_trainable_weights_only() -> None:
    """One home for the optimizer choice (fit and the encoders' LoRA fine-tuning both use make_optimizer)."""
    from evaluator.dubscore.config import preset_config
    from evaluator.dubscore.training import make_optimizer

    frozen, free = torch.nn.Parameter(torch.ones(2), requires_grad=False), torch.nn.Parameter(torch.ones(3))
    paper = make_optimizer([frozen, free], preset_config("paper"))
    assert type(paper) is torch.optim.Adam and paper.defaults["lr"] == 1e-4
    assert [p for g in paper.param_groups for p in g["params"]] == [free]
    assert type(make_optimizer([free], TrainConfig())) is torch.optim.AdamW
