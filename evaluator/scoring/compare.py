"""Compare systems' score runs: leaderboard (markdown, CSV) with paired tests, box plots and a radar chart.

A system is a directory written by ``dubkit score`` (scores.jsonl + summary.json). Items are matched
across systems by id; the difference of each system to the best one on a metric is tested with the
Wilcoxon signed-rank test on the matched items (at least 6 pairs), else reported as ``n/a``. When the
systems were not scored on the same items (none shared, or only some), the table carries a warning
saying how many they share. Intervals are clamped to each metric's range.

A metric whose spec has a ``target`` (``stretch_ratio``: 1) is ranked by each system's mean distance to
the target (per item, ``abs`` or ``log`` as the spec says), and the paired test runs on those distances.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.errors import ConfigError
from evaluator.fileio import atomic_path, write_text
from evaluator.metrics.spec import badness
from evaluator.scoring.rows import read_rows
from evaluator.scoring.summary import mean_ci

MIN_PAIRS = 6


def load_systems(args: list[str]) -> dict[str, Path]:
    """``SYSTEMS.yaml`` (name: directory) or score directories (named after the directory)."""
    if len(args) == 1 and Path(args[0]).suffix.lower() in {".yaml", ".yml"}:
        import yaml

        path = Path(args[0])
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read systems file ({exc})") from None
        if not isinstance(data, dict) or not data:
            raise ConfigError(f"{path}: expected a mapping of system name to score directory")
        systems = {str(k): (path.parent / str(v)) if not os.path.isabs(str(v)) else Path(v) for k, v in data.items()}
    else:
        systems = {}
        for a in args:
            name = Path(a).resolve().name
            if name in systems:
                raise ConfigError(f"two systems are named {name!r}", hint="use a SYSTEMS.yaml to name them")
            systems[name] = Path(a)
    for name, d in systems.items():
        if not (d / "scores.jsonl").is_file():
            raise ConfigError(
                f"{d}: no scores.jsonl for system {name!r}",
                hint="score the system into that directory first (dubkit score)",
            )
    if len(systems) < 2:
        raise ConfigError("compare needs at least two systems")
    return systems


def _values(d: Path, kind: str) -> tuple[dict[str, dict[str, float]], dict[str, Any], set[str]]:
    """Per metric the values by item id, the specs, and the ids of every item of ``kind`` in the run."""
    per_metric: dict[str, dict[str, float]] = {}
    ids: set[str] = set()
    for row in read_rows(d / "scores.jsonl").values():
        if row.get("kind", "clip") != kind:
            continue
        ids.add(row["id"])
        for name, m in row.get("metrics", {}).items():
            if m.get("value") is not None:
                per_metric.setdefault(name, {})[row["id"]] = float(m["value"])
    summary = json.loads((d / "summary.json").read_text(encoding="utf-8")) if (d / "summary.json").is_file() else {}
    return per_metric, summary.get("specs", {}), ids


def shared_items_warnings(items: dict[str, set[str]], kind: str) -> list[str]:
    """What to say when the systems were not scored on the same items (matched by id)."""
    shared = set.intersection(*items.values()) if items else set()
    every = set.union(*items.values()) if items else set()
    counts = ", ".join(f"{s}: {len(ids)}" for s, ids in items.items())
    if not shared:
        return [
            f"the systems share no {kind} items ({counts}): each mean is over different items, so the table does not "
            "compare the systems on the same material, and no paired test can run"
        ]
    if shared != every:
        return [
            f"the systems share {len(shared)} of {len(every)} {kind} items ({counts}): means are over each system's "
            f"own items; paired tests use the {len(shared)} shared ones"
        ]
    return []


def paired_p(a: dict[str, float], b: dict[str, float]) -> tuple[float | None, int]:
    """Wilcoxon signed-rank p-value on items present in both, and the number of pairs."""
    from scipy import stats

    ids = sorted(set(a) & set(b))
    if len(ids) < MIN_PAIRS:
        return None, len(ids)
    x, y = np.array([a[i] for i in ids]), np.array([b[i] for i in ids])
    if np.allclose(x, y):
        return 1.0, len(ids)
    return float(stats.wilcoxon(x, y).pvalue), len(ids)


def _ranking(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Range, direction and target of metric ``name``; score files written before targets existed take the preset's."""
    if "target" not in spec:
        from evaluator.metrics.presets import all_presets

        spec = {**all_presets().get(name, {}), **spec}
    return {
        "range": spec.get("range"),
        "higher_is_better": bool(spec.get("higher_is_better", True)),
        "target": None if spec.get("target") is None else float(spec["target"]),
        "target_distance": str(spec.get("target_distance", "abs")),
    }


