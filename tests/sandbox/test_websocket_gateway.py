"""The sandbox's WebSocket gateway, driven by hand over a real loopback socket (reference §2.5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import anyio
import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from server.sandbox import SandboxPlatform, create_sandbox_app
from server.sandbox.push import PushSettings
from server.sandbox.samples import SandboxUser

from .helpers import BASE_URL, FULL_USER, FakeClock, bearer, login, tiny_dataset
from .wsgate import PBX_FILTER, WAIT, gateway, open_ws, receive, request, subscribe, ws_token

pytestmark = pytest.mark.anyio

NO_RECORDINGS = SandboxUser(
    "62288320003", "Casey Moreno", "103", jwt="jwt-no-company-recordings", can_read_company_recordings=False
)


def make_platform(clock: FakeClock, **kwargs: object) -> SandboxPlatform:
    dataset = tiny_dataset(datetime.fromtimestamp(clock.now, UTC))
    dataset.users.append(NO_RECORDINGS)
    return SandboxPlatform(dataset, clock=clock, **kwargs)  # type: ignore[arg-type]


async def test_wstoken_is_in_the_auth_group_and_points_at_the_loopback_gateway(clock: FakeClock) -> None:
    async with gateway(make_platform(clock)) as http:
        token = await login(http)
        response = await http.post("/restapi/oauth/wstoken", headers=bearer(token))
        body = response.json()
        assert response.status_code == 200
        assert response.headers["X-Rate-Limit-Group"] == "auth"
        assert body["expires_in"] == 30 and body["ws_access_token"]
        assert body["uri"] == str(http.base_url).rstrip("/").replace("http://", "ws://") + "/ws"


async def test_wstoken_is_limited_per_user_and_app_like_the_token_endpoint(clock: FakeClock) -> None:
    async with gateway(make_platform(clock)) as http:
        token = await login(http)
        statuses = [(await http.post("/restapi/oauth/wstoken", headers=bearer(token))).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 200, 429]  # the login itself was the first of five Auth requests


async def test_wstoken_needs_a_bearer_token_and_the_websocket_scope(clock: FakeClock) -> None:
    async with gateway(make_platform(clock, app_scopes=frozenset({"RingSense"}))) as http:
        assert (await http.post("/restapi/oauth/wstoken")).status_code == 401
        token = await login(http)
        refused = await http.post("/restapi/oauth/wstoken", headers=bearer(token))
        assert refused.status_code == 403
        assert refused.json()["errorCode"] == "CMN-401"
        assert refused.json()["permissionName"] == "WebSocketsSubscription"


async def test_the_first_message_is_connection_details_with_a_wsc_token_and_the_limits(clock: FakeClock) -> None:
    async with gateway(make_platform(clock)) as http:
        async with await open_ws(http, await login(http)) as ws:
            meta, body = await receive(ws)
    assert meta["type"] == "ConnectionDetails" and meta["status"] == 200
    assert meta["wsc"]["token"] and meta["wsc"]["sequence"] == 1
    assert body["recoveryTimeout"] == 180 and body["idleTimeout"] == 1800 and body["absoluteTimeout"] == 86400
    assert "recoveryState" not in body


@pytest.mark.parametrize(
    ("case", "code"),
    [("reused", "OAU-213"), ("expired", "OAU-128"), ("unknown", "OAU-149"), ("missing", "OAU-149")],
)
async def test_a_bad_ws_token_gets_an_error_message_and_the_connection_closes(
    clock: FakeClock, case: str, code: str
) -> None:
    from websockets.asyncio.client import connect

    async with gateway(make_platform(clock)) as http:
        grant = await ws_token(http, await login(http))
        token = {"reused": grant["ws_access_token"], "expired": grant["ws_access_token"]}.get(case, "not-a-token")
        if case == "reused":
            async with connect(f"{grant['uri']}?access_token={token}") as first:
                await receive(first)
        if case == "expired":
            clock.advance(31)
        url = grant["uri"] if case == "missing" else f"{grant['uri']}?access_token={token}"
        async with connect(url) as ws:
            meta, body = await receive(ws)
            with pytest.raises(ConnectionClosed), anyio.fail_after(WAIT):
                await ws.recv()
    assert meta["type"] == "Error" and meta["status"] == 401
    assert body["errorCode"] == code
    assert ws.close_code == 1008


async def test_subscribing_answers_with_the_message_id_the_subscription_id_header_and_the_info(
    clock: FakeClock,
) -> None:
    async with gateway(make_platform(clock)) as http:
        async with await open_ws(http, await login(http)) as ws:
            await receive(ws)
            meta, info = await subscribe(ws)
    assert meta["type"] == "ClientRequest" and meta["messageId"] == "m-1" and meta["status"] == 200
    assert meta["headers"]["WSG-SubscriptionId"] == info["id"]
    assert info["status"] == "Active"
    assert info["deliveryMode"] == {"transportType": "WebSocket", "encryption": False}
    assert info["eventFilters"] == ["/ai/ringsense/v1/public/accounts/809646001/domains/pbx/insights"]


@pytest.mark.parametrize(
    ("filters", "jwt", "status", "code", "permission"),
    [
        (["/restapi/v1.0/account/~/extension/~/message-storex"], FULL_USER.jwt, 400, "SUB-508", None),
        (["/ai/ringsense/v1/public/accounts/~/domains/zoom/insights"], FULL_USER.jwt, 400, "SUB-508", None),
        (["/ai/ringsense/v1/public/accounts/999/domains/pbx/insights"], FULL_USER.jwt, 400, "SUB-508", None),
        ([PBX_FILTER], NO_RECORDINGS.jwt, 403, "CMN-408", "ReadCompanyCallRecording"),
    ],
    ids=["not-an-insights-filter", "unknown-domain", "other-account", "missing-ReadCompanyCallRecording"],
)
async def test_a_refused_subscription_says_why(
    clock: FakeClock, filters: list[str], jwt: str, status: int, code: str, permission: str | None
) -> None:
    async with gateway(make_platform(clock)) as http:
        async with await open_ws(http, await login(http, jwt)) as ws:
            await receive(ws)
            meta, body = await subscribe(ws, filters)
    assert meta["type"] == "ClientRequest" and meta["messageId"] == "m-1" and meta["status"] == status
    assert body["errorCode"] == code and body["errors"][0]["errorCode"] == code
    assert body.get("permissionName") == permission


async def test_an_app_without_the_ringsense_scope_cannot_subscribe_to_insights(clock: FakeClock) -> None:
    async with gateway(make_platform(clock, app_scopes=frozenset({"WebSocketsSubscription"}))) as http:
        async with await open_ws(http, await login(http)) as ws:
            await receive(ws)
            meta, body = await subscribe(ws)
    assert meta["status"] == 403 and body["errorCode"] == "CMN-401" and body["permissionName"] == "RingSense"


async def test_a_second_subscription_replaces_the_first_and_update_and_delete_work(clock: FakeClock) -> None:
    async with gateway(make_platform(clock)) as http:
        async with await open_ws(http, await login(http)) as ws:
            await receive(ws)
            _, first = await subscribe(ws)
            _, second = await subscribe(ws, [PBX_FILTER.replace("pbx", "rcx")])
            stale, _ = await request(ws, "PUT", f"/restapi/v1.0/subscription/{first['id']}", {})
            body = {"eventFilters": [PBX_FILTER], "deliveryMode": {"transportType": "WebSocket"}}
            updated_meta, updated = await request(ws, "PUT", f"/restapi/v1.0/subscription/{second['id']}", body)
            deleted = await request(ws, "DELETE", f"/restapi/v1.0/subscription/{second['id']}")
    assert first["id"] != second["id"]
    assert stale["status"] == 404
    assert updated_meta["status"] == 200 and updated["id"] == second["id"]
    assert updated["eventFilters"][0].endswith("/domains/pbx/insights")
    assert deleted[0]["status"] == 204 and len(deleted) == 1


async def test_a_heartbeat_is_echoed_with_its_message_id(clock: FakeClock) -> None:
    async with gateway(make_platform(clock)) as http:
        async with await open_ws(http, await login(http)) as ws:
            await receive(ws)
            await ws.send(json.dumps([{"type": "Heartbeat", "messageId": "hb-7"}]))
            (meta,) = await receive(ws)
    assert meta["type"] == "Heartbeat" and meta["messageId"] == "hb-7"


async def test_a_malformed_frame_gets_an_error_and_the_connection_stays_usable(clock: FakeClock) -> None:
    async with gateway(make_platform(clock)) as http:
        async with await open_ws(http, await login(http)) as ws:
            await receive(ws)
            await ws.send("{not json")
            error_meta, error = await receive(ws)
            meta, _ = await subscribe(ws)
    assert error_meta["type"] == "Error" and error["errorCode"]
    assert meta["status"] == 200


async def test_analysis_complete_pushes_ai_notes_then_ringsense_for_one_pbx_recording(clock: FakeClock) -> None:
    async with gateway(make_platform(clock)) as http:
        token = await login(http)
        async with await open_ws(http, token) as ws:
            await receive(ws)
            _, info = await subscribe(ws)
            answer = (await http.post("/sandbox/v1/analysis-complete", json={"domain": "pbx"})).json()
            notes, full = await receive(ws), await receive(ws)
        rest = await http.get(
            f"/ai/ringsense/v1/public/accounts/~/domains/pbx/records/{answer['sourceRecordId']}/insights",
            headers=bearer(token),
        )
    assert answer == {"sourceRecordId": "2002", "sourceSessionId": "s-transfer", "domain": "pbx"}  # the pending leg
    for meta, envelope in (notes, full):
        assert meta["type"] == "ServerNotification"
        assert envelope["event"] == "/ai/ringsense/v1/public/accounts/809646001/domains/pbx/insights"
        assert envelope["subscriptionId"] == info["id"] and envelope["ownerId"] == FULL_USER.extension_id
        assert envelope["body"]["sourceRecordId"] == "2002"
    assert notes[1]["body"]["lastModifiedTime"] < full[1]["body"]["lastModifiedTime"]
    assert set(notes[1]["body"]["insights"]) < set(full[1]["body"]["insights"])
    assert full[0]["wsc"]["sequence"] > notes[0]["wsc"]["sequence"]
    assert rest.status_code == 200 and rest.json() == full[1]["body"]


async def test_a_new_call_reaches_the_call_log_and_only_subscribers_of_its_domain(clock: FakeClock) -> None:
    platform = make_platform(clock)
    async with gateway(platform) as http:
        token = await login(http)
        async with await open_ws(http, token) as rcx_ws:
            await receive(rcx_ws)
            await subscribe(rcx_ws, [PBX_FILTER.replace("pbx", "rcx")])
            await http.post("/sandbox/v1/analysis-complete", json={})  # the pending pbx leg
            answer = (await http.post("/sandbox/v1/analysis-complete", json={})).json()  # none pending: a new call
            rcx = (await http.post("/sandbox/v1/analysis-complete", json={"domain": "rcx"})).json()
            _, event = await receive(rcx_ws)
        log = await http.get(
            "/restapi/v1.0/account/~/call-log",
            params={"view": "Detailed", "dateFrom": "2000-01-01"},
            headers=bearer(token),
        )
    assert event["body"]["sourceRecordId"] == rcx["sourceRecordId"] and rcx["domain"] == "rcx"
    assert event["body"]["eventType"] == "Create" and event["body"]["rsRecordUri"]
    sessions = {record["telephonySessionId"] for record in log.json()["records"]}
    assert answer["sourceSessionId"] in sessions and rcx["sourceSessionId"] not in sessions
    # Speakers are named by the session's party ids (`p-<session id without s->-<n>`), as RingSense names them.
    party = rcx["sourceSessionId"].removeprefix("s-")
    assert {s["speakerId"] for s in event["body"]["speakerInfo"]} == {f"p-{party}-1", f"p-{party}-2"}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"domain": "zoom"}, 400, "CMN-101"),
        ({"sourceRecordId": "no-such-recording"}, 404, "CMN-102"),
        ({"sourceRecordId": "1001"}, 409, "CMN-409"),
        ([1, 2], 400, "CMN-101"),
    ],
    ids=["unknown-domain", "unknown-recording", "already-analysed", "not-an-object"],
)
async def test_analysis_complete_refuses_bad_requests_clearly(
    platform: SandboxPlatform, client: httpx.AsyncClient, body: object, status: int, code: str
) -> None:
    response = await client.post("/sandbox/v1/analysis-complete", json=body)
    assert response.status_code == status
    assert response.json()["errorCode"] == code


async def test_analysis_complete_answers_loopback_callers_only(platform: SandboxPlatform) -> None:
    transport = httpx.ASGITransport(app=create_sandbox_app(platform), client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as outsider:
        response = await outsider.post("/sandbox/v1/analysis-complete", json={})
    assert response.status_code == 403


async def test_recovery_within_the_window_replays_what_was_missed(clock: FakeClock) -> None:
    platform = make_platform(clock)
    async with gateway(platform) as http:
        token = await login(http)
        ws = await open_ws(http, token)
        meta, _ = await receive(ws)
        await subscribe(ws)
        await ws.close()
        with anyio.fail_after(WAIT):
            await platform.push.wait_until(lambda hub: hub.active_subscriptions() == 0)
        await http.post("/sandbox/v1/analysis-complete", json={})
        clock.advance(179)
        async with await open_ws(http, token, wsc=meta["wsc"]["token"]) as again:
            details, body = await receive(again)
            replayed = [await receive(again), await receive(again)]
    assert body["recoveryState"] == "Successful"
    assert details["wsc"]["token"] == meta["wsc"]["token"]
    assert [m[0]["type"] for m in replayed] == ["ServerNotification", "ServerNotification"]


@pytest.mark.parametrize(
    ("case", "code"),
    [("window-lapsed", "WSG-1001"), ("other-oauth-session", "WSG-1003"), ("never-subscribed", "WSG-1005")],
)
async def test_recovery_fails_with_a_reason_and_a_fresh_session(clock: FakeClock, case: str, code: str) -> None:
    platform = make_platform(clock)
    async with gateway(platform) as http:
        token = await login(http)
        ws = await open_ws(http, token)
        meta, _ = await receive(ws)
        if case != "never-subscribed":
            await subscribe(ws)
        await ws.close()
        with anyio.fail_after(WAIT):
            await platform.push.wait_until(lambda hub: all(s.connection is None for s in hub._sessions.values()))
        if case == "window-lapsed":
            clock.advance(181)
        if case == "other-oauth-session":
            token = await login(http)
        async with await open_ws(http, token, wsc=meta["wsc"]["token"]) as again:
            details, body = await receive(again)
    assert body["recoveryState"] == "Failed" and body["recoveryErrorCode"] == code
    assert details["wsc"]["token"] != meta["wsc"]["token"]


@pytest.mark.parametrize(
    ("settings", "code"),
    [(PushSettings(idle_timeout=0.05), "WSG-902"), (PushSettings(absolute_timeout=0.05), "WSG-903")],
    ids=["idle", "absolute"],
)
async def test_timeouts_send_the_documented_error_then_close(
    clock: FakeClock, settings: PushSettings, code: str
) -> None:
    async with gateway(make_platform(clock, push=settings)) as http:
        async with await open_ws(http, await login(http)) as ws:
            await receive(ws)
            meta, body = await receive(ws)
            with pytest.raises(ConnectionClosed), anyio.fail_after(WAIT):
                await ws.recv()
    assert meta["type"] == "Error" and body["errorCode"] == code


async def test_the_request_log_never_holds_a_ws_token(clock: FakeClock) -> None:
    platform = make_platform(clock)
    async with gateway(platform) as http:
        async with await open_ws(http, await login(http)) as ws:
            await receive(ws)
    logged = " ".join(f"{r.path}?{r.query}" for r in platform.requests)
    assert "/ws?access_token=REDACTED" in logged
    assert not any(token in logged for token in platform.push.issued_tokens())
