"""The package's structure: no import cycle between its packages, no oversized module,
and a stage registry that the graph really reads (docs/architecture.md,
docs/adding-a-stage.md)."""

from __future__ import annotations

import ast
import os
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "pipeline")
MAX_LINES = 500

# Modules allowed over the limit (none: split a module that grows instead).
OVERSIZED_ALLOWED: frozenset[str] = frozenset()


def _modules():
    for dirpath, dirnames, filenames in os.walk(PACKAGE):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                yield os.path.relpath(path, ROOT).replace(os.sep, "/"), path


def node_of_module(module: str) -> str:
    """``pipeline.stages.dedup`` -> ``pipeline.stages``; ``pipeline.run`` -> ``pipeline.run``."""
    return ".".join(module.split(".")[:2])


def _module_name(rel: str) -> str:
    name = rel[:-3].replace("/", ".")
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> list[tuple[str, int]]:
    """Every pipeline module imported anywhere in the file (functions included), with its line."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".")
                base = parts if is_package else parts[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            found += [(f"{target}.{a.name}", node.lineno) for a in node.names]
    return [(name, line) for name, line in found if name == "pipeline" or name.startswith("pipeline.")]


def package_graph() -> dict[str, dict[str, list[str]]]:
    """node -> imported node -> ["file:line", ...], between first-level nodes of pipeline/."""
    known = {node_of_module(_module_name(rel)) for rel, _ in _modules()}
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for rel, path in _modules():
        module = _module_name(rel)
        source = node_of_module(module)
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), filename=rel)
        for name, line in imported_modules(tree, module, rel.endswith("__init__.py")):
            target = node_of_module(name)
            if target in known and target != source and target != "pipeline":
                graph[source][target].append(f"{rel}:{line}")
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, {})):
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

    nodes = sorted(set(graph) | {t for targets in graph.values() for t in targets})
    for node in nodes:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_packages():
    graph = package_graph()
    found = cycles(graph)
    detail = []
    for component in found:
        for a in component:
            for b in component:
                if b in graph.get(a, {}):
                    detail.append(f"{a} -> {b}: {', '.join(graph[a][b][:3])}")
    assert found == [], "import cycles between packages:\n" + "\n".join(detail)


def test_the_cycle_finder_finds_a_cycle_through_three_packages():
    graph = {"a": {"b": ["x"]}, "b": {"c": ["y"]}, "c": {"a": ["z"]}, "d": {"a": ["w"]}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b": ["x"]}, "b": {}}) == []


def test_function_local_imports_are_seen():
    tree = ast.parse("def f():\n    from pipeline.run import run\n")
    assert imported_modules(tree, "pipeline.io.manifest", False) == [("pipeline.run", 2), ("pipeline.run.run", 2)]


def test_layers_are_in_the_documented_order():
    """docs/architecture.md: a package imports only packages of lower layers."""
    layers = [
        {"pipeline.hashing", "pipeline.files"},
        {"pipeline.records", "pipeline.stats", "pipeline.text"},
        {"pipeline.config"},
        {"pipeline.io"},
        {"pipeline.mixture"},
        {"pipeline.stages"},
        {"pipeline.graph", "pipeline.canary_exposure"},
        {"pipeline.report"},
        {"pipeline.run", "pipeline.plan_cli", "pipeline.canaries_cli"},
        {"pipeline.cli"},
        {"pipeline.__main__", "pipeline.data"},
    ]
    rank = {node: i for i, layer in enumerate(layers) for node in layer}
    graph = package_graph()
    assert set(graph) <= set(rank), f"packages missing from the layer list: {sorted(set(graph) - set(rank))}"
    upward = [f"{a} -> {b} ({where[0]})" for a, targets in graph.items() for b, where in targets.items()
              if rank[b] >= rank[a]]
    assert upward == [], "imports against the layer order:\n" + "\n".join(upward)


def test_the_report_orders_stages_as_the_registry():
    from pipeline.graph.registry import STAGE_NAMES
    from pipeline.report.figures import STAGE_ORDER

    assert STAGE_ORDER == ("read", "normalize", "langid", "tokens", "url", "decontamination", "quality", "dedup",
                           "pii", "parallel", "control_tokens", "mixture", "canaries", "write")
    assert STAGE_ORDER[2:-1] == STAGE_NAMES


def test_only_the_command_line_imports_the_launcher():
    graph = package_graph()
    importers = sorted(a for a, targets in graph.items() if "pipeline.run" in targets)
    assert importers == ["pipeline.cli"]


def test_no_module_over_500_lines():
    sizes = {}
    for rel, path in _modules():
        with open(path, encoding="utf-8") as handle:
            sizes[rel] = sum(1 for _ in handle)
    over = sorted(f"{rel}: {n}" for rel, n in sizes.items() if n > MAX_LINES and rel not in OVERSIZED_ALLOWED)
    assert over == [], f"modules over {MAX_LINES} lines: {over}"
    stale = sorted(rel for rel in OVERSIZED_ALLOWED if sizes.get(rel, 0) <= MAX_LINES)
    assert stale == [], f"no longer oversized, remove from OVERSIZED_ALLOWED: {stale}"
