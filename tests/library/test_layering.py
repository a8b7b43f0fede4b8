"""The library sits below the tools and the MCP layer, and above the client: imports flow one way."""

from __future__ import annotations

import ast
from pathlib import Path

import server.library as library

FORBIDDEN = ("mcp", "tools", "server.app", "server.mcp_tools", "server.runtime", "server.sandbox", "server.cli")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_library_imports_neither_mcp_nor_tools_nor_the_sandbox() -> None:
    for path in Path(library.__file__).parent.glob("*.py"):
        for name in _imports(path):
            assert not any(name == f or name.startswith(f + ".") for f in FORBIDDEN), f"{path.name} imports {name}"


def test_the_client_does_not_import_the_library() -> None:
    import server.ringsense as ringsense

    for path in Path(ringsense.__file__).parent.glob("*.py"):
        assert not any(name.startswith("server.library") for name in _imports(path)), path.name


def test_all_is_exactly_the_public_surface() -> None:
    for name in library.__all__:
        assert getattr(library, name) is not None
    assert len(set(library.__all__)) == len(library.__all__)
