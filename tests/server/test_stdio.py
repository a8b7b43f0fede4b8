"""The real process, spawned the way Claude Desktop spawns it: `python -m server serve --sandbox` over stdio."""

from __future__ import annotations

import json
import os
import sys

import anyio
import pytest
from mcp import Client, StdioServerParameters

pytestmark = pytest.mark.anyio


def params(*args: str, env: dict[str, str] | None = None) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "server", *args],
        env={"PATH": os.environ.get("PATH", ""), **(env or {})},
    )


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_sandbox_server_over_stdio_serves_tools_and_resources(mode):
    with anyio.fail_after(30):
        async with Client(params("serve", "--sandbox"), mode=mode) as client:
            tools = await client.list_tools()
            listing = await client.call_tool("list_recorded_calls", {"limit": 3})
            status = json.loads((await client.read_resource("ringsense://status")).contents[0].text)
            newest, ready = (row["record_id"] for row in listing.structured_content["calls"][:2])
            pending = await client.call_tool("get_insights_by_record", {"record_id": newest})
            insights = await client.call_tool("get_insights_by_record", {"record_id": ready})
    assert len(tools.tools) == 5
    assert status["mode"] == "sandbox"
    # The sandbox's newest call was recorded minutes ago: its insights are not ready yet.
    assert pending.is_error and "15–30 minutes" in pending.content[0].text
    assert not insights.is_error and insights.structured_content["call"]["record_id"] == ready


async def test_missing_credentials_fail_at_start_with_one_clear_message():
    with anyio.fail_after(30):
        result = await anyio.run_process(
            [sys.executable, "-m", "server", "serve"], env={"PATH": os.environ.get("PATH", "")}, check=False
        )
    assert result.returncode == 2
    message = result.stderr.decode()
    assert "RC_APP_CLIENT_ID" in message and "RC_USER_JWT" in message and "--sandbox" in message
    assert result.stdout == b"", "stdout is the protocol channel: nothing may be printed there"


async def test_demo_walks_through_the_tools_over_stdio():
    with anyio.fail_after(60):
        result = await anyio.run_process(
            [sys.executable, "-m", "server", "demo"], env={"PATH": os.environ.get("PATH", "")}, check=False
        )
    output = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    for step in (
        "check_permission",
        "list_recorded_calls",
        "get_insights_by_record",
        "render_transcript",
        "get_insights_by_session",
    ):
        assert step in output
