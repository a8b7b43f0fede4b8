"""Imports flow one way (CLI → app → tools → library/client → platform) and never in a circle.

The imports are read with `ast` from every module of `server/` and `tools/`, including imports inside
functions (deliberate lazy imports) and under `TYPE_CHECKING`: a layer may not reach upward even lazily.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "tools")

# Lowest first; a module may import from its own layer or any layer below it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("package root", ("server",)),
    ("platform", ("server.sandbox",)),
    ("client", ("server.ringsense",)),
    ("library", ("server.library",)),
    ("tools", ("tools",)),
    (
        "app",
        (
            "server.app",
            "server.config",
            "server.events_lease",
            "server.library_service",
            "server.live_events",
            "server.live_resources",
            "server.logs",
            "server.mcp_tools",
            "server.prompts",
            "server.resources",
            "server.runtime",
            "server.sandboxed",
            "server.tool_schemas",
        ),
    ),
    (
        "cli",
        (
            "server.__main__",
            "server.cli",
            "server.demo",
            "server.doctor",
            "server.events_cli",
            "server.http",
            "server.library_cli",
        ),
    ),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


MODULES = all_modules()


def imported(name: str, path: Path) -> Iterator[str]:
    """The project modules `name` imports, resolved to module names (`from pkg import mod` names the module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:  # `import server.ringsense.models as m` → that module
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


GRAPH = {name: set(imported(name, path)) for name, path in MODULES.items()}


def layer_of(module: str) -> int:
    """Index in LAYERS of the most specific prefix that owns `module`."""
    best, best_length = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            owns = module == prefix or module.startswith(prefix + ".")
            if owns and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    return best


def test_every_module_belongs_to_a_layer():
    assert [module for module in MODULES if layer_of(module) < 0] == []


def test_the_import_reader_sees_relative_lazy_and_type_checking_imports():
    """The reader is what the other tests rely on: check it against imports known to exist."""
    assert "server.ringsense.errors" in GRAPH["server.ringsense.client"]  # relative
    assert "server.sandboxed" in GRAPH["server.runtime"]  # inside a function
    assert "tools.source" in GRAPH["tools.deps"]


def test_no_module_imports_a_layer_above_its_own():
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def test_the_package_root_imports_nothing_of_the_project():
    assert GRAPH["server"] == set()


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("server.ringsense", "mcp"),
        ("server.ringsense", "server.sandbox"),
        ("server.sandbox", "mcp"),
        ("tools", "mcp"),
    ],
)
def test_lower_layers_import_no_mcp_and_the_client_no_sandbox(layer, forbidden):
    offenders = []
    for name, path in MODULES.items():
        if name != layer and not name.startswith(layer + "."):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            offenders += [f"{name} imports {n}" for n in names if n == forbidden or n.startswith(forbidden + ".")]
    assert offenders == []


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_the_cycle_finder_finds_a_circle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_modules_import_each_other_in_a_circle():
    assert find_cycles(GRAPH) == []
