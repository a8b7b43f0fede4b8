"""The MCPB manifest and the MCP Registry server.json describe the server as it is: version, tools, settings."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from mcp import Client

from server import __version__
from server.app import build_server
from server.config import ENV_NAMES, SANDBOX_ENV, load_settings

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
MANIFEST = json.loads((ROOT / "packaging" / "mcpb" / "manifest.json").read_text())
SERVER_JSON = json.loads((ROOT / "server.json").read_text())
KNOWN_VARIABLES = {name for names in ENV_NAMES.values() for name in names} | {SANDBOX_ENV}
SECRET_VARIABLES = {name for setting in ("client_secret", "jwt", "access_token") for name in ENV_NAMES[setting]}


def test_every_published_version_is_the_package_version() -> None:
    versions = {
        "pyproject.toml": PYPROJECT["version"],
        "server.__version__ (package metadata)": __version__,
        "packaging/mcpb/manifest.json": MANIFEST["version"],
        "server.json": SERVER_JSON["version"],
        "server.json packages[0]": SERVER_JSON["packages"][0]["version"],
    }
    assert len(set(versions.values())) == 1, versions


def test_the_license_is_the_same_everywhere() -> None:
    assert PYPROJECT["license"] == MANIFEST["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


@pytest.mark.anyio
async def test_the_manifest_declares_exactly_the_tools_the_server_lists() -> None:
    async with Client(build_server(load_settings({}, sandbox=True))) as client:
        listed = sorted(tool.name for tool in (await client.list_tools()).tools)
    assert sorted(tool["name"] for tool in MANIFEST["tools"]) == listed


def test_the_manifest_passes_every_setting_as_a_variable_the_server_reads() -> None:
    env = MANIFEST["server"]["mcp_config"]["env"]
    assert set(env) <= KNOWN_VARIABLES
    fields = {template.removeprefix("${user_config.").removesuffix("}"): name for name, template in env.items()}
    assert set(fields) == set(MANIFEST["user_config"]), "every setting reaches the server, and nothing else"
    sensitive = {fields[key] for key, spec in MANIFEST["user_config"].items() if spec.get("sensitive")}
    assert sensitive == {name for name in fields.values() if name in SECRET_VARIABLES}
    assert MANIFEST["user_config"]["sandbox"]["type"] == "boolean"


def test_the_manifest_runs_the_locked_runtime_dependencies_only() -> None:
    server = MANIFEST["server"]
    assert server["type"] == "uv" and (ROOT / server["entry_point"]).is_file()
    assert {"--no-dev", "--frozen", "ringsense-mcp"} <= set(server["mcp_config"]["args"])


def test_server_json_names_variables_the_server_reads_and_marks_the_secrets() -> None:
    package = SERVER_JSON["packages"][0]
    assert package["identifier"] == PYPROJECT["name"]
    variables = {variable["name"]: variable for variable in package["environmentVariables"]}
    assert set(variables) <= KNOWN_VARIABLES
    assert {name for name, spec in variables.items() if spec.get("isSecret")} == set(variables) & SECRET_VARIABLES


def test_the_readme_carries_the_registry_name_for_pypi_ownership() -> None:
    """The MCP Registry checks a PyPI package's description for `mcp-name: <name>` before it lists it."""
    assert f"mcp-name: {SERVER_JSON['name']}" in (ROOT / "README.md").read_text()
