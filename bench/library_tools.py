"""What the cross-call tools cost a model: the next-steps roll-up with and without the library, and the context every
conversation pays for the tool definitions.

Both sides of the roll-up run in the same run, through the real MCP surface (`Client(server)` in memory) against
one sandbox holding `calls` recorded calls, and are measured on the text a client shows the model (the content
block of each tool result):

- with the library: `list_next_steps` over the month, one call (the library built first by the real sync);
- without it (`RINGSENSE_LIBRARY=off`): what the `next_steps_digest` prompt prescribes, `list_recorded_calls` pages
  of 100 and `get_insights_by_record(sections=['next_steps'])` for every call.

Tokens are estimated as characters / 4 (no tokenizer with its vocabulary installs offline here; the same estimate
is used on both sides and for the tool definitions, and by `RESPONSE_BUDGET_CHARS` in tools/formatting.py).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from mcp import Client
from mcp.types import CallToolResult

from bench.library_sync import _grown
from bench.results import Measure
from server.app import build_server
from server.config import load_settings
from server.library import open_store
from server.library.sync import sync_range
from server.ringsense import JWTCredentials, RingSenseClient
from server.ringsense.ratelimit import Pacer, RateLimitGroup
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, create_sandbox_app

CHARS_PER_TOKEN = 4
ROLLUP_BUDGET_TOKENS = 6_000
DEFINITIONS_BUDGET_TOKENS = 3_500
ROOMY = 1_000_000  # requests per window: this bench measures text, not the rate budget (bench/rate.py does)
SANDBOX_URL = "https://platform.sandbox.test"


@dataclass(frozen=True)
class ToolsConfig:
    calls: int  # 500


def tokens(chars: int) -> float:
    return chars / CHARS_PER_TOKEN


def _shown(result: CallToolResult) -> int:
    """Characters of what a client shows the model: the result's text content blocks."""
    if result.is_error:
        raise RuntimeError(" ".join(getattr(block, "text", "") for block in result.content))
    return sum(len(getattr(block, "text", "")) for block in result.content)


def _client(platform: SandboxPlatform) -> RingSenseClient:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_sandbox_app(platform)), base_url=SANDBOX_URL)
    user = platform.dataset.users[0]
    return RingSenseClient(
        server_url=SANDBOX_URL,
        credentials=JWTCredentials(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, user.jwt),
        http_client=http,
        pacer=Pacer(window=60.0, limits={RateLimitGroup.LIGHT: ROOMY, RateLimitGroup.HEAVY: ROOMY}),
        cache_ttl=0,
    )


async def _with_library(platform: SandboxPlatform, data_dir: Path, date_from: str) -> dict[str, Any]:
    settings = load_settings({"RINGSENSE_DATA_DIR": str(data_dir)}, sandbox=True)
    server = build_server(settings, client_factory=lambda: _client(platform), background_sync=False, log_level="ERROR")
    async with Client(server) as client:
        first = await client.call_tool("list_next_steps", {"date_from": date_from})
        calls, chars, cursor, content = (
            1,
            _shown(first),
            first.structured_content.get("cursor"),
            first.structured_content,
        )
        while cursor:  # every next step, for the record: what paging to the end costs
            page = await client.call_tool("list_next_steps", {"date_from": date_from, "cursor": cursor})
            calls, chars, cursor = calls + 1, chars + _shown(page), page.structured_content.get("cursor")
    return {
        "first_call_chars": _shown(first),
        "steps_total": content["total"],
        "steps_in_first_call": sum(len(group["steps"]) for group in content["groups"]),
        "owners": len(content["groups"]),
        "coverage": content["coverage"]["text"],
        "all_pages_calls": calls,
        "all_pages_chars": chars,
    }


