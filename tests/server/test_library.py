"""The call library through the MCP surface: the cross-call tools, progress notifications, the library serving
single-call tools, the status resource and the weekly digest prompt (in-memory `Client(server)`, and over stdio)."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from mcp import Client, MCPError, StdioServerParameters

from server.app import build_server
from server.config import load_settings
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, Fault, SandboxPlatform, serve_sandbox
from server.sandboxed import client_for
from tools.library import LIBRARY_OFF

from .conftest import error_text, find_call

pytestmark = pytest.mark.anyio
Progress = list[tuple[float, float | None, str | None]]
# The sample calls span the last four weeks; the start-up catch-up syncs the last 30 days.
CATCH_UP_DELAY = 4.0  # seconds the first call-log request waits: longer than a client takes to connect and ask
WIDE = {"date_from": (datetime.now(UTC) - timedelta(days=29)).date().isoformat()}


@pytest.fixture
def connect_library(platform: SandboxPlatform, tmp_path: Path) -> Callable[..., object]:
    """`async with connect_library() as client`: a sandbox server with its call library under tmp_path, synced in
    the background exactly as a real server does (the first catch-up is announced at start-up). The first
    catch-up starts at once: the in-memory handshake it waits for in a real server is over by then;
    `connect_library(catch_up_delay=None)` keeps the server's own delay."""

    @asynccontextmanager
    async def _connect(*, catch_up_delay: float | None = 0.0) -> AsyncIterator[Client]:
        settings = load_settings({"RINGSENSE_DATA_DIR": str(tmp_path)}, sandbox=True)
        library = dataclasses.replace(settings.library, catch_up_delay=catch_up_delay)
        settings = dataclasses.replace(settings, library=library)
        server = build_server(settings, client_factory=lambda: client_for(platform))
        async with Client(server) as client:
            yield client

    return _connect