def compare(systems: dict[str, Path], out_dir: str | Path, *, kind: str = "clip", html: bool = False) -> dict[str, Any]:
    """Write leaderboard.md, leaderboard.csv, boxplots.png and radar.png (with ``html`` also leaderboard.html, a
    self-contained page of the table and plots); return the table as a dict (with ``warnings`` when the
    systems were not scored on the same items)."""
    data, specs, items = {}, {}, {}
    for name, d in systems.items():
        data[name], s, items[name] = _values(d, kind)
        specs.update({k: v for k, v in s.items() if k not in specs})
    metrics = [m for m in specs if any(m in data[s] for s in systems)]
    metrics += sorted({m for s in systems for m in data[s]} - set(metrics))
    if not metrics:
        raise ConfigError(f"no {kind} scores to compare", hint="try kind line or clip", param="kind")
    warnings = shared_items_warnings(items, kind)
    table: dict[str, Any] = {"kind": kind, "systems": list(systems), "warnings": warnings, "metrics": {}}
    for m in metrics:
        rank = _ranking(m, specs.get(m, {}))
        target = rank["target"]

        def bad(v: float, rank: dict[str, Any] = rank) -> float:
            return badness(
                v,
                higher_is_better=rank["higher_is_better"],
                target=rank["target"],
                target_distance=rank["target_distance"],
            )

        cells = {}
        for s in systems:
            vals = list(data[s].get(m, {}).values())
            if vals:
                mean, _, lo, hi = mean_ci(vals, score_range=rank["range"])
                cells[s] = {"mean": mean, "ci95": [lo, hi], "n": len(vals)}
                if target is not None:
                    cells[s]["distance"] = float(np.mean([bad(v) for v in vals]))
        if not cells:
            continue
        best = min(cells, key=lambda s: cells[s]["distance"] if target is not None else bad(cells[s]["mean"]))
        for s, c in cells.items():
            c["best"] = s == best
            if s != best:
                a, b = data[best].get(m, {}), data[s].get(m, {})
                if target is not None:  # test the distances to the target, which is what "better" means here
                    a, b = {k: bad(v) for k, v in a.items()}, {k: bad(v) for k, v in b.items()}
                p, pairs = paired_p(a, b)
                c["p_vs_best"], c["pairs"] = p, pairs
        table["metrics"][m] = {
            "higher_is_better": rank["higher_is_better"],
            "target": target,
            "target_distance": rank["target_distance"] if target is not None else None,
            "best": best,
            "model_id": specs.get(m, {}).get("model_id"),
            "backend": specs.get(m, {}).get("backend"),
            "cells": cells,
        }
    out = Path(out_dir)
    csv_text = _csv(table)
    write_text(out / "leaderboard.md", _markdown(table))
    write_text(out / "leaderboard.csv", csv_text)
    _boxplots(data, table, out / "boxplots.png")
    _radar(table, out / "radar.png")
    names = ["leaderboard.md", "leaderboard.csv", "boxplots.png", "radar.png"]
    if html:
        from evaluator.scoring.compare_page import write_compare_page

        figures = {
            "Per-metric distributions per system (box: quartiles, line: median, triangle: mean)": out / "boxplots.png",
            "Systems per metric, each metric's means scaled to 0-1 across systems (1 = best)": out / "radar.png",
        }
        write_compare_page(table, out / "leaderboard.html", csv_text=csv_text, figures=figures)
        names.append("leaderboard.html")
    table["files"] = [str(out / n) for n in names]
    return table


def _arrow(e: dict[str, Any]) -> str:
    if e.get("target") is not None:
        return f"→{e['target']:g}"
    return "↑" if e["higher_is_better"] else "↓"


def _fmt(v: float | None, digits: int = 3) -> str:
    return "n/a" if v is None or not math.isfinite(v) else f"{v:.{digits}f}"


