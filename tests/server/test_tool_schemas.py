"""The tools' JSON schemas generated ahead of time (`server/tool_schemas.json`) are exactly what the SDK generates.

Regenerate the file with `UPDATE_SNAPSHOTS=1 uv run pytest tests/server/test_tool_schemas.py` after changing a
tool's arguments, description or output model (or upgrading mcp or pydantic), and review the diff together with
`tests/server/snapshots/tools_list.json`.
"""

from __future__ import annotations

import json
import os

import pytest
from mcp.server.mcpserver.tools import Tool

from server import tool_schemas
from server.config import load_settings
from server.mcp_tools import read_only_tools
from server.runtime import Runtime

from .conftest import LIBRARY_OFF, refresh_stored_schemas, schemas_generated_now


def generated_by_the_sdk(tools: list[Tool]) -> list[Tool]:
    """The same tools as `@mcp.tool()` builds them: every schema generated now."""
    return [
        Tool.from_function(tool.fn, title=tool.title, description=tool.description, annotations=tool.annotations)
        for tool in tools
    ]


@pytest.fixture
def built() -> list[Tool]:
    return read_only_tools(Runtime(load_settings(LIBRARY_OFF, sandbox=True)))


def test_the_stored_schemas_are_what_the_sdk_generates_now(built: list[Tool]) -> None:
    if os.environ.get("UPDATE_SNAPSHOTS"):
        refresh_stored_schemas()
    assert json.loads(tool_schemas.SCHEMAS_FILE.read_text()) == schemas_generated_now(), (
        "server/tool_schemas.json is stale: regenerate it with UPDATE_SNAPSHOTS=1 (see this module's docstring)"
    )
    assert set(tool_schemas.stored()) == {tool.name for tool in built}, "every tool is served from the file"


def test_a_tool_built_from_stored_schemas_is_the_tool_the_sdk_builds(built: list[Tool]) -> None:
    for ours, sdk in zip(built, generated_by_the_sdk(built), strict=True):
        assert ours.name == sdk.name
        assert ours.parameters == sdk.parameters, ours.name
        assert ours.output_schema == sdk.output_schema, ours.name
        assert ours.fn_metadata.output_model is sdk.fn_metadata.output_model, ours.name
        assert ours.fn_metadata.wrap_output == sdk.fn_metadata.wrap_output, ours.name
        assert ours.fn_metadata.arg_model.model_json_schema() == sdk.fn_metadata.arg_model.model_json_schema()
        assert (ours.context_kwarg, ours.is_async, ours.title, ours.description, ours.annotations) == (
            sdk.context_kwarg,
            sdk.is_async,
            sdk.title,
            sdk.description,
            sdk.annotations,
        ), ours.name


@pytest.mark.parametrize(
    "made_with",
    [{"mcp": "0.0.1", "pydantic": "2.0.0"}, None],
    ids=["other-versions", "no-versions"],
)
def test_schemas_stored_by_other_versions_are_not_used(
    made_with: dict[str, str] | None, tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another pydantic may generate other schemas for the same models: then the SDK generates them at start."""
    stale = json.loads(tool_schemas.SCHEMAS_FILE.read_text())
    stale["made_with"] = made_with
    path = tmp_path / "tool_schemas.json"  # type: ignore[operator]
    path.write_text(json.dumps(stale))
    monkeypatch.setattr(tool_schemas, "SCHEMAS_FILE", path)
    tool_schemas.stored.cache_clear()
    try:
        assert tool_schemas.stored() == {}
    finally:
        tool_schemas.stored.cache_clear()


def test_a_tool_missing_from_the_file_has_its_schemas_generated(built: list[Tool]) -> None:
    tool = built[0]
    output_model = tool.fn_metadata.output_model
    assert output_model is not None
    made = tool_schemas.make_tool(
        tool.fn,
        title=tool.title or "",
        description=tool.description,
        annotations=tool.annotations,  # type: ignore[arg-type]
        output_model=output_model,
        schemas=None,
    )
    assert made.parameters == tool.parameters and made.output_schema == tool.output_schema
