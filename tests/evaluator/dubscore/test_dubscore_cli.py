"""`dubkit train dubscore`, `dubkit score --model`, `dubkit ratings import|next` on a small real corpus."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from cli.main import main
from dubber.synth import SynthRequest

SENTENCES = ["Good morning to you.", "The port is closed.", "We leave at six.", "See you at the station."]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, espeak):
    from evaluator.impairments import add_noise
    from evaluator.media import resample, write_wav

    root = tmp_path_factory.mktemp("dubscore_cli")
    lines = ["id,audio,text,lang,mos"]
    for i in range(8):
        s = espeak.synthesize(SynthRequest(SENTENCES[i % 4], "en"))
        x = resample(s.audio, s.sr, 16000)
        snr = [40, 20, 8, 0][i // 2]
        write_wav(root / f"c{i}.wav", add_noise(x, snr, seed=i), 16000)
        lines.append(f"c{i},c{i}.wav,{SENTENCES[i % 4]},en,{1.5 + snr / 12:.3f}")
    (root / "clips.csv").write_text("\n".join(lines) + "\n")
    return root


@pytest.mark.slow  # DubScore training runs
def test_train_score_with_model(corpus) -> None:
    runner = CliRunner()
    cache, out = corpus / "cache", corpus / "run"
    args = ["train", "dubscore", "--data", str(corpus / "clips.csv"), "--stage", "human", "--modalities", "A",
            "--folds", "2", "--epochs", "3", "--hidden", "16", "--feature-cache", str(cache), "-o", str(out), "--json"]  # fmt: skip  # noqa: E501
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    report = json.loads(res.output.strip().splitlines()[-1])
    assert report["clips"] == 8 and len(report["folds"]) == 2 and report["modalities"] == ["A"]
    assert set(report["overall"]) >= {"pcc", "srcc", "mse"} and 0 <= report["intervals"]["picp"] <= 1
    assert (out / "dubscore.pt").is_file() and (out / "report.json").is_file()
    assert set(report["encoder_ids"]) == {"voice", "prosody", "quality"}  # no metric cues unless --metric-cues
    # a second run reads every cue from the cache (same clips, same encoders)
    res2 = runner.invoke(main, [*args[:-3], "-o", str(corpus / "run2"), "--json", "--no-ablation"])
    assert res2.exit_code == 0, res2.output

    sc = runner.invoke(main, ["score", str(corpus / "clips.csv"), "--metrics", "dnsmos_ovrl", "--model",
                              str(out / "dubscore.pt"), "--feature-cache", str(cache), "-o", str(corpus / "s"), "--json"])  # fmt: skip  # noqa: E501
    assert sc.exit_code == 0, sc.output
    rows = [json.loads(x) for x in (corpus / "s" / "scores.jsonl").read_text().splitlines()]
    r = rows[0]
    lo, hi = r["dubscore"]["interval"]
    assert 1 <= lo <= r["dubscore"]["value"] <= hi <= 5 and set(r["dubscore"]["relevance"]) == {"A"}
    assert r["proxy_mos"]["calibrated"] is False and "uncalibrated" in r["proxy_mos"]["weights_source"]
    summary = json.loads(sc.output)
    assert summary["dubscore"]["n"] == 8 and "dubscore-dubscore" in summary["dubscore"]["source"]

    bad = runner.invoke(main, ["train", "dubscore", "--data", str(corpus / "clips.csv"), "--stage", "proxy",
                               "--feature-cache", str(cache), "-o", str(corpus / "bad")])  # fmt: skip
    assert bad.exit_code == 2 and "proxy_mos column or metric columns" in bad.output


@pytest.fixture(scope="module")
def scores(corpus):
    """``dubkit score`` rows of the corpus (one cheap metric): what ``ratings next`` chooses by."""
    res = CliRunner().invoke(main, ["score", str(corpus / "clips.csv"), "--metrics", "dnsmos_ovrl,wer", "-o",
                                    str(corpus / "ratings_scores"), "--json", "-q"])  # fmt: skip
    assert res.exit_code == 0, res.output
    return corpus / "ratings_scores" / "scores.jsonl"


def test_ratings_import_and_next(corpus, scores, tmp_path) -> None:
    runner = CliRunner()
    rng = np.random.default_rng(0)
    lines = ["clip,rater,overall,sync,speaker,clarity,emotion,prosody"]
    for i in range(4):
        for r in range(3):
            v = int(np.clip(round(1 + i + rng.normal(0, 0.5)), 1, 5))
            lines.append(f"c{i},r{r},{v},{v},{v},,{v},{v}")
    (tmp_path / "ratings.csv").write_text("\n".join(lines) + "\n")
    res = runner.invoke(main, ["ratings", "import", str(tmp_path / "ratings.csv"), "--clips",
                               str(corpus / "clips.csv"), "-o", str(tmp_path / "out"), "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    rel = json.loads(res.output)["reliability"]
    assert rel["clips"] == 4 and rel["raters"] == 3 and rel["icc1"] > 0.5 and rel["icc2"] is not None
    assert "mos" in (tmp_path / "out" / "clips.csv").read_text().splitlines()[0]
    nxt = runner.invoke(main, ["ratings", "next", "--scores", str(scores), "--ratings", str(tmp_path / "ratings.csv"),
                               "--budget", "8", "--json"])  # fmt: skip
    assert nxt.exit_code == 0, nxt.output
    out = json.loads(nxt.output)
    picked = out["next"]  # 4 of a budget of 8 rated: stage 2 (to 66%, 5 clips); too few rated for the bootstrap
    assert (out["stage"], out["stage_target"], out["rated"], out["method"]) == (2, 5, 4, "k-center")
    assert len(picked) == 1 and not set(picked) & {"c0", "c1", "c2", "c3"}
    fresh = runner.invoke(main, ["ratings", "next", "--scores", str(scores), "--budget", "8", "--json"])
    assert fresh.exit_code == 0, fresh.output
    first = json.loads(fresh.output)  # nothing rated: stage 1, k-center to 33% of the budget
    assert (first["stage"], first["stage_target"], len(first["next"])) == (1, 3, 3)
    spent = runner.invoke(main, ["ratings", "next", "--scores", str(scores), "--ratings", str(tmp_path / "ratings.csv"),
                                 "--budget", "4"])  # fmt: skip
    assert spent.exit_code == 0 and spent.stdout == "" and "budget of 4 is spent" in spent.stderr


@pytest.mark.slow  # DubScore training runs
def test_train_ensemble_options_reach_checkpoint_and_score_is_members_mean(corpus) -> None:
    import torch

    from evaluator.dubscore.checkpoint import load_checkpoint
    from evaluator.dubscore.data import clip_features, load_clips
    from evaluator.dubscore.training import tensors

    runner = CliRunner()
    cache, out = corpus / "cache", corpus / "ens"
    args = ["train", "dubscore", "--data", str(corpus / "clips.csv"), "--stage", "human", "--modalities", "A",
            "--folds", "2", "--epochs", "3", "--hidden", "16", "--feature-cache", str(cache), "--ensemble", "2",
            "--pca-dims", "4", "--val-fraction", "0.2", "--patience", "2", "--mc-samples", "4", "--coverage", "0.8",
            "--dropout", "0.2", "--weight-decay", "0.01", "--batch-size", "4", "-o", str(out), "--json"]  # fmt: skip
    res = runner.invoke(main, args)
    assert res.exit_code == 0, res.output
    report = json.loads(res.output.strip().splitlines()[-1])
    assert report["ensemble"] == 2 and report["intervals"]["coverage"] == 0.8
    assert report["intervals"]["method"] == "spread of 2 ensemble members + MC dropout + out-of-fold residual spread"
    ck = load_checkpoint(out / "dubscore.pt")
    c = ck.config
    assert len(ck.members) == 2 and c.ensemble == 2 and (c.pca_dims, c.val_fraction, c.patience) == (4, 0.2, 2)
    assert (c.mc_samples, c.coverage, c.dropout, c.weight_decay, c.batch_size) == (4, 0.8, 0.2, 0.01, 4)
    wide = [k for k, d in ck.model.cue_dims.items() if d > 4]
    assert wide and all(tuple(m.proj[k].basis.shape) == (ck.model.cue_dims[k], 4) for m in ck.members for k in wide)
    a, b = (m.state_dict() for m in ck.members)
    assert any(not torch.equal(a[k], b[k]) for k in a)  # members trained with different seeds

    sc = runner.invoke(main, ["score", str(corpus / "clips.csv"), "--metrics", "slot_error_ms", "--model",
                              str(out / "dubscore.pt"), "--feature-cache", str(cache), "-o", str(corpus / "s_ens"),
                              "--json"])  # fmt: skip
    assert sc.exit_code == 0, sc.output
    rows = {
        r["id"]: r["dubscore"] for r in map(json.loads, (corpus / "s_ens" / "scores.jsonl").read_text().splitlines())
    }
    # the members' mean, computed here from the loaded networks on the cached features
    items, _ = load_clips(corpus / "clips.csv")
    table = clip_features(items, profile="offline", cache_dir=cache, cue_names=list(ck.encoder_ids))
    feats, present = tensors(table.select(["A"]))
    lo_r, hi_r = c.label_range
    with torch.no_grad():
        each = np.stack([lo_r + (hi_r - lo_r) * m.eval()(feats, present).score.numpy() for m in ck.members])
    got = np.array([rows[i]["value"] for i in table.ids])
    np.testing.assert_allclose(got, each.mean(axis=0), atol=1e-5)
    assert np.abs(each[0] - each[1]).max() > 1e-4  # the mean is not just one member's prediction
    for r in rows.values():
        lo, hi = r["interval"]
        assert lo < r["value"] < hi and r["coverage"] == 0.8 and r["members"] == 2 and set(r["relevance"]) == {"A"}
    assert "2-member ensemble" in rows["c0"]["model_id"]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--ensemble", "0", "--ensemble must be >= 1, got 0"),
     ("--val-fraction", "1", "--val-fraction must be in [0, 1), got 1.0"),
     ("--coverage", "1.5", "--coverage must be in (0, 1), got 1.5"),
     ("--batch-size", "1", "--batch-size must be >= 2, got 1"),
     ("--quantile-dims", "-1", "--quantile-dims must be >= 0, got -1"),
     ("--rank-weight", "-0.5", "--rank-weight must be >= 0, got -0.5")],
)  # fmt: skip
def test_train_refuses_bad_option_values(tmp_path, option, value, message) -> None:
    (tmp_path / "clips.csv").write_text("id,audio,mos\nc0,c0.wav,3\n")
    res = CliRunner().invoke(main, ["train", "dubscore", "--data", str(tmp_path / "clips.csv"), "--stage", "human",
                                    option, value, "-o", str(tmp_path / "out")])  # fmt: skip
    assert res.exit_code == 2 and message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_train_option_defaults_are_trainconfig_defaults() -> None:
    """An option either defaults to None (not given: TrainConfig's value, or the --preset's) or to TrainConfig's."""
    from cli.train_dubscore import dubscore
    from evaluator.dubscore.config import preset_config
    from evaluator.dubscore.training import TrainConfig

    defaults = dubscore.make_context("dubscore", ["--data", "clips.csv"]).params  # what the command receives
    want = TrainConfig()
    names = ("epochs", "lr", "hidden", "loss_lambda", "batch_size", "dropout", "weight_decay", "pca_dims",
             "val_fraction", "patience", "mc_samples", "coverage", "folds", "seed", "quantile_dims", "rank_weight",
             "projection", "proj_rank", "optimizer")  # fmt: skip
    for name in names:
        assert defaults[name] is None or defaults[name] == getattr(want, name), name
    assert preset_config(None, **{n: defaults[n] for n in names}) == want
    assert defaults["ensemble"] is None and want.ensemble == 1  # None: 1, or the --init checkpoint's members


