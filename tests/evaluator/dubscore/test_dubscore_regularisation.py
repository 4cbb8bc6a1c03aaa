"""Generalisation aids of the trainer: per-cue PCA fitted on training rows, early stopping, seed ensembles."""

from __future__ import annotations

import numpy as np
import torch

from evaluator.dubscore.features import FeatureTable
from evaluator.dubscore.training import TrainConfig, fit, fit_ensemble, predict, predict_ensemble


def _table(n: int = 48) -> tuple[FeatureTable, np.ndarray]:
    rng = np.random.default_rng(1)
    low = rng.normal(size=(n, 2))
    wide = (low @ rng.normal(size=(2, 64)) + rng.normal(scale=0.1, size=(n, 64))).astype(np.float32)  # rank ~2
    cues = {"wide": wide, "small": rng.normal(size=(n, 3)).astype(np.float32)}
    y = 3 + np.tanh(low[:, 0])
    ids = {"wide": "enc-wide", "small": "enc-small"}
    return FeatureTable([f"c{i}" for i in range(n)], cues, {k: np.ones(n, bool) for k in cues}, ids,
                        modality={"wide": "A", "small": "V"}), y  # fmt: skip


def test_pca_reduces_wide_cues_only_and_survives_checkpoint(tmp_path) -> None:
    from evaluator.dubscore.checkpoint import load_checkpoint, save_checkpoint

    table, y = _table()
    cfg = TrainConfig(hidden=16, epochs=3, pca_dims=4, modalities=("A", "V"))
    model = fit(table, y, cfg)
    wide, small = model.proj["wide"], model.proj["small"]
    assert wide.reduced and tuple(wide.basis.shape) == (64, 4) and wide.proj[1].in_features == 4
    assert not small.reduced and small.proj[1].in_features == 3
    b = wide.basis.numpy()
    np.testing.assert_allclose(b.T @ b, np.eye(4), atol=1e-4)  # orthonormal principal axes
    z = (table.cues["wide"] - wide.mean.numpy()) / wide.std.numpy()
    var = (z @ b).var(axis=0)
    assert var[0] > 5 * var[2]  # the first axes carry the two informative directions
    save_checkpoint(tmp_path / "m.pt", model, cfg, encoder_ids=table.encoder_ids, profile="offline")
    ck = load_checkpoint(tmp_path / "m.pt", table.encoder_ids)
    np.testing.assert_allclose(predict(ck.model, table, ck.config)[0], predict(model, table, cfg)[0], atol=1e-6)


def test_early_stopping_keeps_the_best_epoch_and_stops() -> None:
    table, y = _table()
    torch.manual_seed(0)
    epochs = []
    cfg = TrainConfig(hidden=16, epochs=200, lr=3e-2, val_fraction=0.25, patience=3, modalities=("A", "V"))
    fit(table, y, cfg, progress=lambda e, _: epochs.append(e))
    assert len(epochs) < 200  # stopped early on the validation split


def test_ensemble_members_differ_and_average() -> None:
    table, y = _table()
    cfg = TrainConfig(hidden=16, epochs=4, ensemble=3, modalities=("A", "V"))
    members = fit_ensemble(table, y, cfg)
    assert len(members) == 3
    preds = np.stack([predict(m, table, cfg)[0] for m in members])
    mean, spread = predict_ensemble(members, table, cfg)
    np.testing.assert_allclose(mean, preds.mean(0), atol=1e-9)
    assert spread.mean() > 0  # different seeds give different members


def test_cross_validate_ensemble_predicts_members_mean_with_their_spread_and_mc_dropout() -> None:
    from dataclasses import replace

    from evaluator.dubscore.training import cross_validate, kfold_indices

    table, y = _table(24)
    cfg = TrainConfig(hidden=8, epochs=2, ensemble=2, folds=2, mc_samples=0, modalities=("A", "V"))
    rep = cross_validate(table, y, cfg)
    for k, test in enumerate(kfold_indices(len(y), 2, cfg.seed)):
        train = np.setdiff1d(np.arange(len(y)), test)
        # member i of fold k: seed + k + 1000 i
        members = [fit(table.subset(train), y[train], replace(cfg, seed=k + 1000 * i)) for i in range(2)]
        preds = np.stack([predict(m, table.subset(test), cfg)[0] for m in members])
        np.testing.assert_allclose(rep["oof"][test], preds.mean(0), atol=1e-6)
        np.testing.assert_allclose(rep["oof_std"][test], preds.std(0), atol=1e-6)
    assert rep["oof_std"].min() > 0
    with_mc = cross_validate(table, y, replace(cfg, mc_samples=5))
    np.testing.assert_allclose(with_mc["oof"], rep["oof"], atol=1e-6)
    assert np.all(with_mc["oof_std"] >= rep["oof_std"] - 1e-9) and with_mc["oof_std"].mean() > rep["oof_std"].mean()
