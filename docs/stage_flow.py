"""Draw the dub's stage flow (docs/stage_flow.svg) from the code itself.

The stages are read from ``Dubber.run`` in dubber/pipeline.py (and the ``Dubber`` methods it calls):
every call of a function imported from ``dubber.stages.*``, in source order; each box shows the function,
its module and the first paragraph of its docstring. Re-run after changing the pipeline:

    .venv/bin/python docs/stage_flow.py            # writes docs/stage_flow.svg
"""

from __future__ import annotations

import argparse
import ast
import importlib
import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def stage_calls(pipeline: Path) -> list[tuple[str, str]]:
    """(function, module) of each stage call in ``Dubber.run``, in order."""
    tree = ast.parse(pipeline.read_text(encoding="utf-8"))
    imported = {
        alias.asname or alias.name: node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("dubber.stages")
        for alias in node.names
    }
    methods = {
        f.name: f
        for cls in tree.body
        if isinstance(cls, ast.ClassDef) and cls.name == "Dubber"
        for f in cls.body
        if isinstance(f, ast.FunctionDef)
    }

    def calls_in(method: ast.FunctionDef) -> list[ast.Call]:
        """The calls of ``method`` in source order, a ``self.<method>(...)`` call replaced by that method's."""
        found = sorted((n for n in ast.walk(method) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset))
        out: list[ast.Call] = []
        for n in found:
            f = n.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self":
                if f.attr in methods and methods[f.attr] is not method:
                    out += calls_in(methods[f.attr])
            elif isinstance(f, ast.Name):
                out.append(n)
        return out

    out: list[tuple[str, str]] = []
    for call in calls_in(methods["run"]):
        module = imported.get(call.func.id)
        if module and (call.func.id, module) not in out:
            out.append((call.func.id, module))
    return out


def draw(stages: list[tuple[str, str]], dest: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    height = 1.15 * len(stages) + 0.4
    fig, ax = plt.subplots(figsize=(8.5, height))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, height)
    ax.axis("off")
    for i, (func, module) in enumerate(stages):
        y = height - 0.9 - i * 1.15
        doc = " ".join((getattr(importlib.import_module(module), func).__doc__ or "").split("\n\n")[0].split())
        doc = re.sub(r":\w+:`([^`]+)`", r"\1", doc).replace("``", "")
        ax.add_patch(FancyBboxPatch((0.3, y - 0.35), 9.4, 0.8, boxstyle="round,pad=0.05", fc="#eef3fb", ec="#335"))
        ax.text(0.55, y + 0.2, f"{func}()", fontsize=11, fontweight="bold", family="monospace", va="center")
        ax.text(9.5, y + 0.2, module, fontsize=8, color="#555", ha="right", va="center", family="monospace")
        ax.text(0.55, y - 0.12, "\n".join(textwrap.wrap(doc, 110))[:220], fontsize=7.5, va="center", color="#222")
        if i + 1 < len(stages):
            ax.annotate("", (5, y - 0.72), (5, y - 0.42), arrowprops={"arrowstyle": "->", "color": "#335"})
    fig.savefig(dest, format=dest.suffix.lstrip("."), bbox_inches="tight")
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, default=ROOT / "docs" / "stage_flow.svg")
    args = ap.parse_args()
    stages = stage_calls(ROOT / "dubber" / "pipeline.py")
    draw(stages, args.out)
    print(f"{len(stages)} stages -> {args.out}")


if __name__ == "__main__":
    main()
