"""Imports go one way: cli -> dubber -> retrieval -> evaluator (DESIGN.md), with no cycle and no private names.

The import graph is read from the source (ast): every ``import`` and ``from ... import`` of a project module,
at module level, inside functions and under ``TYPE_CHECKING`` alike (a lazy import is still a dependency).
Lazy registry targets (``"module:Class"`` strings) and ``importlib.import_module`` arguments count too.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("evaluator", "retrieval", "dubber", "cli")  # lowest first
FORBIDDEN = {pkg: set(LAYERS[i + 1 :]) for i, pkg in enumerate(LAYERS) if LAYERS[i + 1 :]}
TARGET = re.compile(r"^((?:evaluator|retrieval|dubber|cli)(?:\.\w+)*):\w+$")
#: private names imported across modules in a file rewritten on main (issue 11): delete once merged
KNOWN_PRIVATE: set[tuple[str, str]] = set()


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_upward_imports(package):
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_packages(path) & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {', '.join(sorted(bad))}")
    assert offenders == []


@cache
def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the four packages."""
    out = {}
    for pkg in LAYERS:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _module_of(name: str) -> str | None:
    """The project module ``name`` (``pkg.mod`` or ``pkg.mod.attr``) lives in; None outside the project."""
    mods = modules()
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def dependencies(path: Path) -> tuple[set[str], set[str]]:
    """(project modules imported anywhere in ``path``, modules named by registry/importlib target strings)."""
    imported: set[str] = set()
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(filter(None, (_module_of(a.name) for a in node.names)))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.update(filter(None, (_module_of(f"{node.module}.{a.name}") for a in node.names)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and TARGET.match(node.value):
            targets.add(TARGET.match(node.value).group(1))  # type: ignore[union-attr]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            targets.add(str(node.args[0].value))
    return imported, targets


@cache
def import_graph() -> dict[str, frozenset[str]]:
    graph = {}
    for name, path in modules().items():
        imported, _ = dependencies(path)
        graph[name] = frozenset(imported - {name})
    return graph


def cycles(graph: dict[str, frozenset[str]] | dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of ``graph``: its strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_cycle_finder_finds_a_planted_cycle_and_nothing_else():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"a", "f"}, "f": {"e"}}
    assert cycles(graph) == [["a", "b", "c"], ["e", "f"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_registry_and_importlib_targets_do_not_point_up():
    offenders = []
    for name, path in sorted(modules().items()):
        package = name.split(".")[0]
        _, targets = dependencies(path)
        up = [t for t in targets if t.split(".")[0] in FORBIDDEN.get(package, set())]
        offenders += [f"{path.relative_to(ROOT)} names {t}" for t in sorted(up)]
        missing = [t for t in targets if _module_of(t) is None and t.split(".")[0] in LAYERS]
        offenders += [f"{path.relative_to(ROOT)} names a module that does not exist: {t}" for t in sorted(missing)]
    assert offenders == []


def test_target_strings_are_seen(tmp_path):
    src = tmp_path / "m.py"
    src.write_text('R.register("x", "dubber.synth.piper:PiperSynthesizer")\nimportlib.import_module("cli.main")\n')
    assert dependencies(src)[1] == {"dubber.synth.piper", "cli.main"}


def test_no_private_names_imported_across_modules():
    offenders = []
    for name, path in sorted(modules().items()):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and _module_of(node.module):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if alias.name.startswith("_") and (name, full) not in KNOWN_PRIVATE:
                        offenders.append(f"{path.relative_to(ROOT)} imports {full}")
    assert offenders == []
