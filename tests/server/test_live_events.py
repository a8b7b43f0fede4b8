"""Live events through the MCP server: the recent-events resource, its update notifications on both protocol
eras, and insights served from memory once an event brought them."""

from __future__ import annotations

import json
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.types import ResourceUpdatedNotification

from server.app import build_server
from server.config import load_settings
from server.live_events import LiveInsights
from server.ringsense import InsightsEvent, InsightType
from server.sandbox import SandboxPlatform, create_sandbox_app
from server.sandboxed import client_for, gateway_for

from .conftest import LIBRARY_OFF

pytestmark = pytest.mark.anyio

RECENT = "ringsense://events/recent"
WAIT = 10.0


@asynccontextmanager
async def events_server(
    platform: SandboxPlatform, *, mode: str = "auto", message_handler: Any = None
) -> AsyncIterator[Client]:
    # The call library off: these tests are about the in-memory feed, and the library's background catch-up
    # would fetch insights over REST at a moment that depends on the machine's load.
    server = build_server(
        load_settings(LIBRARY_OFF, sandbox=True),
        client_factory=lambda: client_for(platform),
        event_gateway=gateway_for(platform),
    )
    async with Client(server, mode=mode, message_handler=message_handler) as client:  # type: ignore[arg-type]
        with anyio.fail_after(WAIT):
            await platform.push.wait_until(lambda hub: hub.active_subscriptions() == 1)
        yield client


async def finish_analysis(platform: SandboxPlatform, **body: str) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=create_sandbox_app(platform))  # a loopback caller, in-process
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as control:
        response = await control.post("/sandbox/v1/analysis-complete", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def read_recent(client: Client) -> dict[str, Any]:
    result = await client.read_resource(RECENT)
    recent: dict[str, Any] = json.loads(result.contents[0].text)  # type: ignore[union-attr]
    return recent


async def test_a_2026_client_listening_hears_of_each_event_and_reads_it_in_the_resource() -> None:
    platform = SandboxPlatform()
    async with events_server(platform) as client:
        async with client.listen(resource_subscriptions=[RECENT]) as updates:
            answer = await finish_analysis(platform)
            with anyio.fail_after(WAIT):
                first = await anext(aiter(updates))
                recent = await read_recent(client)
                while len(recent["events"]) < 2:  # the two pbx events may come as one wake-up (level triggered)
                    await anext(aiter(updates))
                    recent = await read_recent(client)

    assert getattr(first, "uri", None) == RECENT
    assert recent["enabled"] is True and recent["state"] == "subscribed"
    newest, older = recent["events"][:2]
    assert newest["record_id"] == older["record_id"] == answer["sourceRecordId"]
    assert (older["update"], newest["update"]) == (False, True)
    assert newest["resource"] == f"ringsense://pbx/records/{answer['sourceRecordId']}"


async def test_a_2025_client_subscribed_to_the_resource_gets_resources_updated() -> None:
    platform = SandboxPlatform()
    updated = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification) and str(message.params.uri) == RECENT:
            updated.set()

    async with events_server(platform, mode="legacy", message_handler=on_message) as client:
        assert client.server_capabilities.resources and client.server_capabilities.resources.subscribe
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # resources/subscribe is deprecated for 2026 clients, not for these
            await client.subscribe_resource(RECENT)
        await finish_analysis(platform)
        with anyio.fail_after(WAIT):
            await updated.wait()


async def test_insights_that_arrived_by_event_are_served_without_a_rest_call() -> None:
    platform = SandboxPlatform()
    async with events_server(platform) as client:
        async with client.listen(resource_subscriptions=[RECENT]) as updates:
            answer = await finish_analysis(platform)
            with anyio.fail_after(WAIT):
                while len((await read_recent(client))["events"]) < 2:
                    await anext(aiter(updates))
        platform.clear_requests()
        result = await client.call_tool("get_insights_by_record", {"record_id": answer["sourceRecordId"]})

    assert not result.is_error
    assert result.structured_content and result.structured_content["call"]["record_id"] == answer["sourceRecordId"]
    assert result.structured_content["highlights"]  # the RingSense event, not only the AI Notes one
    assert platform.requests_to("/insights") == []  # answered from memory


async def test_with_events_off_the_resource_says_how_to_turn_them_on(platform: SandboxPlatform) -> None:
    server = build_server(load_settings({}, sandbox=True, events=False), client_factory=lambda: client_for(platform))
    async with Client(server) as client:
        recent = await read_recent(client)

    assert recent["enabled"] is False and recent["events"] == []
    assert "--events" in recent["hint"]


def _event(record_id: str, kinds: dict[str, list[Any]], modified: str) -> InsightsEvent:
    body = {"sourceRecordId": record_id, "domain": "pbx", "lastModifiedTime": modified, "insights": kinds}
    return InsightsEvent.model_validate(
        {"event": "/ai/ringsense/v1/public/accounts/1/domains/pbx/insights", "body": body}
    )


NOTES = {"Transcript": [{"text": "hi", "start": 0, "end": 1}], "Summary": [{"value": "A call."}]}
FULL = {**NOTES, "Highlights": [{"value": "Budget approved."}], "Sentiment": [{"value": "Positive"}]}


@pytest.mark.parametrize(
    ("kinds", "asked", "served"),
    [
        (NOTES, None, False),
        (NOTES, [InsightType.SUMMARY], True),
        (NOTES, [InsightType.SUMMARY, InsightType.HIGHLIGHTS], False),
        (FULL, None, True),
        (FULL, [InsightType.HIGHLIGHTS], True),
    ],
    ids=["ai-notes-for-everything", "ai-notes-for-summary", "ai-notes-for-highlights", "full-for-everything",
         "full-for-highlights"],
)  # fmt: skip
async def test_memory_answers_only_when_an_event_brought_every_kind_asked_for(
    kinds: dict[str, list[Any]], asked: list[InsightType] | None, served: bool
) -> None:
    live = LiveInsights(data_source="RingCentral")
    live.add(_event("42", kinds, "2026-01-01T10:00:00Z"))

    held = await live.recording("42", "pbx", asked)

    assert (held is not None) is served
    assert await live.recording("42", "rcx", asked) is None  # another domain's id space


async def test_an_older_event_never_replaces_a_newer_one() -> None:
    live = LiveInsights(data_source="RingCentral")
    live.add(_event("42", FULL, "2026-01-01T10:05:00Z"))
    live.add(_event("42", NOTES, "2026-01-01T10:00:00Z"))  # late AI Notes event

    held = await live.recording("42", "pbx", None)

    assert held is not None and "Highlights" in held.insights.present
    assert [e["update"] for e in live.recent()["events"]] == [True, False]
