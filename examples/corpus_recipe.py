"""The DubScore corpus recipe for one dataset: build the dubbed corpus, score it, train DubScore stage 1 on
its proxy MOS, pick the clips of a listening test and build its page. ``examples/meld/run.py`` and
``examples/m2h2/run.py`` call :func:`main` with their dataset's name.

Each step is one ``dubkit`` command; the script prints it (``$ dubkit ...``), then runs it in this process
(the same command line, without starting a new interpreter per step). ``--dry-run`` only prints them.

``--smoke`` runs the whole recipe offline on the small fixture tree of the dataset (real formats, every
quirk; ``dubber.dataset_fixtures``): table translation from the CSV beside the script, espeak for Hindi,
piper for English, a few metrics, a small DubScore. The full recipe needs the dataset, a vLLM server with
an instruction model and F5 weights (see the README beside each script).
"""

from __future__ import annotations

import argparse
import json
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Recipe:
    """One dataset's recipe: languages, the paper's corpus sizes, and the offline smoke backends."""

    dataset: str
    target: str
    dubs: int  # utterances dubbed at full size (the paper's corpus: ~6k MELD, ~4k M2H2)
    originals: int  # original clips added as ground truth (2k over both datasets)
    smoke_synth: str  # an offline voice that speaks the target language
    smoke_table: str  # translations of the fixture's ids, beside run.py
    f5_languages: str  # what the F5 checkpoint must speak: the target (and the voice reference's language)


RECIPES = {
    "meld": Recipe("meld", "hi", 6000, 1000, "espeak", "translations.hi.csv", "hi,en"),
    "m2h2": Recipe("m2h2", "en", 4000, 1000, "piper", "translations.en.csv", "en,hi"),
}

#: the smoke run's metrics and DubScore: enough to exercise every step in well under a minute of CPU
SMOKE_METRICS = "spk_sim,dnsmos_ovrl,slot_error_ms,stretch_ratio"
SMOKE_TRAIN = ["--modalities", "A", "--cues", "voice,quality", "--folds", "2", "--epochs", "3", "--hidden", "16",
               "--mc-samples", "4", "--no-ablation"]  # fmt: skip
#: the full run's DubScore stage 1 (README "DubScore"): a seed ensemble with early stopping
FULL_TRAIN = ["--stage", "proxy", "--ensemble", "5", "--pca-dims", "32", "--val-fraction", "0.2"]


def parse(argv: Sequence[str] | None, recipe: Recipe) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=f"examples/{recipe.dataset}/run.py",
        description=f"The DubScore corpus recipe for {recipe.dataset.upper()} (dubbed into {recipe.target}).",
    )
    p.add_argument("--smoke", action="store_true", help="offline, on the fixture tree (what CI runs)")
    p.add_argument("--out", type=Path, default=Path("build/examples") / recipe.dataset, help="working directory")
    p.add_argument("--dataset-dir", type=Path, help="the dataset (full run)")
    p.add_argument("--vllm-url", help="vLLM server, e.g. http://localhost:8000/v1 (full run)")
    p.add_argument("--vllm-model", default="Qwen/Qwen2.5-7B-Instruct", help="served translation model")
    p.add_argument("--f5-ckpt", type=Path, help="F5 checkpoint that speaks the target language (full run)")
    p.add_argument("--f5-vocab", type=Path, help="its vocabulary, when it is not F5's packaged en/zh one")
    p.add_argument("--f5-config", default="F5TTS_v1_Base", help="its model config (F5TTS_Small for F5-Small)")
    p.add_argument("--vocoder", default="charactr/vocos-mel-24khz", help="Vocos directory or hub id")
    p.add_argument("--device", default="auto", help="F5 device: auto, cuda, cuda:N")
    p.add_argument("--whisper-model", type=Path, help="faster-whisper model directory: WER in both languages")
    p.add_argument("--dubs", type=int, default=recipe.dubs, help="utterances to dub, drawn at random (--sample)")
    p.add_argument("--originals", type=int, default=recipe.originals, help="original clips")
    p.add_argument("--budget", type=int, default=200, help="clips to rate in all (next: 33%% first)")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    args = p.parse_args(argv)
    if not args.smoke and not args.dry_run:
        missing = [f for f in ("dataset_dir", "vllm_url", "f5_ckpt") if getattr(args, f) is None]
        if missing:
            p.error("the full recipe needs " + ", ".join("--" + m.replace("_", "-") for m in missing) + " (or --smoke)")
    return args


def paths(recipe: Recipe, out: Path) -> dict[str, Path]:
    """Where the recipe writes: the corpus, its scores, the DubScore run, the listening test."""
    return {
        "corpus": out / f"{recipe.dataset}-{recipe.target}",
        "scores": out / "scores",
        "model": out / "dubscore-stage1",
        "picked": out / "picked.json",
        "page": out / "listening_test.html",
    }


