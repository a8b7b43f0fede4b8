"""Retries, Retry-After, pacing, broken responses and every error shape, against the sandbox."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
import pytest
import uvicorn

from server.ringsense import (
    MAX_ATTEMPTS,
    ApiNotEnabledError,
    AuthenticationError,
    BadRequestError,
    InsightsNotFoundError,
    NetworkError,
    NotFoundError,
    Pacer,
    PermissionDeniedError,
    RateLimitedError,
    ResponseFormatError,
    RetryPolicy,
    RingSenseClient,
    RingSenseError,
    UpstreamError,
)
from server.ringsense.pipeline import KEEPALIVE_EXPIRY
from server.sandbox import Fault, SandboxPlatform, create_sandbox_app

from .conftest import (
    NO_INSIGHTS_JWT,
    PENDING_RECORD_ID,
    RECORD_ID,
    SESSION_ID,
    ClientFactory,
    credentials,
    roomy_sandbox,
)
from .fakes import FakeTime

pytestmark = pytest.mark.anyio

INSIGHTS = "/ai/*insights"
JANUARY = datetime(2026, 1, 1, tzinfo=UTC)
FEBRUARY = datetime(2026, 2, 1, tzinfo=UTC)


def legacy(code: str, message: str) -> dict[str, Any]:
    return {"errorCode": code, "message": message, "errors": [{"errorCode": code, "message": message}]}


async def test_retry_after_on_503_is_honoured(
    platform: SandboxPlatform, make_client: ClientFactory, fake_time: FakeTime
) -> None:
    platform.faults.inject(INSIGHTS, Fault.status(503, headers={"Retry-After": "2"}), times=2)
    client = make_client()
    insights = await client.get_record_insights(RECORD_ID)
    assert insights.source_record_id == RECORD_ID
    assert fake_time.sleeps == [2.0, 2.0]
    assert [r.status for r in platform.requests_to("insights")] == [503, 503, 200]


async def test_retry_after_on_429_is_honoured_and_pauses_the_group(
    platform: SandboxPlatform, make_client: ClientFactory, fake_time: FakeTime
) -> None:
    platform.faults.inject(INSIGHTS, Fault.status(429, headers={"Retry-After": "4"}))
    client = make_client()
    await client.get_record_insights(RECORD_ID)
    assert fake_time.sleeps == [4.0]
    assert [r.status for r in platform.requests_to("insights")] == [429, 200]


async def test_a_long_retry_after_fails_fast(
    platform: SandboxPlatform, make_client: ClientFactory, fake_time: FakeTime
) -> None:
    platform.faults.inject(INSIGHTS, Fault.status(429, headers={"Retry-After": "120"}))
    client = make_client()
    with pytest.raises(RateLimitedError) as caught:
        await client.get_record_insights(RECORD_ID)
    assert caught.value.retry_after == 120 and caught.value.status == 429
    assert fake_time.sleeps == []
    assert len(platform.requests_to("insights")) == 1
    assert client.rate_limit_status()["Light"]["blocked_for_seconds"] == 120
    with pytest.raises(RateLimitedError) as again:  # the penalty is respected without a request
        await client.check_permission()
    assert again.value.retry_after == 120
    assert len(platform.requests_to("authz-profile")) == 0


async def test_a_429_without_retry_after_advises_30_seconds_or_more(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    platform.faults.inject(INSIGHTS, Fault.status(429))
    with pytest.raises(RateLimitedError) as caught:
        await make_client().get_record_insights(RECORD_ID)
    assert caught.value.retry_after is not None and caught.value.retry_after >= 30


async def test_5xx_retries_are_exhausted_after_max_attempts(
    platform: SandboxPlatform, make_client: ClientFactory, fake_time: FakeTime
) -> None:
    platform.faults.inject(INSIGHTS, Fault.status(500), times=None)
    client = make_client()
    with pytest.raises(UpstreamError) as caught:
        await client.get_record_insights(RECORD_ID)
    assert caught.value.status == 500
    assert len(platform.requests_to("insights")) == MAX_ATTEMPTS
    assert fake_time.sleeps == [0.5, 1.0, 2.0]


async def test_an_html_502_page_is_an_upstream_error(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    platform.faults.inject(INSIGHTS, Fault.html_error(502), times=None)
    with pytest.raises(UpstreamError) as caught:
        await make_client(retry=RetryPolicy.no_retry()).get_record_insights(RECORD_ID)
    assert caught.value.status == 502 and "502 Bad Gateway" in caught.value.message


@pytest.mark.parametrize(
    "fault",
    [
        Fault.malformed_json(),
        Fault.truncated_json(),
        Fault.empty_body(),
        Fault.json(200, [1, 2, 3]),
        Fault.json(200, {"title": "no ids at all"}),
        Fault.json(200, "just a string"),
    ],
    ids=["malformed", "truncated", "empty", "array", "wrong-shape", "string"],
)
async def test_a_2xx_that_is_not_the_documented_json_is_a_format_error(
    platform: SandboxPlatform, make_client: ClientFactory, fault: Fault
) -> None:
    platform.faults.inject(INSIGHTS, fault)
    with pytest.raises(ResponseFormatError) as caught:
        await make_client().get_record_insights(RECORD_ID)
    assert caught.value.status == 200 and caught.value.request_id
    assert len(platform.requests_to("insights")) == 1  # not retried: it would be the same again


async def test_a_session_whose_records_is_not_a_list_is_a_format_error(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    platform.faults.inject(INSIGHTS, Fault.json(200, {"records": "nope", "paging": {}}))
    with pytest.raises(ResponseFormatError):
        await make_client().get_session_insights(SESSION_ID)


@pytest.mark.parametrize("fault", [Fault.drop_connection(), Fault.reset_mid_body()], ids=["drop", "reset"])
async def test_a_dropped_connection_is_retried(
    platform: SandboxPlatform, make_client: ClientFactory, fault: Fault
) -> None:
    platform.faults.inject(INSIGHTS, fault)
    insights = await make_client().get_record_insights(RECORD_ID)
    assert insights.source_record_id == RECORD_ID
    assert len(platform.requests_to("insights")) == 2


@pytest.mark.parametrize("fault", [Fault.drop_connection(), Fault.reset_mid_body()], ids=["drop", "reset"])
async def test_dropped_connections_become_a_network_error_over_real_http(
    platform: SandboxPlatform, served_url: str, fault: Fault
) -> None:
    platform.faults.inject(INSIGHTS, fault, times=None)
    fake_time = FakeTime()
    async with RingSenseClient(
        server_url=served_url, credentials=credentials(), clock=fake_time, sleep=fake_time.sleep
    ) as client:
        with pytest.raises(NetworkError) as caught:
            await client.get_record_insights(RECORD_ID)
    assert isinstance(caught.value.__cause__, httpx.TransportError)
    assert len(platform.requests_to("insights")) == MAX_ATTEMPTS


def test_idle_connections_are_dropped_before_a_server_with_the_usual_keep_alive_closes_them() -> None:
    # uvicorn (the sandbox) and Node.js close idle connections after 5 s: a request sent on one as it closes fails
    # after taking its rate-limit slot, and its retry waits for another. The client must let go first.
    server_keep_alive = uvicorn.Config(app=create_sandbox_app(SandboxPlatform())).timeout_keep_alive
    assert KEEPALIVE_EXPIRY < server_keep_alive


async def test_nothing_listening_is_a_network_error() -> None:
    with anyio.fail_after(10):
        async with RingSenseClient(
            server_url="http://127.0.0.1:9", credentials=credentials(), retry=RetryPolicy.no_retry()
        ) as client:
            with pytest.raises(NetworkError, match="Could not connect"):
                await client.check_permission()


async def test_a_slow_platform_times_out(platform: SandboxPlatform, served_url: str) -> None:
    # Five times the timeout: long enough to be one, short because the served sandbox waits it out as it stops.
    platform.faults.inject("/restapi/v1.0/*", Fault.delay(1.0))
    async with RingSenseClient(
        server_url=served_url, credentials=credentials(), timeout=0.2, retry=RetryPolicy.no_retry()
    ) as client:
        with anyio.fail_after(5), pytest.raises(NetworkError, match="Timed out"):
            await client.check_permission()


ERROR_SHAPES = [
    (Fault.json(403, legacy("CMN-408", "user needs [ReadRingSenseInsights]")), PermissionDeniedError, "CMN-408"),
    (Fault.json(403, legacy("CMN-401", "app needs [RingSense]")), PermissionDeniedError, "CMN-401"),
    (Fault.json(403, {"errors": [{"errorCode": "RAH-3005", "message": "no"}]}), PermissionDeniedError, "RAH-3005"),
    (Fault.json(404, {"errorCode": "AGW-404", "message": "Resource not found"}), ApiNotEnabledError, "AGW-404"),
    (Fault.json(404, legacy("RAH-3001", "Insights not found")), InsightsNotFoundError, "RAH-3001"),
    (Fault.json(400, legacy("CMN-101", "Parameter [insightTypes] value is invalid")), BadRequestError, "CMN-101"),
    (Fault.json(422, {"message": "odd"}), BadRequestError, None),
    (Fault.status(409), BadRequestError, "CMN-409"),
    (Fault.json(401, {"error": "invalid_token", "error_description": "x"}), AuthenticationError, "invalid_token"),
    (Fault.empty_body(404), InsightsNotFoundError, None),
    (Fault.html_error(504), UpstreamError, None),
]


@pytest.mark.parametrize(("fault", "cls", "code"), ERROR_SHAPES)
async def test_every_error_shape_maps_to_its_class(
    platform: SandboxPlatform,
    make_client: ClientFactory,
    fault: Fault,
    cls: type[RingSenseError],
    code: str | None,
) -> None:
    platform.faults.inject(INSIGHTS, fault, times=None)
    with pytest.raises(cls) as caught:
        await make_client(retry=RetryPolicy.no_retry()).get_record_insights(RECORD_ID)
    assert type(caught.value) is cls
    assert caught.value.error_code == code
    assert caught.value.request_id  # the sandbox's RCRequestId header


async def test_insights_not_ready_is_insights_not_found(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    with pytest.raises(InsightsNotFoundError) as caught:
        await make_client().get_record_insights(PENDING_RECORD_ID)
    assert caught.value.status == 404 and caught.value.error_code == "RAH-3001"
    assert "15–30 minutes" in caught.value.message


async def test_a_user_without_the_insights_permission_is_told_which(make_client: ClientFactory) -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        await make_client(jwt=NO_INSIGHTS_JWT).get_session_insights(SESSION_ID)
    assert "ReadRingSenseInsights" in caught.value.message
    assert "AI Conversation Expert – Access Insights" in caught.value.message


async def test_an_unknown_call_log_resource_is_not_found(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    platform.faults.inject("*/call-log", Fault.json(404, legacy("CMN-102", "Resource not found")))
    with pytest.raises(NotFoundError) as caught:
        await make_client().list_call_log(date_from=JANUARY, date_to=FEBRUARY)
    assert type(caught.value) is NotFoundError


# -- pacing against a sandbox that enforces the limits, over real HTTP, with a time-scaled window --------


@pytest.mark.sandbox(rate_limit_window=1.0)
async def test_a_burst_over_the_light_limit_is_paced_without_any_429(
    platform: SandboxPlatform, served_url: str
) -> None:
    started = time.monotonic()
    async with RingSenseClient(
        server_url=served_url, credentials=credentials(), pacer=Pacer(window=1.0), retry=RetryPolicy.no_retry()
    ) as client:
        with anyio.fail_after(15):
            async with anyio.create_task_group() as tasks:
                for _ in range(60):
                    tasks.start_soon(client.check_permission)
    checks = platform.requests_to("authz-profile")
    assert len(checks) == 60
    assert [r for r in platform.requests if r.status == 429] == []
    assert time.monotonic() - started >= 1.0  # the last 10 really waited for the window


@pytest.mark.sandbox(rate_limit_window=5.0, penalty_seconds=0.5)
async def test_without_pacing_the_same_burst_collects_429s(
    platform: SandboxPlatform, make_client: ClientFactory, fake_time: FakeTime
) -> None:
    """The control for the test above: the sandbox does enforce the limit (a wider window keeps it robust)."""
    unpaced = Pacer(limits={"Light": 1000}, adapt=False, clock=fake_time, sleep=fake_time.sleep)
    client = make_client(pacer=unpaced, retry=RetryPolicy.no_retry())
    failures: list[RingSenseError] = []

    async def check() -> None:
        try:
            await client.check_permission()
        except RateLimitedError as error:
            failures.append(error)

    with anyio.fail_after(15):
        async with anyio.create_task_group() as tasks:
            for _ in range(60):
                tasks.start_soon(check)
    refused = [r for r in platform.requests if r.status == 429]
    assert len(refused) >= 10 and len(failures) == len(refused)


@roomy_sandbox
async def test_rate_limit_status_reports_the_platform_s_numbers(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    client = make_client()
    await client.check_permission()
    status = client.rate_limit_status()
    assert set(status) == {"Light", "Medium", "Heavy", "Auth"}
    assert json.loads(json.dumps(status)) == status  # ready for the status resource
    assert status["Light"]["limit"] == 1000 and status["Light"]["server_remaining"] == 999
    assert status["Auth"]["server_remaining"] == 999
    assert status["Heavy"]["remaining"] == 10  # no call-log request yet: RingCentral's default
