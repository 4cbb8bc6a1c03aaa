"""``dubkit ratings``: import human ratings (MOS, reliability) and propose the clips to rate next."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.errors import handle_errors


@click.group()
def ratings() -> None:
    """Collect human ratings for DubScore: import them, choose what to rate next."""


@ratings.command("import")
@click.argument("ratings_csv", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--clips", type=click.Path(path_type=Path), help="CLIPS.csv to add a mos column to (written to --out).")
@click.option(
    "--scores", type=click.Path(path_type=Path), help="dubkit score rows (scores.jsonl): learn proxy weights."
)
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("ratings_out"), show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@handle_errors
def import_(ratings_csv: tuple[Path, ...], clips: Path | None, scores: Path | None, out: Path, as_json: bool) -> None:
    """Read RATINGS_CSV... (clip, rater, overall, sync, speaker, clarity, emotion, prosody[, repeat]; one file per
    rater or one for all): MOS per clip, Cronbach's alpha, ICC(1), ICC(2), the raters' consistency on repeated
    clips; with --scores also the proxy weights fitted to these MOS."""
    import csv
    import io

    from evaluator.dubscore.ratings import Ratings
    from evaluator.fileio import write_json, write_text

    r = Ratings.read(*ratings_csv)
    mos = r.mos()
    rel = r.reliability()
    consistency = r.consistency()
    result = {
        "ratings": [str(p) for p in ratings_csv],
        "reliability": rel,
        "consistency": consistency,
        "mos_file": str(out / "mos.json"),
    }
    write_json(out / "mos.json", mos)
    if clips is not None:
        from evaluator.dubscore.data import read_rows

        rows = read_rows(clips)
        buf = io.StringIO()
        w = csv.DictWriter(buf, [*[k for k in rows[0] if k != "mos"], "mos"])
        w.writeheader()
        for row in rows:
            cid = row.get("id") or Path(row["audio"]).stem
            row["mos"] = f"{mos[cid]['mos']:.4f}" if cid in mos else ""
            w.writerow(row)
        write_text(out / clips.name, buf.getvalue())
        result["clips_file"] = str(out / clips.name)
    if scores is not None:
        from evaluator.dubscore.proxy import ProxyWeights
        from evaluator.dubscore.ratings_io import rated_metrics
        from evaluator.metrics.presets import anchored_metrics

        x, y, names = rated_metrics(scores, mos, anchored_metrics())
        w8 = ProxyWeights.learn(x, y, names)
        w8.save(out / "proxy_weights.json")
        result["proxy_weights"] = {
            "file": str(out / "proxy_weights.json"),
            "weights": dict(zip(names, w8.weights, strict=True)),
        }
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"{rel['clips']} clips, {rel['raters']} raters, {rel['ratings']} ratings")
    for k in ("icc1", "icc2", "alpha_raters", "alpha_aspects"):
        v = rel[k]
        click.echo(f"  {k:<14} {'n/a' if v is None else f'{v:.3f}'}")
    if consistency is not None:
        click.echo(
            f"repeated clips: {consistency['pairs']} pairs, mean |difference| {consistency['mean_abs_diff']:.2f}, "
            f"{100 * consistency['within_1']:.0f}% within 1 point"
        )
        for rater, c in consistency["raters"].items():
            click.echo(f"  {rater:<14} {c['pairs']} pairs, mean |difference| {c['mean_abs_diff']:.2f}")
    click.echo(f"wrote {out / 'mos.json'}" + (f", {result['clips_file']}" if clips else ""))


@ratings.command("next")
@click.option("--scores", required=True, type=click.Path(path_type=Path), help="dubkit score rows (scores.jsonl).")
@click.option(
    "--ratings", "ratings_csv", multiple=True, type=click.Path(path_type=Path), help="Ratings so far (repeatable)."
)
@click.option("--budget", required=True, type=click.IntRange(1), help="Clips to have rated in all (every stage).")
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def next_(scores: Path, ratings_csv: tuple[Path, ...], budget: int, seed: int, as_json: bool, quiet: bool) -> None:
    """Print the clips to rate next, in the paper's three stages of a label BUDGET: a diverse set (k-center on clip
    length, background level and speaker identity) up to 33% of it, then the clips the proxy is least sure of,
    kept diverse, up to 66% and 100%. Run it again after each batch of ratings is imported."""
    from cli.progress import progress_bar
    from evaluator.dubscore.ratings import Ratings
    from evaluator.dubscore.ratings_io import next_from_scores, read_score_rows

    mos = Ratings.read(*ratings_csv).mos() if ratings_csv else {}
    n = len(read_score_rows(scores))
    with progress_bar(n, "reading clips", "clip", not (quiet or as_json)) as bar:
        result = next_from_scores(scores, mos, budget, seed=seed, progress=lambda i: bar.update(i - bar.n))
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    if result.stage is None:
        click.echo(f"the budget of {budget} is spent: {result.rated} clips rated", err=True)
        return
    if not quiet:
        click.echo(
            f"stage {result.stage} of 3 ({result.method}): {len(result.ids)} clips, to {result.target} rated "
            f"of a budget of {budget}",
            err=True,
        )
    for cid in result.ids:
        click.echo(cid)


@ratings.command("page")
@click.argument("clips", type=click.Path(path_type=Path))
@click.option(
    "--pick",
    type=click.Path(path_type=Path),
    help="The ids `dubkit ratings next` printed (one per line, or its --json output); default: every clip.",
)
@click.option("-o", "--out", type=click.Path(path_type=Path), default=Path("listening_test.html"), show_default=True)
@click.option("--repeats", type=click.IntRange(0), help="Clips each rater sees twice (default: a tenth, 2-10).")
@click.option("--seed", default=0, show_default=True, help="Salt of every rater's order (a new test: a new seed).")
@click.option("--title", default="Dubbing listening test", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def page(
    clips: Path,
    pick: Path | None,
    out: Path,
    repeats: int | None,
    seed: int,
    title: str,
    as_json: bool,
    quiet: bool,
) -> None:
    """Build a self-contained listening test page (one HTML file) for CLIPS (the CLIPS.csv `dubkit score` read).

    Raters open it in a browser, rate each clip on the six aspects (1-5) and download a CSV that
    `dubkit ratings import` reads."""
    from cli.progress import progress_bar
    from evaluator.dubscore.rating_page import build_rating_page, read_picks, select
    from evaluator.scoring import resolve_input

    items = select(resolve_input(clips), read_picks(pick) if pick else None, where=str(clips))
    with progress_bar(len(items), "encoding clips", "clip", not (quiet or as_json)) as bar:
        result = build_rating_page(items, out, repeats=repeats, seed=seed, title=title, progress=bar.update)
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(
        f"wrote {result['page']}: {result['clips']} clips ({result['video_clips']} with video), "
        f"{result['repeats']} repeated, {result['trials_per_rater']} per rater; "
        f"{result['bytes'] / 1e6:.1f} MB in {result['seconds']:.1f} s"
    )
    click.echo("send it to each rater; collect their CSVs, then: dubkit ratings import ratings_*.csv ...")