def recorder() -> tuple[Progress, Callable[[float, float | None, str | None], object]]:
    seen: Progress = []

    async def record(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    return seen, record


async def test_a_search_during_the_start_up_catch_up_waits_for_it_and_reports_progress(connect_library) -> None:  # type: ignore[no-untyped-def]
    seen, record = recorder()
    with anyio.fail_after(30):
        # The server's own delay before the catch-up: the search surely arrives before the catch-up is over.
        async with connect_library(catch_up_delay=None) as client:
            result = await client.call_tool("search_calls", {"query": "QuickBooks"}, progress_callback=record)
    assert not result.is_error, error_text(result)
    assert result.structured_content["calls"], "the answer came after the catch-up indexed the calls"
    values = [progress for progress, _, _ in seen]
    assert len(values) >= 2 and values == sorted(set(values))
    assert all(message and message.startswith("library sync") for _, _, message in seen)


async def test_every_cross_call_tool_answers_with_coverage_through_the_mcp_surface(connect_library) -> None:  # type: ignore[no-untyped-def]
    with anyio.fail_after(30):
        async with connect_library() as client:
            answers = {
                "search_calls": await client.call_tool("search_calls", {"query": "refund OR credit", **WIDE}),
                "list_next_steps": await client.call_tool("list_next_steps", WIDE),
                "call_stats": await client.call_tool("call_stats", {**WIDE, "group_by": "direction"}),
            }
    for name, result in answers.items():
        assert not result.is_error, (name, error_text(result))
        coverage = result.structured_content["coverage"]
        assert re.match(r"\d+ of \d+ recorded calls indexed; 1 pending analysis; last sync ", coverage["text"]), name
        assert result.structured_content["data_source"] == "call library"
    assert answers["call_stats"].structured_content["table"].startswith("| direction |")


async def test_after_the_catch_up_single_call_tools_make_no_request_to_the_platform(
    connect_library, platform: SandboxPlatform
) -> None:  # type: ignore[no-untyped-def]
    call = find_call(platform, "transferred-call")
    with anyio.fail_after(30):
        async with connect_library() as client:
            await client.call_tool("list_next_steps", {})  # waits for the catch-up
            platform.clear_requests()
            record = await client.call_tool("get_insights_by_record", {"record_id": call.recordings[0].record_id})
            session = await client.call_tool("get_insights_by_session", {"session_id": call.session_id})
            page = await client.call_tool("render_transcript", {"record_id": call.recordings[1].record_id})
    assert record.structured_content["data_source"] == session.structured_content["data_source"] == "call library"
    assert page.structured_content["data_source"] == "call library"
    asked = [r.path for r in platform.requests if r.path != "/restapi/oauth/revoke"]  # the revoke is the shutdown
    assert asked == []


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [("search_calls", {"query": "refund"}), ("list_next_steps", {}), ("call_stats", {})],
)
async def test_with_the_library_off_the_tools_say_so_and_what_to_do(connect, tool: str, arguments: dict) -> None:  # type: ignore[no-untyped-def, type-arg]
    async with connect() as client:  # the shared fixture runs with RINGSENSE_LIBRARY=off
        result = await client.call_tool(tool, arguments)
    assert LIBRARY_OFF in error_text(result)


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        ("search_calls", {"query": '"price increase'}, "opening \""),
        ("search_calls", {"query": "-voicemail"}, "cannot only exclude"),
        ("search_calls", {"query": "refund", "cursor": "bm90LWEtY3Vyc29y"}, "cursor"),
        ("search_calls", {"query": "refund", "min_score": 11}, "min_score"),
        ("search_calls", {"query": "x" * 600}, "query"),
        ("search_calls", {"speaker": "!!!"}, "speaker must contain a name"),
        ("list_next_steps", {"limit": 0}, "limit"),
        ("list_next_steps", {"date_from": "2026-11-31"}, "not a real date"),
        ("call_stats", {"group_by": "month"}, "group_by"),
        ("call_stats", {"date_from": "2024-01-01", "date_to": "2026-01-01"}, "366 days"),
    ],
    ids=["open-quote", "only-exclusions", "foreign-cursor", "score-range", "huge-query", "nameless-speaker",
         "zero-limit", "unreal-date", "unknown-grouping", "long-range"],
)  # fmt: skip
async def test_bad_arguments_get_an_actionable_tool_error_never_a_database_message(
    connect_library, tool: str, arguments: dict, expected: str
) -> None:  # type: ignore[no-untyped-def, type-arg]
    with anyio.fail_after(30):
        async with connect_library() as client:
            result = await client.call_tool(tool, arguments)
    text = error_text(result)
    assert expected in text
    assert not re.search(r"sqlite|fts5|syntax error|Traceback|OperationalError", text, re.IGNORECASE)


async def test_the_library_status_resource_shows_size_coverage_by_month_and_the_last_sync(
    connect_library, platform: SandboxPlatform
) -> None:  # type: ignore[no-untyped-def]
    with anyio.fail_after(30):
        async with connect_library() as client:
            await client.call_tool("call_stats", {})  # waits for the catch-up
            text = (await client.read_resource("ringsense://library/status")).contents[0].text
    status = json.loads(text)
    assert status["enabled"] is True and status["size_bytes"] > 0 and status["calls_indexed"] > 0
    assert status["last_sync"] and status["pending_analysis"] == 1 and status["by_month"]
    assert "library forget" in status["note"]
    for user in platform.dataset.users:
        assert user.jwt not in text


async def test_the_library_status_resource_says_when_the_library_is_off(connect) -> None:  # type: ignore[no-untyped-def]
    async with connect() as client:
        status = json.loads((await client.read_resource("ringsense://library/status")).contents[0].text)
    assert status == {"enabled": False, "what_to_do": LIBRARY_OFF}


