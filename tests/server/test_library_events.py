"""Live events feed the call library: each event is stored as it arrives (AI Notes, then RingSense: the later one
wins), and a window the feed may have missed (a failed event recovery) is caught up from the call log."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from server.app import build_server
from server.config import LibrarySettings, load_settings
from server.library_service import LibraryService
from server.ringsense.events import Gap, InsightsEvent
from server.sandbox import SandboxPlatform, create_sandbox_app
from server.sandboxed import client_for, gateway_for

from .conftest import error_text

pytestmark = pytest.mark.anyio
RECENT = "ringsense://events/recent"
WAIT = 15.0


@asynccontextmanager
async def events_and_library(platform: SandboxPlatform, data_dir: Path) -> AsyncIterator[Client]:
    """A sandbox server with live events and its library under `data_dir`; no background sync, so whatever the
    library holds came from the events."""
    server = build_server(
        load_settings({"RINGSENSE_DATA_DIR": str(data_dir)}, sandbox=True, events=True),
        client_factory=lambda: client_for(platform),
        event_gateway=gateway_for(platform),
        background_sync=False,
    )
    async with Client(server) as client:
        with anyio.fail_after(WAIT):
            await platform.push.wait_until(lambda hub: hub.active_subscriptions() == 1)
        yield client


async def finish_analysis(platform: SandboxPlatform) -> dict[str, Any]:
    """The sandbox's test control: a call finishes analysis and its two pbx events are pushed."""
    transport = httpx.ASGITransport(app=create_sandbox_app(platform))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as control:
        response = await control.post("/sandbox/v1/analysis-complete", json={})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def both_events(client: Client) -> None:
    """Until the AI Notes and the RingSense event have been delivered (sinks run before listeners are told)."""
    async with client.listen(resource_subscriptions=[RECENT]) as updates:
        while True:
            recent = json.loads((await client.read_resource(RECENT)).contents[0].text)  # type: ignore[union-attr]
            if len(recent["events"]) >= 2:
                return
            await anext(aiter(updates))


async def test_events_are_stored_in_the_library_and_the_later_one_wins(
    platform: SandboxPlatform, tmp_path: Path
) -> None:
    with anyio.fail_after(30):
        async with events_and_library(platform, tmp_path) as client:
            answer = await finish_analysis(platform)
            await both_events(client)
            platform.clear_requests()
            insights = await client.call_tool(
                "get_insights_by_record", {"record_id": answer["sourceRecordId"], "detail": "full"}
            )
            listed = await client.call_tool("search_calls", {"query": ""})
            status = json.loads((await client.read_resource("ringsense://library/status")).contents[0].text)
    assert not insights.is_error, error_text(insights)
    assert insights.structured_content["data_source"] == "call library"
    assert insights.structured_content["highlights"], "the RingSense event (the later one) is what is stored"
    assert platform.requests_to("/insights") == []
    assert answer["sourceRecordId"] in {m["call"]["record_id"] for m in listed.structured_content["calls"]}
    assert status["last_event"] is not None and status["calls_indexed"] == 1


async def test_a_failed_event_recovery_catches_its_window_up_from_the_call_log(
    platform: SandboxPlatform, tmp_path: Path
) -> None:
    service = LibraryService(LibrarySettings(enabled=True, directory=tmp_path), sync_every=None)
    now = datetime.now(UTC)
    since, until = now - timedelta(days=20), now - timedelta(days=10)
    with anyio.fail_after(30):
        async with client_for(platform) as client, service.running(client, background=False):
            await service.on_event(Gap(since=since, until=until, reason="session recovery failed (WSG-1001)"))
            await service.settle(since, until, wait_seconds=20)  # the catch-up is announced at once
            store = await service.reader()
            coverage = await store.coverage(since, until)
            outside = await store.coverage(now - timedelta(days=5), now)
    expected = [
        rec
        for call in platform.dataset.calls
        if call.call_log and call.domain == "pbx"
        for rec in call.recordings
        if rec.insights and since <= datetime.fromisoformat(rec.insights["recordingStartTime"]) < until
    ]
    assert expected and coverage.indexed == len(expected) and coverage.unsynced == ()
    assert outside.indexed == 0, "only the window the feed missed (an hour either side) is caught up"
    assert service.last_summary is not None and service.last_summary.stopped is None


async def test_an_event_the_library_cannot_hold_is_logged_without_its_content_and_the_feed_goes_on(
    platform: SandboxPlatform, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An escaped lone surrogate is valid JSON but not text: no UTF-8 writer can store it. The gateway's frames are
    refused before they get here; a sink handed one anyway logs and returns, and stores nothing of it."""
    body = copy.deepcopy(
        next(rec.insights for call in platform.dataset.calls for rec in call.recordings if rec.insights)
    )
    body["insights"]["Transcript"][0]["text"] = "secret words \ud800 more"
    event_filter = "/ai/ringsense/v1/public/accounts/1/domains/pbx/insights"
    event = InsightsEvent.model_validate({"event": event_filter, "body": body})
    service = LibraryService(LibrarySettings(enabled=True, directory=tmp_path), sync_every=None)
    with anyio.fail_after(WAIT):
        async with client_for(platform) as client, service.running(client, background=False):
            await service.on_event(event)
            stored = await (await service.reader()).get_by_record(body["sourceRecordId"])
    assert stored is None
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("could not be stored" in message for message in warnings), warnings
    assert not any("secret words" in message for message in warnings)
