"""The real process, spawned the way Claude Desktop spawns it: `python -m server serve --sandbox` over stdio."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace

import anyio
import pytest
from mcp import Client, StdioServerParameters

from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, serve_sandbox

pytestmark = pytest.mark.anyio


def params(*args: str, env: dict[str, str] | None = None) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "server", *args],
        env={"PATH": os.environ.get("PATH", ""), **(env or {})},
    )


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_sandbox_server_over_stdio_serves_tools_and_resources(mode, tmp_path):
    with anyio.fail_after(30):
        env = {"RINGSENSE_DATA_DIR": str(tmp_path)}
        async with Client(params("serve", "--sandbox", env=env), mode=mode) as client:
            tools = await client.list_tools()
            listing = await client.call_tool("list_recorded_calls", {"limit": 3})
            status = json.loads((await client.read_resource("ringsense://status")).contents[0].text)
            newest, ready = (row["record_id"] for row in listing.structured_content["calls"][:2])
            pending = await client.call_tool("get_insights_by_record", {"record_id": newest})
            insights = await client.call_tool("get_insights_by_record", {"record_id": ready})
    assert len(tools.tools) == 8
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
        "search_calls",
        "list_next_steps",
    ):
        assert step in output


async def test_check_against_the_sandbox_walks_every_step_to_a_ready_verdict():
    with anyio.fail_after(60):
        result = await anyio.run_process(
            [sys.executable, "-m", "server", "check", "--sandbox"],
            env={"PATH": os.environ.get("PATH", "")},
            check=False,
        )
    output = result.stdout.decode()
    assert result.returncode == 0, output + result.stderr.decode()[-2000:]
    for step in ("sign-in", "permission", "live events", "call log", "insights"):  # events are on in the sandbox
        assert f"✔ {step}:" in output
    assert "Verdict: READY" in output


async def test_check_warns_when_live_events_lack_the_recordings_permission_but_stays_ready():
    platform = SandboxPlatform()
    user = replace(
        platform.users[0], extension_id="63378399001", jwt="jwt-no-recordings", can_read_company_recordings=False
    )
    platform.dataset.users.append(user)
    async with serve_sandbox(platform) as base_url:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "RC_SERVER_URL": base_url,
            "RC_APP_CLIENT_ID": SANDBOX_CLIENT_ID,
            "RC_APP_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            "RC_USER_JWT": user.jwt,
            "RINGSENSE_EVENTS": "1",
        }
        with anyio.fail_after(60):
            result = await anyio.run_process([sys.executable, "-m", "server", "check"], env=env, check=False)
    output = result.stdout.decode()
    assert result.returncode == 0, output + result.stderr.decode()[-2000:]
    assert "! live events: ReadCompanyCallRecording NOT granted" in output
    assert "Verdict: READY" in output


async def test_check_with_a_rejected_jwt_says_not_ready_and_why():
    """Live mode against a loopback sandbox: the doctor reports the sign-in failure without echoing the JWT."""
    bad_jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjYW5hcnkifQ.canary-signature-4f1d"
    async with serve_sandbox(SandboxPlatform()) as base_url:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "RC_SERVER_URL": base_url,
            "RC_APP_CLIENT_ID": SANDBOX_CLIENT_ID,
            "RC_APP_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            "RC_USER_JWT": bad_jwt,
        }
        with anyio.fail_after(60):
            result = await anyio.run_process([sys.executable, "-m", "server", "check"], env=env, check=False)
    output = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == 1
    assert "✘ sign-in" in output and "JWT" in output and "Verdict: NOT READY" in output
    assert bad_jwt not in output and SANDBOX_CLIENT_SECRET not in output
