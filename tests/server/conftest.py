from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from mcp import Client
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult

from server import tool_schemas
from server.app import build_server
from server.config import load_settings
from server.mcp_tools import read_only_tools
from server.runtime import Runtime
from server.sandbox import SandboxPlatform
from server.sandbox.samples import SampleCall, SandboxUser
from server.sandboxed import client_for

# The single-call tests see the server as it was before the call library: no background sync touches the sandbox.
LIBRARY_OFF = {"RINGSENSE_LIBRARY": "off"}


@pytest.fixture
def platform() -> SandboxPlatform:
    return SandboxPlatform()


def find_call(platform: SandboxPlatform, key: str) -> SampleCall:
    for call in platform.dataset.calls:
        if call.key == key:
            return call
    raise LookupError(f"no sample call {key!r}: {[c.key for c in platform.dataset.calls]}")


def user_without(platform: SandboxPlatform, flag: str) -> SandboxUser:
    return next(user for user in platform.dataset.users if not getattr(user, flag))


@pytest.fixture
def connect(platform: SandboxPlatform) -> Callable[..., object]:
    """`async with connect() as client`: an in-memory MCP client of a sandbox-backed server."""

    @asynccontextmanager
    async def _connect(*, user: SandboxUser | None = None, mode: str = "auto") -> AsyncIterator[Client]:
        server = build_server(
            load_settings(LIBRARY_OFF, sandbox=True), client_factory=lambda: client_for(platform, user)
        )
        async with Client(server, mode=mode) as client:  # type: ignore[arg-type]
            yield client

    return _connect


def error_text(result: CallToolResult) -> str:
    assert result.is_error, f"expected a tool error, got {result.structured_content}"
    return " ".join(getattr(block, "text", "") for block in result.content)


def schemas_generated_now() -> dict[str, object]:
    """What `server/tool_schemas.json` should hold: every tool's schemas as the SDK generates them now."""
    built = read_only_tools(Runtime(load_settings(LIBRARY_OFF, sandbox=True)))
    return tool_schemas.generated(
        Tool.from_function(tool.fn, title=tool.title, description=tool.description, annotations=tool.annotations)
        for tool in built
    )


def refresh_stored_schemas() -> None:
    """Rewrite `server/tool_schemas.json` (with UPDATE_SNAPSHOTS=1): the served schemas are the generated ones."""
    tool_schemas.SCHEMAS_FILE.write_text(json.dumps(schemas_generated_now(), indent=1, ensure_ascii=False) + "\n")
    tool_schemas.stored.cache_clear()
