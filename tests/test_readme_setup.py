"""The README's setup for Claude Code, VS Code and Cursor, started exactly as written once the path is filled in.

Each client's snippet is read from the README itself, so the documentation cannot drift from what works. The
servers with credentials talk to a sandbox on loopback standing in for RingCentral.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, serve_sandbox

ROOT = Path(__file__).resolve().parents[1]
# Every tool the server lists, as the MCPB manifest declares them (tests/test_packaging.py holds the two together).
TOOL_NAMES = sorted(tool["name"] for tool in json.loads((ROOT / "packaging/mcpb/manifest.json").read_text())["tools"])
README = (ROOT / "README.md").read_text()
PLACEHOLDER_ROOT = "/ABSOLUTE/PATH/TO/ringsense-mcp"
START_TIMEOUT = 60
NETWORK_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "UV_CACHE_DIR")

pytestmark = pytest.mark.anyio


def snippet(heading: str) -> str:
    """The first fenced code block under `### heading`."""
    section = README.split(f"\n### {heading}\n", 1)[1].split("\n### ", 1)[0]
    match = re.search(r"```\w*\n(.*?)```", section, re.DOTALL)
    assert match, f"no code block under '### {heading}'"
    return match[1]


def claude_code_servers() -> dict[str, dict]:
    """`claude mcp add NAME [-e K=V ...] -- COMMAND ARGS...`, parsed as Claude Code parses it."""
    servers = {}
    for line in snippet("Claude Code").splitlines():
        if not line.startswith("claude mcp add "):
            continue
        words = shlex.split(line)
        options, command = words[3 : words.index("--")], words[words.index("--") + 1 :]
        name, flags = options[0], options[1:]
        env = dict(value.split("=", 1) for flag, value in zip(flags[::2], flags[1::2], strict=True) if flag == "-e")
        servers[name] = {"command": command[0], "args": command[1:], "env": env}
    return servers


SETUPS = {
    "claude-code": claude_code_servers(),
    "vscode": json.loads(snippet("VS Code"))["servers"],
    "cursor": json.loads(snippet("Cursor"))["mcpServers"],
}


def launches() -> dict[str, dict]:
    """The distinct servers the snippets start once values are filled in, each named by every snippet that gives
    it: the clients spell one launch differently (a prompted input, a placeholder), and one start proves them all."""
    found: dict[str, tuple[list[str], dict]] = {}
    for client, servers in SETUPS.items():
        for name, server in servers.items():
            env = {
                key: "<credential>" if value.startswith(("YOUR_", "${input:")) else value
                for key, value in server.get("env", {}).items()
            }
            key = json.dumps([server["command"], server["args"], env], sort_keys=True)
            found.setdefault(key, ([], server))[0].append(f"{client}-{name}")
    return {"+".join(names): server for names, server in found.values()}


LAUNCHES = launches()


@pytest.fixture
async def stand_in() -> AsyncIterator[dict[str, str]]:
    """What a user fills in, pointed at a sandbox on loopback: placeholder or prompted value → working value."""
    platform = SandboxPlatform()
    async with serve_sandbox(platform) as base_url:
        yield {
            "RC_SERVER_URL": base_url,
            "YOUR_APP_CLIENT_ID": SANDBOX_CLIENT_ID,
            "YOUR_APP_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            "${input:rc-client-secret}": SANDBOX_CLIENT_SECRET,
            "YOUR_USER_JWT_CREDENTIAL": platform.dataset.users[0].jwt,
            "${input:rc-user-jwt}": platform.dataset.users[0].jwt,
        }


def test_the_launches_cover_every_snippet_of_every_client() -> None:
    covered = sorted(name for launch in LAUNCHES for name in launch.split("+"))
    assert covered == sorted(f"{client}-{name}" for client, servers in SETUPS.items() for name in servers)


def test_every_client_gets_a_sandbox_server_and_a_live_one() -> None:
    for client, servers in SETUPS.items():
        assert set(servers) == {"ringsense-sandbox", "ringsense"}, client
        for server in servers.values():
            assert server["command"] == "uv" and {"--no-dev", "--frozen"} <= set(server["args"]), client


@pytest.mark.parametrize("launch", sorted(LAUNCHES))
async def test_the_readme_command_starts_a_server_that_lists_and_calls_tools(
    launch: str, stand_in: dict[str, str], tmp_path: Path
) -> None:
    server = LAUNCHES[launch]
    # The call library goes to the test's directory, not the user's data directory.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "RINGSENSE_DATA_DIR": str(tmp_path),
    }
    env |= {variable: os.environ[variable] for variable in NETWORK_VARIABLES if variable in os.environ}
    env |= {key: stand_in.get(value, value) for key, value in server.get("env", {}).items()}
    if server.get("env"):
        env["RC_SERVER_URL"] = stand_in["RC_SERVER_URL"]
    params = StdioServerParameters(
        command=server["command"],
        args=[arg.replace(PLACEHOLDER_ROOT, str(ROOT)) for arg in server["args"]],
        env=env,
    )
    with anyio.fail_after(START_TIMEOUT):
        async with Client(params) as session:
            tools = await session.list_tools()
            result = await session.call_tool("check_permission", {})
    assert sorted(tool.name for tool in tools.tools) == TOOL_NAMES
    assert result.structured_content["granted"] is True
    live = result.structured_content["data_source"] != "sandbox sample data"
    assert live is bool(server.get("env")), "the entry with credentials runs live, the other on sample data"


def test_vscode_prompts_for_every_secret_it_uses_and_hides_it() -> None:
    config = json.loads(snippet("VS Code"))
    inputs = {item["id"]: item for item in config["inputs"]}
    used = {
        m
        for server in config["servers"].values()
        for v in server.get("env", {}).values()
        for m in re.findall(r"\$\{input:([^}]+)\}", v)
    }
    assert used and used == set(inputs)
    assert all(inputs[name]["type"] == "promptString" and inputs[name]["password"] for name in used)
    assert {"RC_APP_CLIENT_SECRET", "RC_USER_JWT"} == {
        key for key, value in config["servers"]["ringsense"]["env"].items() if value.startswith("${input:")
    }
