"""``dubkit train dubscore``: stage 1 on proxy labels, stage 2 on human MOS; k-fold CV, ablation, intervals."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cli.errors import handle_errors
from cli.options import parse_key_values
from evaluator.dubscore.config import TrainConfig

_D = TrainConfig()  # the defaults the help shows (one home: the dataclass)


def _num(v: float | None) -> str:
    """A report figure for the table; None (a fold too small for a correlation) prints as n/a."""
    return "  n/a" if v is None else f"{v:.3f}"


@click.command("dubscore")
@click.option("--data", required=True, type=click.Path(path_type=Path),
              help="CLIPS.csv (dubkit score list + labels), or a corpus directory with --scores.")  # fmt: skip
@click.option("--scores", type=click.Path(path_type=Path),
              help="dubkit score output for DATA: its metric values and proxy MOS are the labels.")  # fmt: skip
@click.option("--stage", type=click.Choice(["proxy", "human"]), default="proxy", show_default=True)
@click.option("--init", "init", type=click.Path(path_type=Path), help="Checkpoint to fine-tune (stage 2 from stage 1).")
@click.option("--preset", type=click.Choice(["paper"]),
              help="Training settings of a paper: paper = the DubScore paper's (Adam, lr 1e-4, batch 64, dropout 0.2, "
                   "50 epochs, 4-fold CV, LoRA projections to 256-d); options given on top override it.")  # fmt: skip
@click.option("--folds", type=int, help=f"k of the k-fold cross-validation [default: {_D.folds}].")
@click.option("--modalities", default="A,V,T", show_default=True, help="Any subset of A,V,T.")
@click.option("--head", type=click.Choice(["dubscore", "avfusion"]), default="dubscore", show_default=True)
@click.option("--profile", type=click.Choice(["offline", "paper"]), default="offline", show_default=True)
@click.option("--encoder-model", "encoder_models", multiple=True, help="CUE=DIR_OR_HUB_ID, e.g. wav2vec2=/m/w2v.")
@click.option("--proxy-weights", type=click.Path(path_type=Path), help="Learned proxy weights (stage proxy).")
@click.option("--feature-cache", type=click.Path(path_type=Path), help="Feature cache (default $DUBKIT_CACHE).")
@click.option("--epochs", type=int, help=f"[default: {_D.epochs}]")
@click.option("--lr", type=float, help=f"[default: {_D.lr}]")
@click.option("--hidden", type=int, help="Model width [default: 64 for dubscore, 512 for avfusion].")
@click.option("--projection", type=click.Choice(["adapter", "lora", "gelu"]),
              help="How each cue is projected to the width: adapter (linear + bottleneck adapter), lora (linear "
                   "projection with a LoRA adapter, the DubScore paper's), gelu (linear + GELU, AV-FusionNet's) "
                   "[default: adapter for dubscore, gelu for avfusion].")  # fmt: skip
@click.option("--proj-rank", type=int, help=f"Rank of the LoRA adapter of --projection lora [default: {_D.proj_rank}].")
@click.option("--optimizer", type=click.Choice(["adamw", "adam"]), help=f"[default: {_D.optimizer}]")
@click.option("--loss-lambda", default=0.6, show_default=True, help="avfusion: lambda*(1-CCC)+(1-lambda)*RMSE.")
@click.option("--batch-size", type=int, help=f"[default: {_D.batch_size}]")
@click.option("--dropout", type=float, help=f"[default: {_D.dropout}]")
@click.option("--weight-decay", type=float, help=f"AdamW: decoupled; Adam: L2 [default: {_D.weight_decay}].")
@click.option("--pca-dims", default=0, show_default=True,
              help="Cues wider than this: projected on their principal axes (training rows); 0: off.")  # fmt: skip
@click.option("--val-fraction", default=0.0, show_default=True,
              help="Early stopping on this share of the training clips (best epoch kept); 0: off.")  # fmt: skip
@click.option("--patience", default=10, show_default=True, help="Epochs without validation gain before stopping.")
@click.option("--ensemble", type=int, default=None,
              help="Members (different seeds), averaged [default: 1, or as many as --init has].")  # fmt: skip
@click.option("--mc-samples", default=20, show_default=True, help="MC-dropout passes for the intervals; 0: off.")
@click.option("--coverage", default=0.9, show_default=True, help="Coverage of the prediction intervals.")
@click.option(
    "--quantile-dims",
    default=0,
    show_default=True,
    help="Cues of at most this many features: quantile-normalised (metrics, statistics); 0: off.",
)
@click.option(
    "--rank-weight",
    default=0.0,
    show_default=True,
    help="Adds this times a pairwise ranking loss to the head's loss; 0: off.",
)
@click.option(
    "--rehearse",
    is_flag=True,
    help="Stage human: clips with an empty mos train on their proxy MOS; CV scores rated ones.",
)
@click.option("--cues", default="", help="Comma-separated cue names to use (default: all of the profile's).")
@click.option("--metric-cues", is_flag=True,
              help="Also feed the metric suite's values to the network (audio_metrics, text_metrics); off: "
                   "encoder cues only, as the paper (stage-1 labels are computed from the metrics).")  # fmt: skip
@click.option("--finetune-encoders", is_flag=True,
              help="Train LoRA adapters of the paper transformer encoders jointly with the fusion head.")  # fmt: skip
@click.option("--lora-rank", default=8, show_default=True)
@click.option("--no-ablation", is_flag=True, help="Skip the modality ablation table.")
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("dubscore_run"), show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def dubscore(
    data: Path, scores: Path | None, stage: str, init: Path | None, preset: str | None, folds: int | None,
    modalities: str, head: str,
    profile: str, encoder_models: tuple[str, ...], proxy_weights: Path | None, feature_cache: Path | None,
    epochs: int | None, lr: float | None, hidden: int | None, projection: str | None, proj_rank: int | None,
    optimizer: str | None, loss_lambda: float, batch_size: int | None, dropout: float | None,
    weight_decay: float | None, pca_dims: int,
    val_fraction: float, patience: int, ensemble: int | None, mc_samples: int, coverage: float,
    quantile_dims: int, rank_weight: float, rehearse: bool, cues: str, metric_cues: bool,
    finetune_encoders: bool, lora_rank: int, no_ablation: bool, seed: int, out: Path, as_json: bool, quiet: bool,
) -> None:  # fmt: skip
    """Train DubScore on DATA: CV report (PCC, SRCC, MSE per fold), ablation, PICP@90%, checkpoint in OUT."""
    from tqdm import tqdm

    from evaluator.dubscore.api import train_from_csv
    from evaluator.dubscore.config import preset_config
    from evaluator.dubscore.features import model_cues, parse_modalities
    from evaluator.options import Option

    models = parse_key_values(
        encoder_models, flag="--encoder-model", declared=[Option(c) for c in model_cues()], what="the cue models"
    )
    if ensemble is None:  # fine-tuning keeps the init checkpoint's members
        from evaluator.dubscore.checkpoint import load_checkpoint

        ensemble = len(load_checkpoint(init).members) if init is not None else 1
    cfg = preset_config(preset, head=head, modalities=parse_modalities(modalities), hidden=hidden, epochs=epochs,
                        lr=lr, folds=folds, seed=seed, loss_lambda=loss_lambda, batch_size=batch_size, dropout=dropout,
                        weight_decay=weight_decay, pca_dims=pca_dims, val_fraction=val_fraction, patience=patience,
                        ensemble=ensemble, mc_samples=mc_samples, coverage=coverage, quantile_dims=quantile_dims,
                        rank_weight=rank_weight, projection=projection, proj_rank=proj_rank,
                        optimizer=optimizer)  # fmt: skip
    if stage == "human" and init is None and not quiet:
        click.echo("note: stage human without --init trains from scratch on the ratings", err=True)
    bars: dict[str, tqdm] = {}

    def progress(what: str, done: int, total: int) -> None:
        if what not in bars:
            bars[what] = tqdm(total=total, desc=what, file=sys.stderr, disable=quiet or as_json, leave=False)
        bars[what].n = done
        bars[what].refresh()

    try:
        report = train_from_csv(data, out, cfg, stage=stage, init=init, profile=profile,
                                models=models, cache_dir=feature_cache, proxy_weights=proxy_weights,
                                run_ablation=not no_ablation, progress=progress,
                                cues=[c.strip() for c in cues.split(",") if c.strip()] or None,
                                finetune_encoders=finetune_encoders, lora_rank=lora_rank,
                                rehearse=rehearse, scores=scores, metric_cues=metric_cues)  # fmt: skip
    finally:
        for b in bars.values():
            b.close()
    if as_json:
        from evaluator.fileio import json_safe

        click.echo(json.dumps(json_safe(report), allow_nan=False))
        return
    click.echo(f"{report['clips']} clips, stage {stage}, labels: {report['labels']}")
    if report["ensemble"] > 1:
        seeds = ", ".join(str(seed + 1000 * i) for i in range(report["ensemble"]))
        click.echo(f"ensemble of {report['ensemble']} members (seeds {seeds}), averaged")
    click.echo("fold   PCC     SRCC    MSE")
    for f in report["folds"]:
        click.echo(f"{f['fold']:<6} {_num(f['pcc'])}   {_num(f['srcc'])}   {_num(f['mse'])}")
    o = report["overall"]
    click.echo(f"all    {_num(o['pcc'])}   {_num(o['srcc'])}   {_num(o['mse'])}")
    iv = report["intervals"]
    click.echo(f"{iv['coverage']:.0%} intervals ({iv['method']}): PICP {iv['picp']:.3f}, MPIW {iv['mpiw']:.3f}")
    if report["ablation"]:
        click.echo("modalities  PCC     SRCC    MSE")
        for r in report["ablation"]:
            click.echo(f"{r['modalities']:<11} {_num(r['pcc'])}   {_num(r['srcc'])}   {_num(r['mse'])}")
    for cue, lo in report.get("lora", {}).items():
        click.echo(f"LoRA adapters on {cue}: rank {lo['rank']}, targets {','.join(lo['targets'])} ({lo['finetuned']})")
    click.echo(f"wrote {report['checkpoint']} and {out / 'report.json'}")
