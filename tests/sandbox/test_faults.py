"""Fault injection, in-process and over real HTTP (uvicorn on loopback)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

from server.sandbox import Fault, SandboxPlatform, serve_sandbox

from .helpers import FULL_USER, JWT_GRANT, basic_auth, bearer, login

pytestmark = pytest.mark.anyio

INSIGHTS = "/ai/ringsense/v1/public/accounts/~/domains/pbx/records/1001/insights"
ANY_INSIGHTS = "/ai/ringsense/*/insights"


@pytest.fixture
async def token(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await login(client))


@pytest.fixture
async def served(platform: SandboxPlatform) -> AsyncIterator[httpx.AsyncClient]:
    """A client talking to the platform over real HTTP."""
    with anyio.fail_after(15):
        async with serve_sandbox(platform) as base_url, httpx.AsyncClient(base_url=base_url, timeout=5) as http:
            yield http


async def test_status_fault_answers_the_real_error_body_for_that_status(
    client: httpx.AsyncClient, platform: SandboxPlatform, token: dict[str, str]
) -> None:
    platform.faults.inject(ANY_INSIGHTS, Fault.status(503))

    faulted = await client.get(INSIGHTS, headers=token)
    normal = await client.get(INSIGHTS, headers=token)

    assert faulted.status_code == 503
    assert faulted.json()["errorCode"] == "CMN-201"
    assert faulted.json()["errors"][0]["errorCode"] == "CMN-201"
    assert faulted.headers["rcrequestid"]
    assert normal.status_code == 200


@pytest.mark.parametrize(
    ("status", "path", "field", "code"),
    [
        (404, INSIGHTS, "errorCode", "RAH-3001"),
        (403, INSIGHTS, "errorCode", "RAH-3005"),
        (404, "/restapi/v1.0/account/~/call-log", "errorCode", "AGW-404"),
        (429, INSIGHTS, "errorCode", "CMN-301"),
        (500, "/restapi/v1.0/account/~/call-log", "errorCode", "CMN-203"),  # CMN-202 is 501 "not supported"
        (401, "/restapi/oauth/token", "error", "invalid_client"),
        (400, "/restapi/oauth/token", "error", "invalid_grant"),
    ],
)
async def test_status_fault_default_body_depends_on_the_path(
    client: httpx.AsyncClient, platform: SandboxPlatform, status: int, path: str, field: str, code: str
) -> None:
    platform.faults.inject(path, Fault.status(status))

    response = await client.request("POST" if "oauth" in path else "GET", path)

    assert response.status_code == status
    assert response.json()[field] == code


async def test_status_fault_takes_a_body_and_headers(
    client: httpx.AsyncClient, platform: SandboxPlatform, token: dict[str, str]
) -> None:
    platform.faults.inject(INSIGHTS, Fault.status(429, body={"errorCode": "CMN-310"}, headers={"Retry-After": "3"}))

    response = await client.get(INSIGHTS, headers=token)

    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json() == {"errorCode": "CMN-310"}
    assert "x-rate-limit-group" not in response.headers


async def test_faults_on_one_path_fire_in_order_then_normal_service_resumes(
    client: httpx.AsyncClient, platform: SandboxPlatform, token: dict[str, str]
) -> None:
    platform.faults.inject(INSIGHTS, Fault.status(503))
    platform.faults.inject(INSIGHTS, Fault.status(502), times=2)

    statuses = [(await client.get(INSIGHTS, headers=token)).status_code for _ in range(4)]

    assert statuses == [503, 502, 502, 200]


async def test_fault_without_a_count_lasts_until_cleared(
    client: httpx.AsyncClient, platform: SandboxPlatform, token: dict[str, str]
) -> None:
    platform.faults.inject(INSIGHTS, Fault.status(500), times=None)

    statuses = [(await client.get(INSIGHTS, headers=token)).status_code for _ in range(3)]
    platform.faults.clear()

    assert statuses == [500, 500, 500]
    assert (await client.get(INSIGHTS, headers=token)).status_code == 200


async def test_fault_can_be_narrowed_to_a_method(client: httpx.AsyncClient, platform: SandboxPlatform) -> None:
    platform.faults.inject("/restapi/oauth/*", Fault.status(503), method="GET")

    response = await client.post(
        "/restapi/oauth/token", data={"grant_type": JWT_GRANT, "assertion": FULL_USER.jwt}, headers=basic_auth()
    )

    assert response.status_code == 200


async def test_faulted_request_consumes_nothing(client: httpx.AsyncClient, platform: SandboxPlatform) -> None:
    first = await login(client)
    platform.faults.inject("/restapi/oauth/token", Fault.status(503))

    faulted = await client.post(
        "/restapi/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=basic_auth(),
    )
    retried = await client.post(
        "/restapi/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers=basic_auth(),
    )

    assert faulted.status_code == 503
    assert retried.status_code == 200
    assert [r.status for r in platform.token_requests("refresh_token")] == [503, 200]


def test_times_must_be_positive(platform: SandboxPlatform) -> None:
    with pytest.raises(ValueError, match="times"):
        platform.faults.inject(INSIGHTS, Fault.status(500), times=0)


async def test_malformed_json_is_served_as_json_but_does_not_parse(
    client: httpx.AsyncClient, platform: SandboxPlatform, token: dict[str, str]
) -> None:
    platform.faults.inject(INSIGHTS, Fault.malformed_json())

    response = await client.get(INSIGHTS, headers=token)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_truncated_json_is_a_complete_response_with_half_a_document(
    client: httpx.AsyncClient, platform: SandboxPlatform, token: dict[str, str]
) -> None:
    platform.faults.inject(INSIGHTS, Fault.truncated_json())

    response = await client.get(INSIGHTS, headers=token)

    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.text.startswith("{")
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_html_error_is_a_gateway_page(
    client: httpx.AsyncClient, platform: SandboxPlatform, token: dict[str, str]
) -> None:
    platform.faults.inject(INSIGHTS, Fault.html_error())
    platform.faults.inject(INSIGHTS, Fault.html_error(504))

    bad_gateway = await client.get(INSIGHTS, headers=token)
    timeout = await client.get(INSIGHTS, headers=token)

    assert bad_gateway.status_code == 502
    assert bad_gateway.headers["content-type"] == "text/html"
    assert "502 Bad Gateway" in bad_gateway.text
    assert timeout.status_code == 504
    assert "504 Gateway Timeout" in timeout.text


async def test_empty_body_is_json_with_no_content(
    client: httpx.AsyncClient, platform: SandboxPlatform, token: dict[str, str]
) -> None:
    platform.faults.inject(INSIGHTS, Fault.empty_body())

    response = await client.get(INSIGHTS, headers=token)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b""


async def test_json_fault_sends_any_body(
    client: httpx.AsyncClient, platform: SandboxPlatform, token: dict[str, str]
) -> None:
    platform.faults.inject(INSIGHTS, Fault.json(200, {"records": "not a list"}))

    response = await client.get(INSIGHTS, headers=token)

    assert response.status_code == 200
    assert response.json() == {"records": "not a list"}


async def test_delay_waits_then_answers_normally(
    client: httpx.AsyncClient, platform: SandboxPlatform, token: dict[str, str]
) -> None:
    platform.faults.inject(INSIGHTS, Fault.delay(0.05))

    started = time.monotonic()
    with anyio.fail_after(5):
        response = await client.get(INSIGHTS, headers=token)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.05


async def test_dropped_connection_in_process_raises_a_transport_error(
    client: httpx.AsyncClient, platform: SandboxPlatform, token: dict[str, str]
) -> None:
    platform.faults.inject(INSIGHTS, Fault.drop_connection())

    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(INSIGHTS, headers=token)

    assert platform.requests_to("/records/1001/")[-1].status == 0
    assert (await client.get(INSIGHTS, headers=token)).status_code == 200


async def test_reset_mid_body_in_process_raises_a_transport_error(
    client: httpx.AsyncClient, platform: SandboxPlatform, token: dict[str, str]
) -> None:
    platform.faults.inject(INSIGHTS, Fault.reset_mid_body())

    with pytest.raises(httpx.ReadError):
        await client.get(INSIGHTS, headers=token)


# -- over real HTTP ----------------------------------------------------------------------------------------


async def test_dropped_connection_over_http_is_a_transport_error(
    served: httpx.AsyncClient, platform: SandboxPlatform
) -> None:
    headers = bearer(await login(served))
    platform.faults.inject(INSIGHTS, Fault.drop_connection())

    with anyio.fail_after(5), pytest.raises(httpx.TransportError):
        await served.get(INSIGHTS, headers=headers)

    with anyio.fail_after(5):
        assert (await served.get(INSIGHTS, headers=headers)).status_code == 200
    assert [r.status for r in platform.requests_to("/records/1001/")] == [0, 200]


async def test_reset_mid_body_over_http_is_a_transport_error_after_the_headers(
    served: httpx.AsyncClient, platform: SandboxPlatform
) -> None:
    headers = bearer(await login(served))
    platform.faults.inject(INSIGHTS, Fault.reset_mid_body())

    with anyio.fail_after(5):
        async with served.stream("GET", INSIGHTS, headers=headers) as response:
            assert response.status_code == 200
            with pytest.raises(httpx.TransportError):
                await response.aread()

    with anyio.fail_after(5):
        assert (await served.get(INSIGHTS, headers=headers)).status_code == 200


async def test_delay_over_http_trips_the_client_read_timeout(
    served: httpx.AsyncClient, platform: SandboxPlatform
) -> None:
    headers = bearer(await login(served))
    platform.faults.inject(INSIGHTS, Fault.delay(0.5))

    with anyio.fail_after(5), pytest.raises(httpx.ReadTimeout):
        await served.get(INSIGHTS, headers=headers, timeout=0.05)


async def test_status_and_html_faults_over_http(served: httpx.AsyncClient, platform: SandboxPlatform) -> None:
    headers = bearer(await login(served))
    platform.faults.inject(INSIGHTS, Fault.status(503, headers={"Retry-After": "1"}))
    platform.faults.inject(INSIGHTS, Fault.html_error())

    with anyio.fail_after(5):
        unavailable = await served.get(INSIGHTS, headers=headers)
        gateway = await served.get(INSIGHTS, headers=headers)

    assert unavailable.status_code == 503
    assert unavailable.headers["retry-after"] == "1"
    assert gateway.status_code == 502
    assert "Bad Gateway" in gateway.text


@pytest.mark.parametrize("declare_length", [False, True], ids=["chunked", "content-length"])
async def test_oversized_body_sends_exactly_the_size_asked_for(
    client: httpx.AsyncClient, platform: SandboxPlatform, token: dict[str, str], declare_length: bool
) -> None:
    platform.faults.inject(ANY_INSIGHTS, Fault.oversized_body(200_000, declare_length=declare_length))
    response = await client.get(INSIGHTS, headers=token)
    assert response.status_code == 200 and len(response.content) == 200_000
    assert response.content.startswith(b'{"title": ')
    assert ("content-length" in response.headers) is declare_length


async def test_oversized_body_over_http_stops_when_the_client_hangs_up(
    served: httpx.AsyncClient, platform: SandboxPlatform
) -> None:
    """A 1 GiB body: the client reads 1 MiB and closes; the sandbox then stops sending and serves the next one."""
    platform.faults.inject(ANY_INSIGHTS, Fault.oversized_body(1024**3))
    token = bearer(await login(served))
    with anyio.fail_after(15):
        async with served.stream("GET", INSIGHTS, headers=token) as response:
            received = 0
            async for chunk in response.aiter_raw():
                received += len(chunk)
                if received > 1024 * 1024:
                    break
        assert (await served.get(INSIGHTS, headers=token)).status_code == 200


def test_oversized_body_needs_a_size() -> None:
    with pytest.raises(ValueError, match="size"):
        Fault.oversized_body(0)
