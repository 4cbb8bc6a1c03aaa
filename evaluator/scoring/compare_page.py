"""The leaderboard as one self-contained HTML page (``dubkit compare --html``), in the page kit's style.

One row per system, one column per metric (mean, 95% CI, distance to a target, p against the best), the
best system per metric marked in text as well as colour, sortable by any column; the models behind each
metric; the box plots and radar chart embedded; the leaderboard CSV downloadable from the page.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from evaluator.html import data_uri, render_page, write_page

HERE = Path(__file__).resolve().parent


def _num(v: float | None, digits: int = 3) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.{digits}f}"


def _direction(e: dict[str, Any]) -> tuple[str, str]:
    """(arrow, words) for a metric's ranking."""
    if e.get("target") is not None:
        return f"→{e['target']:g}", f"closest to {e['target']:g} is best"
    return ("↑", "higher is better") if e["higher_is_better"] else ("↓", "lower is better")


def _rows(table: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for s in table["systems"]:
        cells = []
        for e in table["metrics"].values():
            c = e["cells"].get(s)
            if c is None:
                cells.append({"missing": True, "sort": ""})
                continue
            key = c["distance"] if "distance" in c else c["mean"]
            # sort so that ascending = best first: negate where higher is better
            good_first = key if (e.get("target") is not None or not e["higher_is_better"]) else -key
            cells.append(
                {
                    "missing": False,
                    "best": c["best"],
                    "mean": _num(c["mean"]),
                    "ci": f"[{_num(c['ci95'][0])}, {_num(c['ci95'][1])}]",
                    "distance": _num(c["distance"]) if "distance" in c else None,
                    "p": None if c["best"] else _num(c.get("p_vs_best")),
                    "pairs": c.get("pairs"),
                    "n": c["n"],
                    "sort": good_first if math.isfinite(good_first) else "",
                }
            )
        rows.append({"system": s, "wins": sum(1 for e in table["metrics"].values() if e["best"] == s), "cells": cells})
    return rows


def write_compare_page(
    table: dict[str, Any], path: str | os.PathLike[str], *, csv_text: str, figures: dict[str, Path]
) -> int:
    """Write the leaderboard page for ``table`` (as ``compare`` returns it); ``figures`` maps a caption to a
    PNG file to embed. Returns the page's size in bytes."""
    metrics = []
    for name, e in table["metrics"].items():
        arrow, words = _direction(e)
        metrics.append(
            {"name": name, "arrow": arrow, "words": words, "model": e.get("model_id"), "backend": e.get("backend")}
        )
    figs = [
        {"caption": caption, "src": data_uri(Path(p).read_bytes(), "image/png"), "alt": caption}
        for caption, p in figures.items()
    ]
    html = render_page(
        HERE / "compare_page.html.j2",
        title=f"Leaderboard ({table['kind']} scores)",
        data={"csv": csv_text, "kind": table["kind"]},
        scripts=[HERE / "compare_page.js"],
        systems=table["systems"],
        metrics=metrics,
        rows=_rows(table),
        figures=figs,
        kind=table["kind"],
    )
    return write_page(path, html)
