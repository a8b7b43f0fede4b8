"""Fixtures: a sandbox platform with a small dataset of our own, and clients wired to it in-process or
over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from server.ringsense import JWTCredentials, Pacer, RetryPolicy, RingSenseClient
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, create_sandbox_app, serve_sandbox
from server.sandbox.samples import Dataset, SampleCall, SampleRecording, SandboxUser

from .fakes import FakeTime

ACCOUNT_ID = "100200300"
# The JWTs double as canaries: no message, repr or log line may ever contain them.
FULL_JWT = "canary-jwt-full-access-5d0c9e7b1f"
NO_INSIGHTS_JWT = "canary-jwt-no-insights-8a41c2"
OWN_LOG_JWT = "canary-jwt-own-log-only-73be10"

FULL = SandboxUser("1001", "Avery Admin", "101", FULL_JWT)
NO_INSIGHTS = SandboxUser("1002", "Blake Basic", "102", NO_INSIGHTS_JWT, can_read_insights=False)
OWN_LOG = SandboxUser("1003", "Casey Caller", "103", OWN_LOG_JWT, can_read_company_call_log=False)

RECORD_ID = "2728084995017"
SESSION_ID = "s-a0e7b361acc0az191bec7e275z7cae070000"
SECOND_RECORD_ID = "2728084995018"  # the transferred leg of the same session
PENDING_RECORD_ID = "2728084995099"  # recorded, but insights are not ready (404 RAH-3001)
PENDING_SESSION_ID = "s-pending0000000000000000000000000000"
OTHER_SESSION_ID = "s-bbbb0000000000000000000000000000000"

SERVER_URL = "https://platform.sandbox.test"


def insights_body(record_id: str, session_id: str, owner: str) -> dict[str, Any]:
    return {
        "title": "Call from Avery Admin to +16505550100",
        "domain": "pbx",
        "sourceRecordId": record_id,
        "sourceSessionId": session_id,
        "callDirection": "Outbound",
        "ownerExtensionId": owner,
        "recordingDurationMs": 61000,
        "recordingStartTime": "2026-01-10T15:00:00.000Z",
        "creationTime": "2026-01-10T15:20:00.000Z",
        "lastModifiedTime": "2026-01-10T15:20:00.000Z",
        "speakerInfo": [
            {"speakerId": "p-1", "name": "Avery Admin", "accountId": ACCOUNT_ID, "extensionId": owner},
            {"speakerId": "p-2", "name": None, "accountId": None, "extensionId": None},
        ],
        "insights": {
            "Transcript": [
                {"speakerId": "p-1", "text": "Hello, thanks for calling.", "start": 0.5, "end": 2.0},
                {"speakerId": "p-2", "text": "Hi, I have a question.", "start": 2.2, "end": 4.0},
            ],
            "Summary": [{"value": "A customer asked a question.", "start": 0, "end": 1}],
            "NextSteps": [{"speakerId": "p-1", "value": "Send the quote.", "start": 30.0, "end": 33.0}],
            "AIScore": [{"value": "8"}],
            "Sentiment": [{"value": "Positive"}],
        },
    }


def call_log_record(call_id: str, session_id: str, owner: str, start: str, recordings: list[str]) -> dict[str, Any]:
    def recording(record_id: str) -> dict[str, Any]:
        uri = f"https://platform.sandbox.test/restapi/v1.0/account/{ACCOUNT_ID}/recording/{record_id}"
        return {"id": record_id, "uri": uri, "type": "Automatic", "contentUri": uri + "/content"}

    record: dict[str, Any] = {
        "id": call_id,
        "uri": f"https://platform.sandbox.test/restapi/v1.0/account/{ACCOUNT_ID}/call-log/{call_id}",
        "sessionId": "1391641" + call_id[-4:],
        "telephonySessionId": session_id,
        "startTime": start,
        "duration": 61,
        "durationMs": 61000,
        "type": "Voice",
        "direction": "Outbound",
        "action": "VoIP Call",
        "result": "Call connected",
        "from": {"phoneNumber": "+16505550199", "name": "Someone", "extensionId": owner},
        "to": {"phoneNumber": "+16505550100"},
        "extension": {"id": int(owner), "uri": "x"},
        "lastModifiedTime": start,
        "legs": [],
    }
    if recordings:
        record["recording"] = recording(recordings[0])
        record["legs"] = [
            {
                "startTime": start,
                "type": "Voice",
                "direction": "Outbound",
                "legType": "Transfer",
                "telephonySessionId": session_id,
                "recording": recording(record_id),
            }
            for record_id in recordings
        ]
    return record


def make_dataset() -> Dataset:
    calls = [
        SampleCall(
            key="sales-call",
            session_id=SESSION_ID,
            domain="pbx",
            owner_extension_id=OWN_LOG.extension_id,
            call_log=call_log_record(
                "CallAAAA0001",
                SESSION_ID,
                OWN_LOG.extension_id,
                "2026-01-10T15:00:00.000Z",
                [RECORD_ID, SECOND_RECORD_ID],
            ),
            recordings=[
                SampleRecording(RECORD_ID, insights_body(RECORD_ID, SESSION_ID, OWN_LOG.extension_id)),
                SampleRecording(SECOND_RECORD_ID, insights_body(SECOND_RECORD_ID, SESSION_ID, OWN_LOG.extension_id)),
            ],
        ),
        SampleCall(
            key="pending",
            session_id=PENDING_SESSION_ID,
            domain="pbx",
            owner_extension_id=FULL.extension_id,
            call_log=call_log_record(
                "CallAAAA0002", PENDING_SESSION_ID, FULL.extension_id, "2026-01-11T09:00:00.000Z", [PENDING_RECORD_ID]
            ),
            recordings=[SampleRecording(PENDING_RECORD_ID, None)],
        ),
        SampleCall(
            key="unrecorded",
            session_id=OTHER_SESSION_ID,
            domain="pbx",
            owner_extension_id=FULL.extension_id,
            call_log=call_log_record(
                "CallAAAA0003", OTHER_SESSION_ID, FULL.extension_id, "2026-01-12T09:00:00.000Z", []
            ),
        ),
    ]
    return Dataset(account_id=ACCOUNT_ID, users=[FULL, NO_INSIGHTS, OWN_LOG], calls=calls)


def credentials(jwt: str = FULL_JWT, *, secret: str = SANDBOX_CLIENT_SECRET) -> JWTCredentials:
    return JWTCredentials(SANDBOX_CLIENT_ID, secret, jwt)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sandbox(**kwargs): keyword arguments for the test's SandboxPlatform")


@pytest.fixture
def platform(request: pytest.FixtureRequest) -> SandboxPlatform:
    marker = request.node.get_closest_marker("sandbox")
    return SandboxPlatform(make_dataset(), **(marker.kwargs if marker else {}))


def roomy_sandbox(test: Callable[..., Any]) -> Callable[..., Any]:
    """For tests about something else than rate limits: generous platform limits."""
    # A function, not a module-level mark, so the mark is made after pytest_configure registered it.
    return pytest.mark.sandbox(rate_limits={"Light": 1000, "Heavy": 1000, "Auth": 1000})(test)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


ClientFactory = Callable[..., RingSenseClient]


@pytest.fixture
async def make_client(platform: SandboxPlatform, fake_time: FakeTime) -> AsyncIterator[ClientFactory]:
    """Build in-process clients (httpx.ASGITransport) against `platform`; fake time unless told otherwise.

    Keyword arguments go to RingSenseClient; `jwt=` picks the user, `event_hooks=` goes to httpx.
    """
    async with AsyncExitStack() as stack:

        def factory(
            *, jwt: str = FULL_JWT, event_hooks: dict[str, list[Any]] | None = None, **kwargs: Any
        ) -> RingSenseClient:
            http = httpx.AsyncClient(
                transport=httpx.ASGITransport(create_sandbox_app(platform)), event_hooks=event_hooks or {}
            )
            stack.push_async_callback(http.aclose)
            kwargs.setdefault("credentials", credentials(jwt))
            kwargs.setdefault("clock", fake_time)
            kwargs.setdefault("sleep", fake_time.sleep)
            kwargs.setdefault("retry", RetryPolicy(random=lambda: 0.0))
            client = RingSenseClient(server_url=SERVER_URL, http_client=http, **kwargs)
            stack.push_async_callback(client.aclose)
            return client

        yield factory


@pytest.fixture
async def served_url(platform: SandboxPlatform) -> AsyncIterator[str]:
    """`platform` served by uvicorn on 127.0.0.1; yields its base URL."""
    async with serve_sandbox(platform) as base_url:
        yield base_url


def fast_pacer(fake_time: FakeTime | None = None, **limits: int) -> Pacer:
    """A pacer whose limits do not get in the way of a test (for tests about something else)."""
    kwargs: dict[str, Any] = {"limits": {"Light": 1000, "Heavy": 1000, "Auth": 1000, **limits}}
    if fake_time is not None:
        kwargs.update(clock=fake_time, sleep=fake_time.sleep)
    return Pacer(**kwargs)
