"""The Claude Desktop example config works as written once its placeholders are filled in: every entry starts."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, serve_sandbox

ROOT = Path(__file__).resolve().parents[1]
# Every tool the server lists, as the MCPB manifest declares them (tests/test_packaging.py holds the two together).
TOOL_NAMES = sorted(tool["name"] for tool in json.loads((ROOT / "packaging/mcpb/manifest.json").read_text())["tools"])
CONFIG = json.loads((ROOT / "claude_desktop_config.example.json").read_text())["mcpServers"]
PLACEHOLDER_ROOT = "/ABSOLUTE/PATH/TO/ringsense-mcp"
START_TIMEOUT = 120  # the wheel entry installs the wheel's dependencies into uv's cache on its first start
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
# How this machine reaches the package index (a proxy, its CA): the user's, not the product's, so passed through.
NETWORK_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "UV_CACHE_DIR")

pytestmark = pytest.mark.anyio


def entry(name: str, data_dir: Path, *, env: dict[str, str] | None = None, root: Path = ROOT) -> StdioServerParameters:
    """The entry as Claude Desktop would start it, with the clone's path filled in and `env` over its own; the call
    library goes to `data_dir`, not the user's data directory."""
    server = CONFIG[name]
    args = [arg.replace(PLACEHOLDER_ROOT, str(root)) for arg in server["args"]]
    base = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "RINGSENSE_DATA_DIR": str(data_dir),
    }
    base |= {name: os.environ[name] for name in NETWORK_VARIABLES if name in os.environ}
    return StdioServerParameters(
        command=server["command"], args=args, env={**base, **server.get("env", {}), **(env or {})}
    )


@pytest.fixture
async def live_sandbox() -> AsyncIterator[dict[str, str]]:
    """A sandbox on loopback standing in for RingCentral, and the variables that replace the placeholders."""
    platform = SandboxPlatform()
    async with serve_sandbox(platform) as base_url:
        yield {
            "RC_SERVER_URL": base_url,
            "RC_APP_CLIENT_ID": SANDBOX_CLIENT_ID,
            "RC_APP_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            "RC_USER_JWT": platform.dataset.users[0].jwt,
        }


def test_every_entry_runs_the_ringsense_mcp_command_without_dev_tools() -> None:
    for name, server in CONFIG.items():
        assert server["command"] in ("uv", "uvx"), name
        assert "ringsense-mcp" in server["args"], name
        if server["command"] == "uv":
            # The server's environment gets the locked runtime dependencies only: no pytest or ruff.
            assert {"--no-dev", "--frozen"} <= set(server["args"]), name
        for key, value in server.get("env", {}).items():
            assert key.startswith("RC_") and (value.startswith("YOUR_") or value.startswith("https://")), key


async def test_sandbox_entry_starts_a_working_server_with_no_credentials(tmp_path: Path) -> None:
    with anyio.fail_after(START_TIMEOUT):
        async with Client(entry("ringsense-sandbox", tmp_path)) as client:
            result = await client.call_tool("check_permission", {})
    assert result.structured_content["granted"] is True


async def test_live_entry_with_its_placeholders_refuses_to_start_and_names_them(tmp_path: Path) -> None:
    server = entry("ringsense", tmp_path)
    with anyio.fail_after(START_TIMEOUT):
        result = await anyio.run_process([server.command, *server.args], env=server.env, input=b"", check=False)
    assert result.returncode == 2
    assert b"RC_APP_CLIENT_ID, RC_APP_CLIENT_SECRET, RC_USER_JWT still hold a placeholder" in result.stderr


async def test_live_entry_filled_in_starts_and_answers(live_sandbox: dict[str, str], tmp_path: Path) -> None:
    with anyio.fail_after(START_TIMEOUT):
        async with Client(entry("ringsense", tmp_path, env=live_sandbox)) as client:
            result = await client.call_tool("check_permission", {})
    assert result.structured_content["granted"] is True
    assert result.structured_content["data_source"] != "sandbox sample data", "it ran in live mode"


async def test_wheel_entry_starts_the_wheel_that_uv_build_makes(live_sandbox: dict[str, str], tmp_path: Path) -> None:
    """`uv build`, then the entry exactly as written: the wheel's name in the example matches the version."""
    with anyio.fail_after(START_TIMEOUT):
        await anyio.run_process(["uv", "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(ROOT)])
    wheel = f"ringsense_mcp-{VERSION}-py3-none-any.whl"
    assert [path.name for path in (tmp_path / "dist").glob("*.whl")] == [wheel]
    assert any(arg.endswith(f"/dist/{wheel}") for arg in CONFIG["ringsense-wheel"]["args"])
    # The wheel's path is new for every run, so uvx installs this build, not one it cached before.
    with anyio.fail_after(START_TIMEOUT):
        async with Client(entry("ringsense-wheel", tmp_path, env=live_sandbox, root=tmp_path)) as client:
            tools = await client.list_tools()
            result = await client.call_tool("check_permission", {})
    assert sorted(tool.name for tool in tools.tools) == TOOL_NAMES
    assert result.structured_content["granted"] is True