def commands(recipe: Recipe, args: argparse.Namespace, dataset_dir: Path) -> dict[str, list[str]]:
    """The four steps' ``dubkit`` arguments."""
    out = args.out
    corpus, scores, model, picked, page = paths(recipe, out).values()
    build = ["corpus", "build", str(dataset_dir), "--dataset", recipe.dataset, "--to", recipe.target,
             "-o", str(corpus), "--fit", "global", "--seed", "0"]  # fmt: skip
    score = ["score", str(corpus), "-o", str(scores), "--resume"]
    train = ["train", "dubscore", "--data", str(corpus), "--scores", str(scores), "-o", str(model),
             "--feature-cache", str(out / "features")]  # fmt: skip
    if args.smoke:
        build += ["--translations", str(HERE / recipe.dataset / recipe.smoke_table), "--synth", recipe.smoke_synth,
                  "--originals", "3", "-q"]  # fmt: skip
        score += ["--metrics", SMOKE_METRICS, "-q"]
        train += [*SMOKE_TRAIN, "-q"]
        budget = 9  # ratings next proposes the first of its three stages: 33% of 9 = 3 clips
    else:
        build += ["--translate", "vllm", "--url", str(args.vllm_url), "--model", args.vllm_model,
                  "--synth", "f5", "--f5-ckpt", str(args.f5_ckpt), "--f5-config", args.f5_config,
                  "--vocoder", args.vocoder, "--synth-opt", f"device={args.device}",
                  "--originals", str(args.originals), "--sample", str(args.dubs)]  # fmt: skip
        if args.f5_vocab is not None:
            build += ["--f5-vocab", str(args.f5_vocab), "--synth-opt", f"languages={recipe.f5_languages}"]
        score += ["--profile", "auto"]
        if args.whisper_model is not None:
            score += ["--backend", "transcript=faster-whisper", "--metric-option",
                      f"faster_whisper_model={args.whisper_model}"]  # fmt: skip
        train += FULL_TRAIN
        budget = args.budget
    nxt = ["ratings", "next", "--scores", str(scores), "--budget", str(budget), "--json"]
    page_cmd = ["ratings", "page", str(corpus), "--pick", str(picked), "-o", str(page), *(["-q"] if args.smoke else [])]
    return {"build": build, "score": score, "train": train, "next": nxt, "page": page_cmd}


def run(args: list[str], stdout: Path | None = None) -> float:
    """Run one dubkit command in this process (its standard output also into ``stdout`` when given); its exit
    status ends the recipe when it fails."""
    import contextlib
    import io

    import click

    from cli.main import main as dubkit

    t0 = time.perf_counter()
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink) if stdout is not None else contextlib.nullcontext():
            dubkit.main(args=args, prog_name="dubkit", standalone_mode=False)
    except click.ClickException as exc:  # a usage error: click's own message and status
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except SystemExit as exc:  # handle_errors exits with the status of a user error
        if exc.code not in (0, None):
            raise
    if stdout is not None:
        stdout.write_text(sink.getvalue(), encoding="utf-8")
        print(sink.getvalue(), end="")
    return time.perf_counter() - t0


def main(name: str, argv: Sequence[str] | None = None) -> int:
    recipe = RECIPES[name]
    args = parse(argv, recipe)
    dataset_dir = args.dataset_dir
    if args.smoke:
        dataset_dir = args.out / "fixture"
        if not args.dry_run:
            from dubber import dataset_fixtures

            build_fixture = getattr(dataset_fixtures, f"build_{recipe.dataset}_fixture")
            build_fixture(dataset_dir)
    steps = commands(recipe, args, dataset_dir or Path(f"{recipe.dataset.upper()}_DIR"))
    where = paths(recipe, args.out)
    seconds = {}
    for step, cmd in steps.items():
        into = where["picked"] if step == "next" else None
        print("$ dubkit " + shlex.join(cmd) + (f" > {shlex.quote(str(into))}" if into else ""), flush=True)
        if not args.dry_run:
            seconds[step] = run(cmd, stdout=into)
    if args.dry_run:
        return 0
    report = json.loads((where["corpus"] / "build_report.json").read_text(encoding="utf-8"))
    build = report["build"]
    per_clip = build["timing"].get("dubbed", {})
    checkpoint = where["model"] / "dubscore.pt"
    print(
        f"{recipe.dataset}: {build['rows'].get('dubbed', 0)} dubbed + {build['rows'].get('original', 0)} original "
        f"clips; {report['counts'].get('build_skipped', 0)} utterances skipped (reasons in build_report.json)"
    )
    if per_clip:
        print(f"build: {per_clip['mean_s']:.2f} s per dubbed clip (median {per_clip['median_s']:.2f} s)")
    print("seconds per step: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    print(f"DubScore stage 1: {checkpoint}; listening test: {where['page']} ({where['picked']})")
    return 0