async def test_the_weekly_digest_prompt_builds_on_the_cross_call_tools(connect) -> None:  # type: ignore[no-untyped-def]
    async with connect() as client:
        prompt = await client.get_prompt("weekly_team_digest", {"start_date": "2026-11-23"})
        with pytest.raises(MCPError, match="not a real date"):
            await client.get_prompt("weekly_team_digest", {"start_date": "2026-02-30"})
    text = prompt.messages[0].content.text
    for step in ("call_stats(", "list_next_steps(", "search_calls(", "coverage"):
        assert step in text
    assert "date_from='2026-11-23', date_to='2026-11-29'" in text


async def test_the_background_sync_logs_no_secret(
    connect_library, platform: SandboxPlatform, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    with anyio.fail_after(30):
        async with connect_library() as client:
            await client.call_tool("list_next_steps", {})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "call library catch-up" in logged
    secrets = [user.jwt for user in platform.dataset.users] + list(platform.issued_tokens())
    assert secrets and not [secret for secret in secrets if secret in logged]


async def test_over_stdio_a_search_waits_for_the_catch_up_and_streams_progress(tmp_path: Path) -> None:
    """The real process, live mode against a sandbox on loopback whose call log answers slowly, so the start-up
    catch-up is still running when the search arrives."""
    platform = SandboxPlatform()
    platform.faults.inject("*/call-log", Fault.delay(CATCH_UP_DELAY), times=1)
    seen, record = recorder()
    async with serve_sandbox(platform) as url:
        server = StdioServerParameters(
            command=sys.executable,
            args=["-m", "server", "serve"],
            env={
                "PATH": os.environ.get("PATH", ""),
                "RINGSENSE_DATA_DIR": str(tmp_path),
                "RC_SERVER_URL": url,
                "RC_APP_CLIENT_ID": SANDBOX_CLIENT_ID,
                "RC_APP_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
                "RC_USER_JWT": platform.dataset.users[0].jwt,
            },
        )
        with anyio.fail_after(60):
            async with Client(server) as client:
                result = await client.call_tool("search_calls", {"query": "QuickBooks"}, progress_callback=record)
    assert not result.is_error, error_text(result)
    assert result.structured_content["calls"] and result.structured_content["coverage"]["indexed"] > 0
    assert seen and all(message and message.startswith("library sync") for _, _, message in seen)
    assert (tmp_path / "library.sqlite3").exists(), "live mode keeps the live library file"


async def test_starting_the_server_imports_nothing_of_the_library() -> None:
    """Cold start: the library's modules (SQLite, the sync) load when a tool or the first catch-up needs them."""
    code = (
        "import sys, server.cli, server.app; "
        "print(sorted(m for m in sys.modules "
        "if m.startswith('server.library.') or m in ('server.library', 'sqlite3', 'platformdirs')))"
    )
    with anyio.fail_after(30):
        result = await anyio.run_process([sys.executable, "-c", code], env={"PATH": os.environ.get("PATH", "")})
    assert result.stdout.decode().strip() == "[]"


async def test_a_library_that_cannot_be_opened_is_explained_and_single_calls_still_work(
    platform: SandboxPlatform, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data directory should be")
    settings = load_settings({"RINGSENSE_DATA_DIR": str(blocker)}, sandbox=True)
    server = build_server(settings, client_factory=lambda: client_for(platform))
    record_id = find_call(platform, "sales-discovery").recordings[0].record_id
    with anyio.fail_after(30):
        async with Client(server) as client:
            search = await client.call_tool("search_calls", {"query": "QuickBooks"})
            insights = await client.call_tool("get_insights_by_record", {"record_id": record_id})
            status = await client.read_resource("ringsense://library/status")
    assert str(blocker) in error_text(search) and "RINGSENSE_DATA_DIR" in error_text(search)
    assert insights.structured_content["data_source"] == "sandbox sample data"
    assert "RINGSENSE_DATA_DIR" in json.loads(status.contents[0].text)["error"]
