"""Cold start: the server answers its client's handshake before it connects, and connects when a call needs it.

What Claude Desktop waits for at start is `initialize` and `tools/list`. Nothing they need comes from the client
(httpx), the event stream (websockets), the call library (SQLite), shared state (Redis, PostgreSQL) or the
sandbox platform, so none of those load until the first call, or until the server connects by itself a moment
after start. The import checks run in a fresh interpreter, where `sys.modules` shows exactly what loaded.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, MCPError

from server.app import build_server
from server.config import ConfigurationError, load_settings
from server.ringsense import RingSenseClient
from server.runtime import Runtime
from server.sandbox import SandboxPlatform
from server.sandboxed import client_for

from .conftest import LIBRARY_OFF, error_text

pytestmark = pytest.mark.anyio

# Loaded only once the server connects (or by commands other than serve): none of them is needed to answer the
# handshake. Third-party packages by their top-level name; ours by module.
DEFERRED = (
    "httpx",
    "msgspec",
    "websockets",
    "cachetools",
    "sqlite3",
    "platformdirs",
    "redis",
    "psycopg",
    "tqdm",
    "server.ringsense.client",
    "server.ringsense.subscriber",
    "server.ringsense.shared",
    "server.library",
    "server.sandbox",
    "server.sandboxed",
)

# Run in a fresh interpreter: what `ringsense-mcp serve` imports, the handshake a desktop client makes (in memory),
# then the status resource, which connects the server as any call does.
PROBE = """
import json, math, sys

import anyio
from mcp import Client

import server.cli
from server.app import build_server
from server.config import load_settings


def loaded(names):
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in sys.modules))


async def main():
    names = json.loads(sys.argv[1])
    settings = load_settings(json.loads(sys.argv[2]), sandbox=sys.argv[3] == "sandbox")
    async with Client(build_server(settings, connect_delay=math.inf)) as client:
        await client.list_tools()
        await client.list_resources()
        await client.list_prompts()
        at_handshake = loaded(names)
        await client.read_resource("ringsense://status")
        after_a_call = loaded(names)
    print(json.dumps({"handshake": at_handshake, "call": after_a_call}))


anyio.run(main)
"""


@pytest.mark.parametrize(
    ("mode", "environ"),
    [
        (
            "live",
            {
                "RC_SERVER_URL": "http://127.0.0.1:1",  # never asked: connecting makes no request
                "RC_APP_CLIENT_ID": "cold-start-client-id",
                "RC_APP_CLIENT_SECRET": "cold-start-client-secret",
                "RC_USER_JWT": "cold.start.jwt",
            },
        ),
        ("sandbox", {}),
    ],
    ids=["live", "sandbox"],
)
async def test_the_handshake_loads_no_client_library_or_sandbox_until_a_call_connects(
    mode: str, environ: dict[str, str], tmp_path: Path
) -> None:
    environ = {**environ, "RINGSENSE_DATA_DIR": str(tmp_path)}  # the library on, as a user has it
    with anyio.fail_after(60):
        result = await anyio.run_process(
            [sys.executable, "-c", PROBE, json.dumps(DEFERRED), json.dumps(environ), mode],
            env={"PATH": os.environ.get("PATH", "")},
            check=False,
        )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]
    seen = json.loads(result.stdout)
    assert seen["handshake"] == []
    # The check can fail: the first call connects, and connecting loads the client (and in sandbox mode the sandbox).
    assert {"httpx", "server.ringsense.client"} <= set(seen["call"])
    if mode == "sandbox":
        assert "server.sandbox" in seen["call"]


async def test_the_server_connects_by_itself_soon_after_start_without_any_call(platform: SandboxPlatform) -> None:
    """The library's catch-up and the event feed must not wait for a call: the runtime connects after its delay."""
    made = anyio.Event()

    def factory() -> RingSenseClient:
        made.set()
        return client_for(platform)

    runtime = Runtime(load_settings(LIBRARY_OFF, sandbox=True), client_factory=factory, connect_delay=0.05)
    with anyio.fail_after(30):
        async with runtime.open():
            await made.wait()
            deps = await runtime.deps()
            assert runtime.status()["connected"] is True
    assert deps.data_source == "sandbox sample data"


async def test_a_server_that_cannot_connect_says_why_on_the_first_call_logs_it_and_tries_again_on_the_next(
    platform: SandboxPlatform, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[int] = []

    def factory() -> RingSenseClient:
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            raise ConfigurationError("RC_SERVER_URL must be an https:// URL (set it to the platform's base URL).")
        return client_for(platform)

    server = build_server(load_settings(LIBRARY_OFF, sandbox=True), client_factory=factory, connect_delay=math.inf)
    with anyio.fail_after(30):
        async with Client(server) as client:
            first = await client.call_tool("check_permission", {})
            second = await client.call_tool("check_permission", {})
    assert "RC_SERVER_URL must be an https:// URL" in error_text(first)
    assert not second.is_error, error_text(second)
    assert attempts == [1, 2]
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR and "could not connect" in r.getMessage()]
    assert len(failures) == 1 and "RC_SERVER_URL must be an https:// URL" in failures[0].getMessage()


async def test_live_mode_without_credentials_is_explained_on_the_first_call(platform: SandboxPlatform) -> None:
    """A hand-built Settings can lack credentials that load_settings would have refused: the call says so."""
    settings = dataclasses.replace(load_settings(LIBRARY_OFF, sandbox=True), sandbox=False)
    server = build_server(settings, connect_delay=math.inf)
    with anyio.fail_after(30):
        async with Client(server) as client:
            tools = await client.list_tools()
            result = await client.call_tool("list_recorded_calls", {})
    assert len(tools.tools) == 8
    assert "No RingCentral credentials are configured" in error_text(result)


async def test_an_unexpected_connection_failure_names_its_type_but_not_its_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The text of an arbitrary error may quote a URL with its password: the caller gets the type, the log the rest."""

    def factory() -> RingSenseClient:
        raise OSError("cannot reach redis://:hunter2-canary@cache.internal:6379/0")

    server = build_server(load_settings(LIBRARY_OFF, sandbox=True), client_factory=factory, connect_delay=math.inf)
    with anyio.fail_after(30):
        async with Client(server) as client:
            result = await client.call_tool("check_permission", {})
            status = await client.read_resource("ringsense://status")
    text = error_text(result)
    assert "could not connect to sandbox sample data (OSError)" in text and "hunter2-canary" not in text
    shown = json.loads(status.contents[0].text)  # type: ignore[union-attr]
    assert shown["connected"] is False and shown["connect_error"] == "OSError"
    assert "could not connect" in caplog.text


async def test_a_resource_read_while_the_server_cannot_connect_is_an_error_not_a_missing_resource() -> None:
    def factory() -> RingSenseClient:
        raise ConfigurationError("RC_SERVER_URL must be an https:// URL (set it to the platform's base URL).")

    server = build_server(load_settings(LIBRARY_OFF, sandbox=True), client_factory=factory, connect_delay=math.inf)
    with anyio.fail_after(30):
        async with Client(server) as client:
            with pytest.raises(MCPError) as caught:
                await client.read_resource("ringsense://pbx/records/123456789")
    assert caught.value.error.code != -32602, "a missing resource would tell the model the id is wrong"
    assert "RC_SERVER_URL must be an https:// URL" in caught.value.error.message
