"""RingCentral's own Python SDK (`ringcentral` on PyPI), unchanged, against the sandbox on loopback.

The SDK's REST calls are synchronous (`requests`) and its WebSocket client runs on its own asyncio loop, so it
runs in a worker thread while the sandbox serves from the test's loop.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest
from ringcentral import SDK
from ringcentral.websocket import WebSocketEvents

from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, serve_sandbox

pytestmark = pytest.mark.anyio

PBX_FILTER = "/ai/ringsense/v1/public/accounts/~/domains/pbx/insights"
WAIT = 10.0


def _sdk(base: str, jwt: str) -> Any:
    sdk = SDK(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, base)
    sdk.platform().login(jwt=jwt)
    return sdk


async def _subscribe_and_receive(base: str, jwt: str) -> tuple[list[list[Any]], Any]:
    """What an SDK user writes: connect, subscribe, wait for notifications. Runs on the SDK's own loop."""
    sdk = _sdk(base, jwt)
    client = sdk.create_web_socket_client()
    connected, subscribed, received = asyncio.Event(), asyncio.Event(), asyncio.Event()
    notifications: list[list[Any]] = []
    subscriptions: list[Any] = []

    def on_notification(message: list[Any]) -> None:
        notifications.append(message)
        if len(notifications) == 2:
            received.set()

    client.on(WebSocketEvents.connectionCreated, lambda _: connected.set())
    client.on(WebSocketEvents.subscriptionCreated, lambda s: (subscriptions.append(s), subscribed.set()))
    client.on(WebSocketEvents.receiveSubscriptionNotification, on_notification)
    connection = asyncio.create_task(client.create_new_connection())
    try:
        await asyncio.wait_for(connected.wait(), WAIT)
        await client.create_subscription([PBX_FILTER])
        await asyncio.wait_for(subscribed.wait(), WAIT)
        async with httpx.AsyncClient(base_url=base) as control:
            (await control.post("/sandbox/v1/analysis-complete", json={})).raise_for_status()
        await asyncio.wait_for(received.wait(), WAIT)
        await client.close_connection()
    finally:
        connection.cancel()
        await asyncio.gather(connection, return_exceptions=True)
    return notifications, subscriptions[0].get_subscription_info()


async def test_the_official_sdk_subscribes_and_receives_ringsense_events_unchanged() -> None:
    platform = SandboxPlatform()
    jwt = platform.users[0].jwt
    async with serve_sandbox(platform) as base:
        with anyio.fail_after(3 * WAIT):
            notifications, info = await anyio.to_thread.run_sync(lambda: asyncio.run(_subscribe_and_receive(base, jwt)))

    meta, subscription = info
    assert meta["headers"]["WSG-SubscriptionId"] == subscription["id"]
    first, second = [m[1] for m in notifications]
    assert first["subscriptionId"] == second["subscriptionId"] == subscription["id"]
    assert first["body"]["sourceRecordId"] == second["body"]["sourceRecordId"]
    assert first["body"]["lastModifiedTime"] < second["body"]["lastModifiedTime"]
    assert first["event"] == f"/ai/ringsense/v1/public/accounts/{platform.dataset.account_id}/domains/pbx/insights"


def _rest_calls(base: str, jwt: str, record_id: str) -> dict[str, Any]:
    platform = _sdk(base, jwt).platform()
    now = datetime.now(UTC)
    log = platform.get(
        "/restapi/v1.0/account/~/call-log",
        {
            "dateFrom": (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "view": "Detailed",
            "recordingType": "All",
        },
    ).json_dict()
    insights = platform.get(f"/ai/ringsense/v1/public/accounts/~/domains/pbx/records/{record_id}/insights").json_dict()
    token = platform.post("/restapi/oauth/wstoken", body={}).json_dict()
    platform.logout()
    return {"log": log, "insights": insights, "wstoken_keys": sorted(token)}


async def test_the_official_sdk_rest_calls_still_work_including_wstoken() -> None:
    platform = SandboxPlatform()
    recorded = next(
        c for c in platform.dataset.calls if c.domain == "pbx" and c.recordings and c.recordings[0].insights
    )
    record_id = recorded.recordings[0].record_id
    async with serve_sandbox(platform) as base:
        with anyio.fail_after(3 * WAIT):
            result = await anyio.to_thread.run_sync(lambda: _rest_calls(base, platform.users[0].jwt, record_id))

    assert any(r["telephonySessionId"] == recorded.session_id for r in result["log"]["records"])
    assert result["insights"]["sourceRecordId"] == record_id
    assert result["wstoken_keys"] == ["expires_in", "uri", "ws_access_token"]
