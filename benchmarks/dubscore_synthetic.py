"""The synthetic stand-in study for DubScore (SYNTHETIC data: no human rated these clips).

Needs the corpus (``benchmarks/dubscore_corpus.py``) with its metric rows and cue features extracted
once (``benchmarks/dubscore_extract.py``); every loop below runs on those cached numbers.

Per seed: simulate a rater panel from the hidden quality (rater bias + noise, rounded to 1-5, the
noise set so that single-rater ICC(1) is about 0.6, as in the reference paper); then
  1. proxy weights by active learning vs random sampling at the same label budget, and learned vs
     equal weights (PCC/SRCC of each proxy with the hidden quality over all clips; calibration);
  2. DubScore by 4-fold CV: stage 1 on the proxy labels, stage 2 fine-tuned on the simulated MOS,
     against training on the MOS alone, the proxy alone, and every single metric;
  3. the A/V/T ablation of the stage-2 model.

Run: ``nohup .venv/bin/python benchmarks/dubscore_synthetic.py --corpus /tmp/dubscore_corpus --seeds 20
> /tmp/dubscore_study.log 2>&1 &``; tables go to ``benchmarks/dubscore_synthetic_results.md``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

METRICS = ["wer", "cer", "semantic_sim", "spk_sim", "emo_sim", "mcd", "log_f0_rmse",
           "dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl", "dnsmos_p808"]  # fmt: skip
RATERS = 6
RATER_BIAS_SD = 0.25


def simulate_ratings(q: np.ndarray, noise_sd: float, rng: np.random.Generator) -> np.ndarray:
    bias = rng.normal(0, RATER_BIAS_SD, RATERS)
    r = q[:, None] + bias[None] + rng.normal(0, noise_sd, (len(q), RATERS))
    return np.clip(np.round(r), 1, 5)


def calibrate_noise(q: np.ndarray, target: float = 0.6) -> tuple[float, float]:
    from evaluator.dubscore.ratings import icc1

    best = (1.0, 0.0)
    for sd in np.arange(0.2, 2.01, 0.05):
        vals = [icc1(simulate_ratings(q, sd, np.random.default_rng(1000 + k))) for k in range(5)]
        if abs(np.mean(vals) - target) < abs(best[1] - target):
            best = (float(sd), float(np.mean(vals)))
    return best


def _study_config():  # noqa: ANN202
    from evaluator.dubscore.training import TrainConfig

    # small width, PCA of wide cues, strong weight decay, early stopping on 20% of the training labels, 3-seed
    # ensemble (fixed a priori); quantile normalisation of the narrow cues (metrics, DNSMOS, prosody and
    # motion statistics) was chosen on a 3-seed trial (seeds 0-2, which are also among the reported seeds)
    return TrainConfig(hidden=32, epochs=80, folds=4, mc_samples=0, lr=2e-3, dropout=0.2, weight_decay=1e-2,
                       pca_dims=8, quantile_dims=16, val_fraction=0.2, patience=10, ensemble=3,
                       batch_size=32)  # fmt: skip


STUDY_CONFIG = _study_config()
FINETUNE_EPOCHS = (0, 10, 30)  # candidates for stage 2, chosen per fold by inner CV on the rated training clips


def finetune_cfg(cfg, epochs: int):  # noqa: ANN001, ANN201
    return replace(cfg, epochs=epochs, lr=cfg.lr / 4, val_fraction=0.0)


def rehearsal_labels(proxy_labels: np.ndarray, mos: np.ndarray, rated: np.ndarray, pool: np.ndarray):  # noqa: ANN201
    """Stage-2 training set: the clips of ``pool``, labelled with their simulated MOS where rated and with their
    proxy label elsewhere (rehearsal: the unrated clips keep stage 1's target, so fine-tuning on a few ratings
    corrects the proxy without forgetting it)."""
    lab = proxy_labels.copy()
    lab[rated] = mos[rated]
    return pool, lab[pool]


def stage2(table, proxy_labels, mos, rated, pool, init, cfg, epochs: int):  # noqa: ANN001, ANN201
    """Fine-tune ``init`` (a model or ensemble) for ``epochs`` on the rehearsal set; 0 epochs keeps ``init``."""
    from evaluator.dubscore.training import fit, fit_ensemble

    if not epochs:
        return init
    idx, lab = rehearsal_labels(proxy_labels, mos, rated, pool)
    if isinstance(init, list):
        return fit_ensemble(table.subset(idx), lab, finetune_cfg(cfg, epochs), init=init)
    return fit(table.subset(idx), lab, finetune_cfg(cfg, epochs), init=init)


def pick_finetune_epochs(table, proxy_labels, mos, rated, pool, init, cfg, seed: int) -> int:  # noqa: ANN001
    """Stage-2 length by 3-fold CV over the rated training clips: each inner fold's rated clips are held out of
    the rehearsal set and scored against their simulated MOS."""
    from evaluator.dubscore.training import kfold_indices, predict

    inner = kfold_indices(len(rated), 3, seed + 7)
    err = {e: 0.0 for e in FINETUNE_EPOCHS}
    for val in inner:
        va = rated[val]
        tr, pl = np.setdiff1d(rated, va), np.setdiff1d(pool, va)
        for e in FINETUNE_EPOCHS:
            m = stage2(table, proxy_labels, mos, tr, pl, init, cfg, e)
            err[e] += float(np.mean((predict(m, table.subset(va), cfg)[0] - mos[va]) ** 2))
    return min(err, key=err.get)


def corr(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    from scipy.stats import pearsonr, spearmanr

    return float(pearsonr(a, b)[0]), float(spearmanr(a, b)[0])


def ms(vals: list[float]) -> str:
    return f"{np.mean(vals):.3f} ± {np.std(vals):.3f}"


def load_study(corpus: Path, scores: str, metric_cues: bool = False) -> dict:
    """The cached study inputs: cue table (with the metric cues when ``metric_cues``), metric matrix, hidden
    quality, conditions."""
    import zlib

    from evaluator.dubscore.cues import AudioMetricsCue, TextMetricsCue
    from evaluator.dubscore.data import metric_matrix
    from evaluator.dubscore.features import FeatureTable
    from evaluator.dubscore.proxy import Normaliser

    table = FeatureTable.load(corpus / "features.npz")
    with open(corpus / scores, encoding="utf-8") as fh:
        rows = {r["id"]: r for r in (json.loads(line) for line in fh if line.strip())}
    with open(corpus / "truth.csv", newline="") as fh:
        truth = {r["id"]: r for r in csv.DictReader(fh)}
    ids = [i for i in table.ids if i in rows and i in truth]
    table = table.subset([table.ids.index(i) for i in ids])
    for cue in (AudioMetricsCue(), TextMetricsCue()) if metric_cues else ():  # from the rows already computed
        vals = np.nan_to_num(metric_matrix([rows[i] for i in ids], cue.metric_names), nan=0.0).astype(np.float32)
        table.cues[cue.name], table.present[cue.name] = vals, np.ones(len(ids), bool)
        table.encoder_ids[cue.name], table.modality[cue.name] = cue.encoder_id, cue.modality
    x = metric_matrix([rows[i] for i in ids], METRICS)
    keep = [j for j in range(len(METRICS)) if np.isfinite(x[:, j]).mean() > 0.9]
    names = [METRICS[j] for j in keep]
    x = x[:, keep]
    dur = np.array([float(np.count_nonzero(table.cues["prosody"][k])) for k in range(len(ids))])
    speaker = np.array([zlib.crc32(truth[i]["speaker"].encode()) % 7 for i in ids], float)  # stable across runs
    z_norm = Normaliser.fit(x, names)
    cond = np.column_stack([z_norm.transform(x), dur / max(dur.max(), 1), speaker / 7])
    q = np.array([float(truth[i]["quality"]) for i in ids])
    return {"table": table, "x": x, "names": names, "q": q, "cond": cond, "z_norm": z_norm}


_STUDY: dict = {}


def run_seed(seed: int) -> dict:
    """One seed of the study (rater panel, sampling, CV split and initialisations all drawn from it)."""
    import torch

    from evaluator.dubscore.active import run_active_learning
    from evaluator.dubscore.proxy import ProxyWeights, bootstrap_proxies, calibration, higher_is_better
    from evaluator.dubscore.ratings import cronbach_alpha, icc1, icc2
    from evaluator.dubscore.training import MODALITY_SUBSETS, fit_ensemble, kfold_indices, predict_ensemble

    torch.set_num_threads(1)
    d = _STUDY
    table, x, names, q, cond, z_norm = d["table"], d["x"], d["names"], d["q"], d["cond"], d["z_norm"]
    n, budget, cfg = len(q), d["budget"], STUDY_CONFIG
    rng = np.random.default_rng(seed)
    ratings = simulate_ratings(q, d["noise_sd"], rng)
    mos = ratings.mean(axis=1)
    res: dict = {"icc1": icc1(ratings), "icc2": icc2(ratings), "alpha": cronbach_alpha(ratings),
                 "mos_pcc": corr(mos, q)}  # fmt: skip

    def evaluate(p: ProxyWeights) -> dict[str, float]:
        pc, sc = corr(p.mos(x), q)
        return {"pcc_truth": pc, "srcc_truth": sc}

    out = {}
    for strat in ("active", "random"):
        r = run_active_learning(x, cond, names, lambda idx, m=mos: m[idx], budget, strategy=strat, seed=seed,
                                evaluate=evaluate)  # fmt: skip
        out[strat] = r
        unl = np.setdiff1d(np.arange(n), r.selected)
        boots = bootstrap_proxies(x[r.selected], mos[r.selected], names, z_norm, 30, np.random.default_rng(seed))
        draws = np.stack([b.mos(x[unl]) for b in boots])
        res["cal_al" if strat == "active" else "cal_rand"] = calibration(draws, r.proxy.sigma_res, mos[unl], 0.9)
    res["al"] = [s["pcc_truth"] for s in out["active"].stages] + [out["active"].stages[-1]["srcc_truth"]]
    res["rand"] = [s["pcc_truth"] for s in out["random"].stages] + [out["random"].stages[-1]["srcc_truth"]]
    res["equal"] = corr(ProxyWeights.equal(names).mos(x), q)
    res["learned_all"] = corr(ProxyWeights.learn(x, mos, names, normaliser=z_norm).mos(x), q)
    res["single"] = {}
    for j, m in enumerate(names):
        v = x[:, j] if higher_is_better(m) else -x[:, j]
        ok = np.isfinite(v)
        res["single"][m] = corr(v[ok], q[ok])

    # DubScore by 4-fold CV; no rating of a test fold is used: per fold, the proxy weights are learned from the
    # rated clips (the active-learning budget) of the training folds only. Stage 1 trains on the proxy labels of
    # the pool (--pool all: every clip, test folds included, as DubScore is trained on a whole unrated catalogue
    # before scoring it: a proxy label needs no rating; --pool train: the training folds' clips only); stage 2
    # rehearses on the same pool with the simulated MOS of the training folds' rated clips. The hidden quality
    # is only used to score the out-of-fold predictions.
    rated = np.sort(out["active"].selected)
    folds = kfold_indices(n, cfg.folds, seed)
    keys = ("stage2", "human_only", "proxy_only", "proxy_fold")
    pred = {k: np.zeros(n) for k in keys}
    subsets = MODALITY_SUBSETS if seed < d["ablation_until"] else ("AVT",)
    sub_pred = {s: np.zeros(n) for s in subsets}
    chosen_epochs = []
    for k, test in enumerate(folds):
        train_all = np.arange(n) if d["pool"] == "all" else np.setdiff1d(np.arange(n), test)
        train = np.setdiff1d(rated, test)
        c = replace(cfg, seed=seed * 10 + k)
        proxy_k = ProxyWeights.learn(x[train], mos[train], names, normaliser=z_norm)
        labels = proxy_k.mos(x)
        pred["proxy_fold"][test] = labels[test]
        tr, te = table.subset(train), table.subset(test)
        stage1 = {}
        for s in subsets:
            c1 = replace(c, modalities=tuple(s), ensemble=cfg.ensemble if s == "AVT" else 1)
            stage1[s] = fit_ensemble(table.subset(train_all), labels[train_all], c1)
        pred["proxy_only"][test] = predict_ensemble(stage1["AVT"], te, c)[0]
        if d["stage2_epochs"] is None:
            ep = pick_finetune_epochs(table, labels, mos, train, train_all, stage1["AVT"][0], replace(c, ensemble=1),
                                      seed)  # fmt: skip
        else:
            ep = d["stage2_epochs"]
        chosen_epochs.append(ep)
        m2 = stage2(table, labels, mos, train, train_all, stage1["AVT"], c, ep)
        pred["stage2"][test] = predict_ensemble(m2, te, c)[0]
        m3 = fit_ensemble(tr, mos[train], replace(c, val_fraction=0.2))
        pred["human_only"][test] = predict_ensemble(m3, te, c)[0]
        for s in subsets:
            if s == "AVT":
                sub_pred[s][test] = pred["stage2"][test]
                continue
            cs = replace(c, modalities=tuple(s), ensemble=1)
            ms_ = stage2(table, labels, mos, train, train_all, stage1[s], cs, ep)
            sub_pred[s][test] = predict_ensemble(ms_, te, cs)[0]
    res["epochs"] = chosen_epochs
    for k in keys:
        res[k] = corr(pred[k], q)
    res["abl"] = {s: corr(sub_pred[s], q) for s in subsets} if len(subsets) > 1 else None
    return res


def main() -> None:
    from multiprocessing import get_context

    from evaluator.dubscore.training import MODALITY_SUBSETS

    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/dubscore_corpus"))
    ap.add_argument("--scores", default="scores/scores.jsonl")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="seeds run in this many processes (one thread each)")
    ap.add_argument("--stage2-epochs", default="30", help="stage-2 length, or 'auto' (inner CV over 0/10/30; slower)")
    ap.add_argument("--pool", choices=["all", "train"], default="all",
                    help="clips stage 1 and the rehearsal train on: all, or the training folds' only")  # fmt: skip
    ap.add_argument("--ablation-seeds", type=int, default=None, help="run the modality ablation on the first K seeds")
    ap.add_argument("--budget", type=float, default=0.3, help="label budget as a fraction of the clips")
    ap.add_argument("--metric-cues", action="store_true", help="also feed the metric values to the network as cues")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("dubscore_synthetic_results.md"))
    args = ap.parse_args()
    t_start = time.perf_counter()
    _STUDY.update(load_study(args.corpus, args.scores, args.metric_cues))
    n, names = len(_STUDY["q"]), _STUDY["names"]
    budget = int(round(args.budget * n))
    noise_sd, icc_hit = calibrate_noise(_STUDY["q"])
    n_abl = args.seeds if args.ablation_seeds is None else args.ablation_seeds
    epochs2 = None if args.stage2_epochs == "auto" else int(args.stage2_epochs)
    _STUDY.update(budget=budget, noise_sd=noise_sd, ablation_until=args.first_seed + n_abl, stage2_epochs=epochs2,
                  pool=args.pool)  # fmt: skip
    print(
        f"{n} clips, metrics {names}, budget {budget}, rater noise sd {noise_sd:.2f} (ICC1 {icc_hit:.3f})", flush=True
    )
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    per_seed = []
    with get_context("fork").Pool(max(1, args.jobs)) as pool:
        for r in pool.imap(run_seed, seeds):
            per_seed.append(r)
            st2, took = r["stage2"], time.perf_counter() - t_start
            print(f"seed {seeds[len(per_seed) - 1]}: AL {r['al'][2]:.3f} random {r['rand'][2]:.3f} stage2 "
                  f"{st2[0]:.3f}/{st2[1]:.3f} ({took:.0f} s)", flush=True)  # fmt: skip
    res = {k: [r[k] for r in per_seed] for k in per_seed[0] if k not in ("single", "abl")}
    single = {m: [r["single"][m] for r in per_seed] for m in names}
    abl = {s: [r["abl"][s] for r in per_seed if r["abl"]] for s in MODALITY_SUBSETS}
    write_results(args, n, names, budget, noise_sd, res, single, abl, time.perf_counter() - t_start)


def _cfg_text() -> str:
    c = STUDY_CONFIG
    return (f"hidden {c.hidden}, dropout {c.dropout}, weight decay {c.weight_decay}, PCA {c.pca_dims} components"
            f" per cue wider than {c.pca_dims}, quantile normalisation of cues of at most {c.quantile_dims} features,"
            f" lr {c.lr}, up to {c.epochs} epochs with early stopping on"
            f" {c.val_fraction:.0%} (patience {c.patience}), ensemble of {c.ensemble} seeds"
            " (ablation rows: 1)")  # fmt: skip


def _epoch_counts(epochs: list[list[int]]) -> str:
    flat = [e for row in epochs for e in row]
    return ", ".join(f"{e}: {flat.count(e)}" for e in sorted(set(flat)))


def n_abl_arg(args) -> int:  # noqa: ANN001
    return args.seeds if args.ablation_seeds is None else args.ablation_seeds


def _wilcoxon(a: np.ndarray, b: np.ndarray) -> str:
    from scipy.stats import wilcoxon

    return f"{wilcoxon(a[:, 2], b[:, 2]).pvalue:.3g}" if len(a) >= 5 else "n/a (fewer than 5 seeds)"


def write_results(args, n, names, budget, noise_sd, res, single, abl, seconds) -> None:  # noqa: ANN001
    s = len(res["icc1"])
    al, rd = np.array(res["al"]), np.array(res["rand"])
    lines = [
        "# DubScore on a SYNTHETIC stand-in corpus",
        "",
        '**This corpus is synthetic.** No person rated these clips: the "true quality" is a formula over the',
        'impairments applied, and the "human" ratings are simulated from it. These numbers show that the',
        "machinery (proxy weights, active learning, two-stage training, ablation) behaves as intended; they are",
        "not evidence of agreement with people. Published correlations need your own human ratings",
        "(`dubkit ratings import`).",
        "",
        "## Setup",
        f"- {n} clips of 2-4 s: 16 lines dubbed by `dubber.pipeline.Dubber` (demo episode, piper and espeak,",
        f"  cot=none), each with {n // 16} variants from `evaluator.impairments` (noise, clipping, time stretch, A/V",
        "  offset, other speaker, wrong words) and a visual blur, at severities 0-3 (`benchmarks/dubscore_corpus.py`).",
        "- hidden quality = 1 + 4 * prod_k (1 - a_k * s_k / 3) (multiplicative: one severe defect ruins a clip).",
        f"- simulated panel: {RATERS} raters per clip, rater bias sd {RATER_BIAS_SD}, noise sd {noise_sd:.2f},",
        "  rounded to 1-5; noise chosen so that single-rater ICC(1) is about 0.6.",
        f"- metrics (offline suite, `dubkit score` rows): {', '.join(names)} (av_sync left out: the picture is a still",
        "  photo, and it costs ~5 s a clip here). DubScore cues: the offline profile (A: resemblyzer, prosody,",
        "  DNSMOS; V: fer expression, mouth/face motion, scene statistics; T: MiniLM of script and ASR transcript)"
        + (
            ", plus the metric values as cues (`--metric-cues`: audio_metrics, text_metrics)."
            if args.metric_cues
            else "; no metric cues (the network sees encoder cues only)."
        ),
        f"- label budget for the proxy: {budget} clips ({args.budget:.0%}); stages at 33/66/100%; {s} seeds.",
        f"- commands: `.venv/bin/python benchmarks/dubscore_corpus.py --out {args.corpus} --variants {n // 16}`, then",
        "  `benchmarks/dubscore_extract.py` (two workers `--part 0/2 --threads 1` and `--part 1/2 --threads 1`,",
        "  then one run without `--part` to assemble), then",
        f"  `.venv/bin/python benchmarks/dubscore_synthetic.py --corpus {args.corpus} --seeds {s} --jobs {args.jobs}"
        f" --ablation-seeds {n_abl_arg(args)} --stage2-epochs {args.stage2_epochs} --pool {args.pool}"
        f"{' --metric-cues' if args.metric_cues else ''}`"
        f" ({seconds / 60:.1f} min).",
        "",
        "## Simulated rater reliability",
        "| ICC(1) | ICC(2) | Cronbach's alpha (raters) | PCC(MOS of 6, hidden quality) |",
        "|---|---|---|---|",
        f"| {ms(res['icc1'])} | {ms(res['icc2'])} | {ms(res['alpha'])} | {ms([p for p, _ in res['mos_pcc']])} |",
        "",
        "## Proxy MOS: active learning vs random sampling (equal budget), PCC with the hidden quality",
        "| strategy | 33% | 66% | 100% | SRCC at 100% |",
        "|---|---|---|---|---|",
        "| active (k-center start, then uncertainty with a diversity filter) | "
        f"{ms(al[:, 0])} | {ms(al[:, 1])} | {ms(al[:, 2])} | {ms(al[:, 3])} |",
        f"| random | {ms(rd[:, 0])} | {ms(rd[:, 1])} | {ms(rd[:, 2])} | {ms(rd[:, 3])} |",
        "",
        f"Active learning beat random sampling at 100% of the budget in {int(np.sum(al[:, 2] > rd[:, 2]))} of {s} seeds"
        f" (mean difference {np.mean(al[:, 2] - rd[:, 2]):+.4f}; paired Wilcoxon signed-rank p = {_wilcoxon(al, rd)});"
        f" at 66%: {int(np.sum(al[:, 1] > rd[:, 1]))} of {s}, at 33%: {int(np.sum(al[:, 0] > rd[:, 0]))} of {s}.",
        "",
        "## Proxy MOS: learned vs equal weights",
        "| weights | PCC | SRCC |",
        "|---|---|---|",
        f"| equal (default anchors, uncalibrated) | {ms([p for p, _ in res['equal']])} | "
        f"{ms([r for _, r in res['equal']])} |",
        f"| learned, active learning budget | {ms(al[:, 2])} | {ms(al[:, 3])} |",
        f"| learned, random budget | {ms(rd[:, 2])} | {ms(rd[:, 3])} |",
        f"| learned on all {n} clips (upper bound) | {ms([p for p, _ in res['learned_all']])} | "
        f"{ms([r for _, r in res['learned_all']])} |",
        "",
        "Calibration of the bootstrap proxy on the unrated clips against their simulated MOS (90% intervals):",
        "",
        "| strategy | APV | PICP | MPIW | ECE |",
        "|---|---|---|---|---|",
    ]
    for label, key in (("active", "cal_al"), ("random", "cal_rand")):
        c = res[key]
        lines.append(f"| {label} | " + " | ".join(ms([d[m] for d in c]) for m in ("apv", "picp", "mpiw", "ece")) + " |")
    lines += [
        "",
        "## DubScore vs single metrics (4-fold CV, out-of-fold predictions vs the hidden quality)",
        "",
        "No rating of a test fold is used. Per fold, the proxy weights are learned from the rated clips of the 3",
        f"training folds only (of the {budget} chosen by active learning). Stage 1 trains on the proxy labels of "
        + (
            "every clip, test folds included (transductive: a proxy label needs no rating, and DubScore is meant to"
            " be trained on a whole unrated catalogue before scoring it);"
            if args.pool == "all"
            else "the training folds' clips only (the test folds' clips are never seen);"
        ),
        "stage 2 and the MOS-only model see the simulated MOS of the training folds' rated clips. Stage 2",
        "rehearses: it fine-tunes on the same clips as stage 1, labelled with the simulated MOS where rated",
        "(training folds) and with the proxy label elsewhere, so a few ratings correct the proxy without the",
        "network forgetting it; "
        + (
            "its length (0/10/30 epochs at lr/4) is picked per fold by inner 3-fold CV over the rated training clips."
            if args.stage2_epochs == "auto"
            else f"{args.stage2_epochs} epochs at lr/4 (fixed; tried on seeds 0-2 first, among those reported)."
        ),
        f"Network: {_cfg_text()}; all fixed a priori except the quantile normalisation (3-seed trial, seeds 0-2).",
        f"Stage-2 epochs over all folds and seeds: {_epoch_counts(res['epochs'])}.",
        "",
        "| predictor | PCC | SRCC |",
        "|---|---|---|",
        "| DubScore, stage 1 proxy labels -> stage 2 simulated MOS with rehearsal | "
        f"{ms([p for p, _ in res['stage2']])} | "
        f"{ms([r for _, r in res['stage2']])} |",
        f"| DubScore, simulated MOS only (rated clips) | {ms([p for p, _ in res['human_only']])} | "
        f"{ms([r for _, r in res['human_only']])} |",
        f"| DubScore, proxy labels only (stage 1) | {ms([p for p, _ in res['proxy_only']])} | "
        f"{ms([r for _, r in res['proxy_only']])} |",
        f"| proxy MOS (weights learned per fold, out of fold) | {ms([p for p, _ in res['proxy_fold']])} | "
        f"{ms([r for _, r in res['proxy_fold']])} |",
    ]
    best_single = max(names, key=lambda m: np.mean([p for p, _ in single[m]]))
    for m in sorted(names, key=lambda m: -np.mean([p for p, _ in single[m]])):
        lines.append(f"| metric {m} (sign: higher is better) | {ms([p for p, _ in single[m]])} | "
                     f"{ms([r for _, r in single[m]])} |")  # fmt: skip
    st2 = np.array([p for p, _ in res["stage2"]])
    bs = np.array([p for p, _ in single[best_single]])
    st2_r = np.array([r for _, r in res["stage2"]])
    best_srcc = max(names, key=lambda m: np.mean([r for _, r in single[m]]))
    bs_r = np.array([r for _, r in single[best_srcc]])
    n_abl = len(next(iter(abl.values())))
    lines += [
        "",
        f"Stage-2 DubScore beat the best single metric in PCC ({best_single}) in {int(np.sum(st2 > bs))} of {s} seeds"
        f" and the best in SRCC ({best_srcc}) in {int(np.sum(st2_r > bs_r))} of {s} seeds.",
        "",
        f"## Modality ablation (two-stage DubScore, 4-fold CV, vs hidden quality; first {n_abl} seeds; A+V+T is the",
        "3-member ensemble above, the other rows single models)",
        "| modalities | PCC | SRCC |",
        "|---|---|---|",
    ]
    for sub, v in abl.items():
        lines.append(f"| {'+'.join(sub)} | {ms([p for p, _ in v])} | {ms([r for _, r in v])} |")
    lines += ["", "Values are mean ± sd over seeds (seed = rater panel, CV split, training init, sampling).", ""]
    from evaluator.fileio import write_text

    write_text(args.out, "\n".join(lines))
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
