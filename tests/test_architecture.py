"""The code's shape (DECISIONS.md A1): no import cycle, and data flows one way, cli → pipeline → sources → client.

The import graph of the project's packages is read from their source with `ast`: nothing is
imported or run. Every import statement counts, those inside functions and under `TYPE_CHECKING`
too. Importing `a.b.c` also runs the `__init__` of `a.b`, so an import reaches the target's parent
packages as well (those the importer is not itself inside).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("cli", "dashboard", "fake_stripe", "ingestion")

SOURCES = ("ingestion.stripe", "ingestion.fx", "ingestion.product_analytics")
CLIENT = ("ingestion.stripe.client", "ingestion.stripe.errors", "ingestion.stripe.raw_json")

# (importers, what they may not import, why): a prefix names a module and everything under it
FORBIDDEN: list[tuple[tuple[str, ...], tuple[str, ...], str]] = [
    (
        ("ingestion",),
        ("cli", "dashboard", "fake_stripe"),
        "the ingestion never reaches up to the CLI, the dashboard or the fake",
    ),
    (("dashboard",), ("cli", "fake_stripe"), "the dashboard reads the marts; the CLI calls it, not the other way"),
    (
        SOURCES,
        ("ingestion.pipeline", "ingestion.destination", "ingestion.summary", "ingestion.webhooks"),
        "a source neither knows who runs it nor where its rows go",
    ),
    (
        ("ingestion.destination",),
        (*SOURCES, "ingestion.pipeline", "ingestion.summary", "ingestion.webhooks"),
        "the destination knows nothing of the sources or the run (the lake, its kind made of files, is part of it)",
    ),
    (("ingestion.lake",), ("ingestion.",), "the lake is files under a URL: it knows nothing else of the ingestion"),
    (
        ("ingestion.webhooks",),
        ("ingestion.pipeline", "ingestion.destination", "ingestion.summary"),
        "the receiver never opens the warehouse: the pipeline is DuckDB's one writer (I13)",
    ),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _resolve(name: str, known: Iterable[str]) -> str | None:
    """The project module `name` refers to: itself, else its longest known prefix (`a.b.Class` → `a.b`)."""
    known = set(known)
    candidates = [name, *reversed(_ancestors(name))]
    return next((c for c in candidates if c in known), None)


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports, and the parent packages that importing them runs."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets.update(filter(None, (_resolve(alias.name, known) for alias in node.names)))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                stem = package[: len(package) - (node.level - 1)]
                base = ".".join([*stem, base] if base else stem)
            for alias in node.names:  # `from a import b` may import the module `a.b`
                found = _resolve(f"{base}.{alias.name}", known) if base else None
                if found:
                    targets.add(found)
    out = set()
    for target in targets:
        out.add(target)
        out.update(a for a in _ancestors(target) if a not in _ancestors(name) and a != name)
    out.discard(name)
    return out


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def room(module: str) -> str:
    """`ingestion.stripe.*` → `ingestion.stripe`; `ingestion.pipeline` → itself; `cli.*` → `cli`."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "ingestion" else parts[0]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _under(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p if p.endswith(".") else p + ".") for p in prefixes)


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_is_read(graph: dict[str, set[str]]) -> None:
    """The reader finds what the code plainly imports (else the tests below would pass on nothing)."""
    assert {"ingestion.stripe", "ingestion.destination", "ingestion.fx"} <= graph["ingestion.pipeline"]
    assert "ingestion.stripe.client" in graph["ingestion.stripe.pages"]
    assert "ingestion.stripe" in graph["cli.run"]  # a submodule's import runs its package's __init__
    assert "fake_stripe.server" in graph["cli.demo"] and "dashboard" in graph["cli.demo"]


def test_no_import_cycle(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_no_cycle_between_rooms(graph: dict[str, set[str]]) -> None:
    rooms: dict[str, set[str]] = {}
    for module, targets in graph.items():
        rooms.setdefault(room(module), set()).update(room(t) for t in targets if room(t) != room(module))
    assert cycles(rooms) == []


def test_data_flows_one_way(graph: dict[str, set[str]]) -> None:
    wrong = [
        f"{module} imports {target}: {why}"
        for importers, targets, why in FORBIDDEN
        for module in sorted(graph)
        if _under(module, importers)
        for target in sorted(graph[module])
        if _under(target, targets)
    ]
    assert wrong == []


def test_the_client_is_the_bottom(graph: dict[str, set[str]]) -> None:
    """HTTP and bytes only: the client knows no resource, row or run."""
    wrong = [
        f"{module} imports {target}"
        for module in CLIENT
        for target in sorted(graph[module])
        if _under(target, ("ingestion",)) and target not in CLIENT and target not in _ancestors(module)
    ]
    assert wrong == []


@pytest.mark.parametrize("module", ["cli", "cli.dlt_plugin"])
def test_the_cli_entry_imports_nothing_of_the_project_up_front(module: str) -> None:
    """`dlt` imports the plugin (and so `cli/__init__.py`) on every start: subcommands load when used."""
    path = project_modules()[module]
    top_level = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert [name for name in top_level if name and name.split(".")[0] in PACKAGES] == []