async def _without_library(platform: SandboxPlatform, date_from: str) -> dict[str, Any]:
    settings = load_settings({"RINGSENSE_LIBRARY": "off"}, sandbox=True)
    server = build_server(settings, client_factory=lambda: _client(platform), log_level="ERROR")
    calls = chars = steps = 0
    async with Client(server) as client:
        record_ids: list[str] = []
        cursor = None
        while True:
            arguments: dict[str, Any] = {"date_from": date_from, "limit": 100}
            if cursor:
                arguments["cursor"] = cursor
            listing = await client.call_tool("list_recorded_calls", arguments)
            calls, chars = calls + 1, chars + _shown(listing)
            record_ids += [row["record_id"] for row in listing.structured_content["calls"]]
            cursor = listing.structured_content.get("cursor")
            if not cursor:
                break
        for record_id in record_ids:
            result = await client.call_tool(
                "get_insights_by_record", {"record_id": record_id, "sections": ["next_steps"]}
            )
            if result.is_error:  # the recording still being analysed: the model reads the error, a call spent
                calls, chars = calls + 1, chars + sum(len(getattr(b, "text", "")) for b in result.content)
                continue
            calls, chars = calls + 1, chars + _shown(result)
            steps += len(result.structured_content.get("next_steps") or [])
    return {"calls": calls, "chars": chars, "recordings": len(record_ids), "steps": steps}


async def _definitions() -> dict[str, Any]:
    server = build_server(load_settings({"RINGSENSE_LIBRARY": "off"}, sandbox=True), log_level="ERROR")
    async with Client(server) as client:
        listed = await client.list_tools()
    per_tool = {
        tool.name: len(tool.name) + len(tool.description or "") + len(json.dumps(tool.input_schema))
        for tool in listed.tools
    }
    return {"per_tool_chars": per_tool, "chars": sum(per_tool.values())}


async def measure_tools(config: ToolsConfig, progress: Callable[[str], None]) -> list[Measure]:
    now = datetime.now(UTC)
    platform = SandboxPlatform(_grown(config.calls, now), rate_limits={"Light": ROOMY, "Heavy": ROOMY})
    date_from = (now - timedelta(days=30)).date().isoformat()
    with tempfile.TemporaryDirectory(prefix="ringsense-bench-tools-") as tmp:
        data_dir = Path(tmp)
        progress(f"tools: syncing {config.calls} calls into a library")
        store = await open_store(data_dir / "library-sandbox.sqlite3")
        try:
            async with _client(platform) as client:
                await sync_range(store, client, now - timedelta(days=31), now)
        finally:
            await store.aclose()
        progress("tools: next-steps roll-up with the library")
        with_library = await _with_library(platform, data_dir, date_from)
    progress(f"tools: next-steps roll-up without the library ({config.calls} calls, one tool call each)")
    without = await _without_library(platform, date_from)
    definitions = await _definitions()

    rollup_tokens = tokens(with_library["first_call_chars"])
    without_tokens = tokens(without["chars"])
    comparison = (
        f"without the library: {without['calls']} tool calls, {without_tokens:,.0f} tokens; "
        f"every page with it: {with_library['all_pages_calls']} calls, {tokens(with_library['all_pages_chars']):,.0f}"
    )
    return [
        Measure(
            name=f"next-steps roll-up over {config.calls} calls: tokens of the 1 tool call",
            unit="tokens",
            ours=rollup_tokens,
            floor=ROLLUP_BUDGET_TOKENS,
            ratio=rollup_tokens / ROLLUP_BUDGET_TOKENS,
            goal=1.0,
            floor_label="the budget (6,000 tokens)",
            extra_check=("1 tool call", True),
            note=comparison,
            detail={"with_library": with_library, "without_library": without, "chars_per_token": CHARS_PER_TOKEN},
        ),
        Measure(
            name="tool definitions (name + description + input schema), all tools",
            unit="tokens",
            ours=tokens(definitions["chars"]),
            floor=DEFINITIONS_BUDGET_TOKENS,
            ratio=tokens(definitions["chars"]) / DEFINITIONS_BUDGET_TOKENS,
            goal=1.0,
            floor_label="the budget (3,500 tokens)",
            detail={"per_tool_tokens": {k: round(tokens(v)) for k, v in definitions["per_tool_chars"].items()}},
        ),
    ]