@pytest.mark.slow  # DubScore training runs
def test_stage_two_rehearsal_trains_on_proxy_labels_of_unrated_clips_and_scores_the_rated(corpus, tmp_path) -> None:
    from evaluator.dubscore.checkpoint import load_checkpoint

    runner = CliRunner()
    cache = corpus / "cache"
    base = ["train", "dubscore", "--modalities", "A", "--folds", "2", "--epochs", "3", "--hidden", "16",
            "--feature-cache", str(cache), "--no-ablation", "--json"]  # fmt: skip
    rows = (corpus / "clips.csv").read_text().splitlines()
    # stage 1 on proxy labels of every clip
    (corpus / "rh_proxy.csv").write_text(
        "\n".join([rows[0].replace(",mos", ",proxy_mos")] + rows[1:]) + "\n"
    )  # fmt: skip
    s1 = runner.invoke(main, [*base, "--data", str(corpus / "rh_proxy.csv"), "--stage", "proxy", "--quantile-dims",
                              "16", "-o", str(tmp_path / "s1")])  # fmt: skip
    assert s1.exit_code == 0, s1.output
    # stage 2: four clips rated (mos filled), four not (empty mos, a proxy_mos column)
    lines = [rows[0] + ",proxy_mos"]
    for i, r in enumerate(rows[1:]):
        head, mos = r.rsplit(",", 1)
        lines.append(f"{head},{mos if i % 2 == 0 else ''},{float(mos) - 0.2:.3f}")
    (corpus / "rh_mixed.csv").write_text("\n".join(lines) + "\n")
    s2 = runner.invoke(main, [*base, "--data", str(corpus / "rh_mixed.csv"), "--stage", "human", "--rehearse",
                              "--init", str(tmp_path / "s1" / "dubscore.pt"), "--rank-weight", "0.5",
                              "-o", str(tmp_path / "s2")])  # fmt: skip
    assert s2.exit_code == 0, s2.output
    report = json.loads(s2.output.strip().splitlines()[-1])
    assert report["labels"].startswith("human MOS (4 clips) + proxy MOS (proxy_mos column) for the 4 unrated")
    assert report["overall"]["n"] == 4 and sum(f["n"] for f in report["folds"]) == 4  # only ratings are scored
    ck = load_checkpoint(tmp_path / "s2" / "dubscore.pt")
    assert ck.config.quantile_dims == 16 and ck.config.rank_weight == 0.5  # architecture kept from stage 1
    assert any(p.quantile for p in ck.model.proj.values())
    # without --stage human, or without any rating, one clear line
    bad = runner.invoke(main, [*base, "--data", str(corpus / "rh_mixed.csv"), "--rehearse", "-o", str(tmp_path / "b")])
    assert bad.exit_code == 2 and "--rehearse is for --stage human" in bad.output and not (tmp_path / "b").exists()
    unrated = [r.rsplit(",", 2)[0] + ",,3.0" for r in lines[1:]]
    (corpus / "rh_none.csv").write_text("\n".join([lines[0], *unrated]) + "\n")
    bad2 = runner.invoke(main, [*base, "--data", str(corpus / "rh_none.csv"), "--stage", "human", "--rehearse",
                                "-o", str(tmp_path / "b2")])  # fmt: skip
    assert bad2.exit_code == 2 and "needs at least one rated clip" in bad2.output
    broken = list(lines)
    head, _, proxy_mos = broken[3].rsplit(",", 2)
    broken[3] = f"{head},x,{proxy_mos}"  # CSV line 4: a rating that is not a number (empty cells are fine)
    (corpus / "rh_broken.csv").write_text("\n".join(broken) + "\n")
    bad3 = runner.invoke(main, [*base, "--data", str(corpus / "rh_broken.csv"), "--stage", "human", "--rehearse",
                                "-o", str(tmp_path / "b3")])  # fmt: skip
    assert bad3.exit_code == 2 and "line 4: mos='x' is not a number" in bad3.output


def test_train_preset_paper_sets_the_papers_recipe_and_flags_override_it(corpus) -> None:
    runner = CliRunner()
    out = corpus / "paper_preset"
    res = runner.invoke(main, ["train", "dubscore", "--data", str(corpus / "clips.csv"), "--stage", "human",
                               "--preset", "paper", "--epochs", "2", "--folds", "2", "--cues", "prosody",
                               "--modalities", "A", "--mc-samples", "0", "--no-ablation",
                               "--feature-cache", str(corpus / "cache"), "-o", str(out), "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    c = json.loads(res.output.strip().splitlines()[-1])["config"]
    assert (c["optimizer"], c["lr"], c["batch_size"], c["dropout"], c["hidden"], c["projection"]) == (
        "adam", 1e-4, 64, 0.2, 256, "lora")  # fmt: skip
    assert (c["epochs"], c["folds"]) == (2, 2)  # given on top of the preset
    from evaluator.dubscore.checkpoint import load_checkpoint
    from evaluator.dubscore.network import LoRAProjection

    ck = load_checkpoint(out / "dubscore.pt")  # the LoRA projections come back from the checkpoint
    assert isinstance(ck.model.proj["prosody"].proj[1], LoRAProjection)