def _markdown(table: dict[str, Any]) -> str:
    systems = table["systems"]
    lines = [
        f"# Leaderboard ({table['kind']} scores)",
        "",
        "Mean [95% CI]; **bold** is best per metric (↑ higher, ↓ lower, →x closest to x: ranked by the mean "
        "distance d to x); p is the Wilcoxon signed-rank test against the best on matched items (n/a: fewer than "
        "6 pairs).",
        "",
        *[f"**Warning:** {w}." for w in table.get("warnings", [])],
        *([""] if table.get("warnings") else []),
        "| metric | " + " | ".join(systems) + " |",
        "|---|" + "---|" * len(systems),
    ]
    for m, e in table["metrics"].items():
        arrow = _arrow(e)
        row = [f"{m} {arrow}"]
        for s in systems:
            c = e["cells"].get(s)
            if c is None:
                row.append("–")
                continue
            text = f"{_fmt(c['mean'])} [{_fmt(c['ci95'][0])}, {_fmt(c['ci95'][1])}]"
            if "distance" in c:
                text += f" d={_fmt(c['distance'])}"
            text = f"**{text}**" if c["best"] else f"{text} p={_fmt(c.get('p_vs_best'))}"
            row.append(text)
        lines.append("| " + " | ".join(row) + " |")
    models = {m: e["model_id"] for m, e in table["metrics"].items() if e.get("model_id")}
    if models:
        lines += ["", "Models: " + "; ".join(f"{m}: {mid}" for m, mid in models.items())]
    return "\n".join(lines) + "\n"


def _csv(table: dict[str, Any]) -> str:
    buf = io.StringIO()
    fields = [
        "metric",
        "system",
        "n",
        "mean",
        "ci95_low",
        "ci95_high",
        "best",
        "p_vs_best",
        "pairs",
        "higher_is_better",
        "target",
        "distance",
    ]
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for m, e in table["metrics"].items():
        for s, c in e["cells"].items():
            w.writerow(
                {
                    "metric": m,
                    "system": s,
                    "n": c["n"],
                    "mean": c["mean"],
                    "ci95_low": c["ci95"][0],
                    "ci95_high": c["ci95"][1],
                    "best": c["best"],
                    "p_vs_best": c.get("p_vs_best"),
                    "pairs": c.get("pairs"),
                    "higher_is_better": e["higher_is_better"],
                    "target": e.get("target"),
                    "distance": c.get("distance"),
                }
            )
    return buf.getvalue()


def _figure():  # noqa: ANN202 - matplotlib types
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _boxplots(data: dict[str, dict[str, dict[str, float]]], table: dict[str, Any], path: Path) -> None:
    plt = _figure()
    metrics = list(table["metrics"])
    cols = min(4, len(metrics))
    rows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.8 * rows), squeeze=False)
    for ax, m in zip(axes.flat, metrics, strict=False):
        series = [list(data[s].get(m, {}).values()) or [math.nan] for s in table["systems"]]
        ax.boxplot(series, tick_labels=table["systems"], showmeans=True)
        ax.set_title(f"{m} {_arrow(table['metrics'][m])}", fontsize=9)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.axis("off")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)


def _radar(table: dict[str, Any], path: Path) -> None:
    """Each metric's system means scaled to 0..1 across systems (1 = best), one polygon per system."""
    plt = _figure()
    metrics = list(table["metrics"])
    angles = np.linspace(0, 2 * np.pi, len(metrics), endpoint=False).tolist()
    fig = plt.figure(figsize=(6, 6))
    ax = fig.add_subplot(111, polar=True)
    for s in table["systems"]:
        vals = []
        for m in metrics:
            e = table["metrics"][m]
            key = "distance" if e.get("target") is not None else "mean"
            means = [c[key] for c in e["cells"].values()]
            c = e["cells"].get(s)
            if c is None:
                vals.append(0.0)
                continue
            lo, hi = min(means), max(means)
            v = 1.0 if hi == lo else (c[key] - lo) / (hi - lo)
            vals.append(v if e["higher_is_better"] and key == "mean" else 1.0 - v)
        ax.plot(angles + angles[:1], vals + vals[:1], label=s)
        ax.fill(angles + angles[:1], vals + vals[:1], alpha=0.1)
    ax.set_xticks(angles)
    ax.set_xticklabels(metrics, fontsize=8)
    ax.set_yticklabels([])
    ax.set_title("systems per metric (1 = best)", fontsize=10)
    ax.legend(loc="upper right", bbox_to_anchor=(1.3, 1.1), fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
