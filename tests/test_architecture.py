"""The package's layering: imports point only down, no cycles, no private name crosses modules.

The layers, bottom to top (a module may import its own layer or lower ones):

    units, config, errors, dates, validate
    -> engines (readers and per-customer kernels), simulate
    -> data (loading, which consults the engine registry)
    -> describe, panel, rfm (the log and its summaries)
    -> models
    -> clv
    -> lifecycle
    -> customers, segments, strategy, churn (the decision layer), spark (scoring on a cluster)
    -> tables, plots
    -> report

The import graph is read from the source with ``ast`` (lazy imports inside
functions included), so a cycle hidden behind a function-level import is
found too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from analysis import config

PACKAGE = config.PACKAGE_DIR
LAYERS: dict[str, int] = {
    "units": 0,
    "config": 0,
    "validate": 0,
    "errors": 0,
    "dates": 0,
    "ranks": 0,
    "threads": 0,
    "engines": 1,
    "simulate": 1,
    "data": 2,
    "attributes": 2,
    "describe": 3,
    "panel": 3,
    "rfm": 3,
    "models": 4,
    "clv": 5,
    "lifecycle": 6,
    "customers": 7,
    "customers_io": 7,
    "segments": 7,
    "strategy": 7,
    "churn": 7,
    "spark": 7,
    "tables": 8,
    "readings": 8,
    "plots": 8,
    "report": 9,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(modules: dict[str, Path]):
    """(importer, imported module, imported names) for every import of the package."""
    found = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("analysis"):
                        found.append((name, alias.name, ()))
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(name, is_package, node)
                if not target.startswith("analysis"):
                    continue
                names = tuple(a.name for a in node.names)
                # "from . import x" imports the submodule x
                subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
                if subs:
                    found.extend((name, sub, ()) for sub in subs)
                    names = tuple(n for n in names if f"{target}.{n}" not in modules)
                if names or not subs:
                    found.append((name, target, names))
    return found


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


@pytest.fixture(scope="module")
def graph():
    modules = _modules()
    return modules, _imports(modules)


def test_every_top_level_module_has_a_layer(graph):
    modules, _ = graph
    tops = {_top(m) for m in modules} - {""}
    assert tops - set(LAYERS) == set(), "give these modules a layer in LAYERS: " + str(
        sorted(tops - set(LAYERS))
    )


def test_imports_point_down(graph):
    _, imports = graph
    upward = [
        f"{src} imports {dst}"
        for src, dst, _ in imports
        if _top(src) and _top(dst) and LAYERS.get(_top(dst), 99) > LAYERS.get(_top(src), -1)
    ]
    assert not upward, "imports that point up a layer:\n" + "\n".join(upward)


def test_no_private_name_is_imported_from_another_module(graph):
    _, imports = graph
    private = [
        f"{src} imports {name} from {dst}"
        for src, dst, names in imports
        for name in names
        if name.startswith("_") and not name.startswith("__") and dst != src
    ]
    private += [
        f"{src} imports the private module {dst}"
        for src, dst, _ in imports
        if dst.split(".")[-1].startswith("_")
        and not dst.endswith("__init__")
        and dst.rsplit(".", 1)[0] != src.rsplit(".", 1)[0]
        and dst.rsplit(".", 1)[0] != src
    ]
    assert not private, "private names crossing modules:\n" + "\n".join(private)


def test_no_import_cycle(graph):
    modules, imports = graph
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for src, dst, _ in imports:
        # a package's __init__ re-exporting its own submodules is not a cycle of concepts
        if dst in modules and dst != src and not dst.startswith(src + "."):
            edges[src].add(dst)
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_checks_catch_what_they_claim(tmp_path):
    # the resolver and the private-name rule on a hand-made import
    node = ast.parse("from ..rfm import _summary_frame").body[0]
    assert _resolve("analysis.engines.duckdb", False, node) == "analysis.rfm"
    node = ast.parse("from .base import as_frame").body[0]
    assert _resolve("analysis.models", True, node) == "analysis.models.base"


#: public names several modules may define: the command-line entry point of each ``python -m`` tool
SHARED_NAMES = frozenset({"main"})


def _statements(body):
    """Top-level statements, those inside a top-level ``if`` or ``try`` included."""
    for node in body:
        if isinstance(node, ast.If):
            yield from _statements(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _statements(
                node.body
                + node.orelse
                + node.finalbody
                + [s for h in node.handlers for s in h.body]
            )
        else:
            yield node


def _definitions(source: str) -> set[str]:
    """The public functions and classes a module defines (not those it imports)."""
    return {
        node.name
        for node in _statements(ast.parse(source).body)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and not node.name.startswith("_")
    }


def _duplicates(sources: dict[str, str]) -> list[str]:
    """Each public name defined in more than one module, and each top-level module named like a
    public function or class of another module (``analysis.ranking`` beside ``segments.ranking``)."""
    where: dict[str, list[str]] = {}
    for module, source in sorted(sources.items()):
        for name in _definitions(source):
            where.setdefault(name, []).append(module)
    found = [
        f"{name} is defined in {', '.join(mods)}"
        for name, mods in sorted(where.items())
        if len(mods) > 1 and name not in SHARED_NAMES
    ]
    tops = {m.split(".")[1] for m in sources if m.count(".") >= 1}
    for top in sorted(tops & set(where)):
        elsewhere = [
            m for m in where[top] if m != f"analysis.{top}" and not m.startswith(f"analysis.{top}.")
        ]
        if elsewhere:
            found.append(
                f"the module analysis.{top} shares its name with {top} in {', '.join(elsewhere)}"
            )
    return found


def test_no_public_name_is_defined_in_two_modules():
    sources = {name: path.read_text(encoding="utf-8") for name, path in _modules().items()}
    duplicates = _duplicates(sources)
    assert not duplicates, (
        "one definition per public name: rename one, or import the other "
        "(a re-export is fine):\n" + "\n".join(duplicates)
    )


def test_the_duplicate_check_counts_definitions_not_imports():
    sources = {
        "analysis.rfm": "def summarize(log):\n    return log\n",
        "analysis.segments.summary": "def summarize(table):\n    return table\n",
        "analysis.segments": "from .summary import summarize\n",
        "analysis.tables": "try:\n    class Table: ...\nexcept ImportError:\n    pass\n",
        "analysis.plots": "class Table: ...\ndef _private(): ...\n",
        "analysis.report.cli": "def main(): ...\n",
        "analysis.report.length": "def main(): ...\ndef ranking(): ...\n",
        "analysis.ranking": "def rank_auc(): ...\n",
    }
    assert _duplicates(sources) == [
        "Table is defined in analysis.plots, analysis.tables",
        "summarize is defined in analysis.rfm, analysis.segments.summary",
        "the module analysis.ranking shares its name with ranking in analysis.report.length",
    ]
    assert _duplicates({"analysis.rfm": sources["analysis.rfm"]}) == []


def test_no_module_is_over_600_lines():
    long = {
        _module_name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert not long, f"split these modules by concept: {long}"
