"""The Claude Desktop example config works as written once the path is filled in."""

from __future__ import annotations

import json
import os
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parents[1]
CONFIG = json.loads((ROOT / "claude_desktop_config.example.json").read_text())["mcpServers"]


def entry(name: str, data_dir: Path) -> StdioServerParameters:
    server = CONFIG[name]
    args = [arg.replace("/ABSOLUTE/PATH/TO/ringsense-mcp", str(ROOT)) for arg in server["args"]]
    home = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    env = {**home, "RINGSENSE_DATA_DIR": str(data_dir), **server.get("env", {})}
    return StdioServerParameters(command=server["command"], args=args, env=env)


def test_every_entry_points_at_the_ringsense_mcp_command():
    for name, server in CONFIG.items():
        assert server["command"] in ("uv", "uvx"), name
        assert "ringsense-mcp" in server["args"], name
        for key, value in server.get("env", {}).items():
            assert key.startswith("RC_") and (value.startswith("YOUR_") or value.startswith("https://")), key


@pytest.mark.anyio
async def test_sandbox_entry_starts_a_working_server_with_no_credentials(tmp_path):
    with anyio.fail_after(60):
        async with Client(entry("ringsense-sandbox", tmp_path)) as client:
            result = await client.call_tool("check_permission", {})
    assert result.structured_content["granted"] is True
