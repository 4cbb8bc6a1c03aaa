"""``dubkit review``: the review page of a dub project (and, with ``--preview``, a preview video)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.errors import handle_errors

P = click.Path(path_type=Path)


def default_page(project: Path) -> Path:
    """``out/ep.dubbed.dubkit`` -> ``out/ep.dubbed.review.html`` (beside the project)."""
    name = project.name[: -len(".dubkit")] if project.name.endswith(".dubkit") else project.name
    return project.parent / f"{name}.review.html"


@click.command()
@click.argument("project", type=P)
@click.option("-o", "--out", type=P, help="The page (default: beside PROJECT, NAME.review.html).")
@click.option("--scores", "scores", type=P, help="The directory `dubkit score PROJECT --out DIR` wrote.")
@click.option(
    "--min-score",
    "min_score",
    multiple=True,
    metavar="[NAME=]X",
    help="Flag lines with a score under X: the line's own (candidate) score, or NAME=X for a score of "
    "--scores (proxy_mos=3.5, spk_sim=0.5). Repeatable.",
)
@click.option("--preview", is_flag=True, help="Also write a low-resolution preview video (PAGE.preview.mp4).")
@click.option("--font", type=P, help="Font of the preview's text (default DejaVu Sans: no Indic or CJK glyphs).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
@handle_errors
def review(
    project: Path,
    out: Path | None,
    scores: Path | None,
    min_score: tuple[str, ...],
    preview: bool,
    font: Path | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Build one self-contained HTML page to review the dub PROJECT line by line.

    Open it in a browser (no server, no network): listen to the original and the dub of each line, see the
    timing and the scores, filter the flagged lines, and give verdicts; download them and re-render the
    lines sent back with `dubkit dub ... --lines-from VERDICTS.json`."""
    from cli.progress import progress_bar
    from evaluator.review import build_review_page, parse_min_scores
    from evaluator.review.page import count_spans

    if font is not None and not preview:
        raise click.UsageError("--font is the preview's: give it with --preview")
    thresholds = parse_min_scores(min_score)
    page = out or default_page(project)
    shown = not (quiet or as_json)
    result: dict = {}
    preview_path = page.with_name(page.stem + ".preview.mp4") if preview else None
    if preview_path is not None:
        from evaluator.review.preview import build_project_preview

        with progress_bar(None, "preview video", "frame", shown) as bar:  # the frame count comes with the video
            result["preview"] = build_project_preview(
                project, preview_path, scores=scores, min_scores=thresholds, font=font, progress=bar.update
            )
    bars: list = []  # the bar opens with the first encoded spans: after the inputs were checked

    def spans(n: int) -> None:
        if not bars:
            bars.append(progress_bar(count_spans(project), "encoding audio", "span", shown))
        bars[0].update(n)

    try:
        page_result = build_review_page(
            project, page, scores=scores, min_scores=thresholds, preview=preview_path, progress=spans
        )
    finally:
        for bar in bars:
            bar.close()
    result = {**page_result, **result}
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    if quiet:
        return
    flags = ", ".join(f"{n} {k}" for k, n in result["flags"].items() if n) or "none"
    click.echo(
        f"wrote {result['page']}: {result['lines']} lines, {result['flagged']} flagged ({flags}); "
        f"{result['audio_players']} audio players ({result['audio_format']}); "
        f"{result['bytes'] / 1e6:.1f} MB in {result['seconds']:.1f} s"
    )
    click.echo(f"the video is linked, not embedded: {result['video']['linked']}")
    if "preview" in result:
        p = result["preview"]
        click.echo(
            f"wrote {p['preview']}: {p['width']}x{p['height']} at {p['fps']:g} fps, {p['bytes'] / 1e6:.1f} MB "
            f"in {p['seconds']:.1f} s"
        )
    click.echo("open the page in a browser; download the verdicts, then: dubkit dub ... --lines-from VERDICTS.json")
