"""``dubkit train``: training commands (``synth`` here; ``dubscore`` joins the same group)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cli.errors import handle_errors
from cli.train_dubscore import dubscore


@click.group()
def train() -> None:
    """Train dubkit's models."""


@train.command("synth")
@click.option("--data", required=True, type=click.Path(path_type=Path), help="V2C-style JSONL (audio, text per line).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Run directory (resumes from last.pt).")
@click.option("--f5-ckpt", "ckpt", help="Base F5 checkpoint (.safetensors/.pt; default: the config's hub file).")
@click.option("--f5-config", "model_config", default="F5TTS_v1_Base", show_default=True, help="F5 config or YAML.")
@click.option("--mode", type=click.Choice(["control", "lora", "full"]), default="control", show_default=True)
@click.option("--steps", default=1000, show_default=True, help="Optimiser updates in all.")
@click.option("--batch-size", default=4, show_default=True)
@click.option("--grad-accum", default=1, show_default=True, help="Micro-batches per update.")
@click.option("--lr", default=1e-4, show_default=True)
@click.option("--control-blocks", default=4, show_default=True, help="DiT blocks copied into the control branch.")
@click.option("--clip", help="CLIP vision model (directory or hub id) for utterances with a video span.")
@click.option(
    "--graph-profile",
    type=click.Choice(["offline", "paper"]),
    help="Emotion graph from the line and its retrieved hits, with this footage-library profile's encoders.",
)
@click.option("--save-every", default=500, show_default=True)
@click.option("--device", default="auto", show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def synth(
    data: Path,
    out: Path,
    ckpt: str | None,
    model_config: str,
    mode: str,
    steps: int,
    batch_size: int,
    grad_accum: int,
    lr: float,
    control_blocks: int,
    clip: str | None,
    graph_profile: str | None,
    save_every: int,
    device: str,
    seed: int,
    as_json: bool,
    quiet: bool,
) -> None:
    """Train the F5 condition branch on DATA: flow matching plus duration loss; base frozen unless --mode."""
    from tqdm import tqdm

    from dubber.synth.f5.train import SynthTrainConfig, train_synth

    cfg = SynthTrainConfig(
        data=data, out=out, ckpt=ckpt, model_config=model_config, mode=mode, steps=steps, batch_size=batch_size,
        grad_accum=grad_accum, lr=lr, save_every=save_every, device=device, seed=seed,
        control={"n_blocks": control_blocks}, clip=clip, graph_profile=graph_profile,
    )  # fmt: skip
    bar = tqdm(total=steps, desc="train synth", file=sys.stderr, disable=quiet)

    def progress(rec: dict) -> None:
        bar.n = rec["step"]
        bar.set_postfix(flow=f"{rec['flow_loss']:.4f}", dur=f"{rec['duration_loss']:.3f}")
        bar.refresh()

    summary = train_synth(cfg, progress=progress)
    bar.close()
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo(
            f"{summary['checkpoint']}: {summary['steps']} steps, flow loss "
            f"{summary['loss_before']['flow_loss']:.4f} -> {summary['loss_after']['flow_loss']:.4f}"
        )


train.add_command(dubscore)
