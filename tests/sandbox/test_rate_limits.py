"""Rate limits: headers, 429 with Retry-After, the penalty window, per-user and per-group counting."""

from __future__ import annotations

import httpx
import pytest

from server.sandbox import SandboxPlatform, create_sandbox_app

from .helpers import BASE_URL, FULL_USER, JWT_GRANT, LIMITED_USER, FakeClock, basic_auth, bearer, login, tiny_dataset

pytestmark = pytest.mark.anyio

INSIGHTS = "/ai/ringsense/v1/public/accounts/~/domains/pbx/records/1001/insights"
CALL_LOG = "/restapi/v1.0/account/~/extension/~/call-log"


def scaled_platform(clock: FakeClock, **kwargs: object) -> SandboxPlatform:
    """A platform whose one-minute window is scaled down to two seconds of fake time."""
    options: dict[str, object] = {"rate_limit_window": 2.0, "rate_limits": {"Light": 3, "Heavy": 2, "Auth": 2}}
    return SandboxPlatform(tiny_dataset(), clock=clock, **{**options, **kwargs})  # type: ignore[arg-type]


def client_for(platform: SandboxPlatform) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_sandbox_app(platform)), base_url=BASE_URL)


async def test_api_responses_carry_rate_limit_headers_of_their_group(client: httpx.AsyncClient) -> None:
    headers = bearer(await login(client))

    first = await client.get(INSIGHTS, headers=headers)
    second = await client.get(INSIGHTS, headers=headers)

    assert first.headers["x-rate-limit-group"] == "light"
    assert first.headers["x-rate-limit-limit"] == "50"
    assert first.headers["x-rate-limit-window"] == "60"
    assert first.headers["x-rate-limit-remaining"] == "49"
    assert second.headers["x-rate-limit-remaining"] == "48"


async def test_token_endpoint_is_in_the_auth_group(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/restapi/oauth/token", data={"grant_type": JWT_GRANT, "assertion": FULL_USER.jwt}, headers=basic_auth()
    )

    assert response.headers["x-rate-limit-group"] == "auth"
    assert response.headers["x-rate-limit-limit"] == "5"


async def test_error_answers_also_count_and_carry_headers(client: httpx.AsyncClient) -> None:
    headers = bearer(await login(client))

    response = await client.get(INSIGHTS.replace("1001", "nope"), headers=headers)

    assert response.status_code == 404
    assert response.headers["x-rate-limit-remaining"] == "49"


async def test_over_the_limit_is_429_with_retry_after_and_the_legacy_body(clock: FakeClock) -> None:
    platform = scaled_platform(clock)
    async with client_for(platform) as client:
        headers = bearer(await login(client))
        statuses = [(await client.get(INSIGHTS, headers=headers)).status_code for _ in range(3)]

        refused = await client.get(INSIGHTS, headers=headers)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "2"
    assert refused.headers["x-rate-limit-remaining"] == "0"
    assert refused.headers["x-rate-limit-window"] == "2"
    assert refused.json() == {
        "errorCode": "CMN-301",
        "message": "Request rate exceeded",
        "errors": [{"errorCode": "CMN-301", "message": "Request rate exceeded"}],
    }


async def test_requests_during_the_penalty_push_it_out(clock: FakeClock) -> None:
    platform = scaled_platform(clock)
    async with client_for(platform) as client:
        headers = bearer(await login(client))
        for _ in range(4):
            await client.get(INSIGHTS, headers=headers)  # the fourth starts the penalty
        clock.advance(1.5)
        assert (await client.get(INSIGHTS, headers=headers)).status_code == 429  # resets the penalty
        clock.advance(1.5)
        still = await client.get(INSIGHTS, headers=headers)  # 3 s after the start, but only 1.5 s since the reset
        clock.advance(2)
        after = await client.get(INSIGHTS, headers=headers)

    assert still.status_code == 429
    assert after.status_code == 200


async def test_waiting_out_the_penalty_frees_the_window(clock: FakeClock) -> None:
    platform = scaled_platform(clock)
    async with client_for(platform) as client:
        headers = bearer(await login(client))
        for _ in range(4):
            await client.get(INSIGHTS, headers=headers)
        clock.advance(2)

        response = await client.get(INSIGHTS, headers=headers)

    assert response.status_code == 200
    assert response.headers["x-rate-limit-remaining"] == "2"


async def test_retry_after_is_at_least_one_second(clock: FakeClock) -> None:
    platform = scaled_platform(clock, rate_limit_window=0.25)
    async with client_for(platform) as client:
        headers = bearer(await login(client))
        for _ in range(3):
            await client.get(INSIGHTS, headers=headers)

        refused = await client.get(INSIGHTS, headers=headers)

    assert refused.headers["retry-after"] == "1"
    assert refused.headers["x-rate-limit-window"] == "0.25"


async def test_custom_penalty_sets_retry_after(clock: FakeClock) -> None:
    platform = scaled_platform(clock, penalty_seconds=7)
    async with client_for(platform) as client:
        headers = bearer(await login(client))
        for _ in range(3):
            await client.get(INSIGHTS, headers=headers)

        refused = await client.get(INSIGHTS, headers=headers)

    assert refused.headers["retry-after"] == "7"


async def test_groups_are_counted_separately(clock: FakeClock) -> None:
    platform = scaled_platform(clock)
    async with client_for(platform) as client:
        headers = bearer(await login(client))
        for _ in range(4):
            await client.get(INSIGHTS, headers=headers)

        heavy = await client.get(CALL_LOG, headers=headers)

    assert heavy.status_code == 200
    assert heavy.headers["x-rate-limit-group"] == "heavy"


async def test_users_are_counted_separately(clock: FakeClock) -> None:
    platform = scaled_platform(clock)
    async with client_for(platform) as client:
        full = bearer(await login(client, FULL_USER.jwt))
        limited = bearer(await login(client, LIMITED_USER.jwt))
        for _ in range(4):
            await client.get(CALL_LOG, headers=full)

        other = await client.get(CALL_LOG, headers=limited)

    assert other.status_code == 200


async def test_token_endpoint_is_limited_per_user_of_the_app(clock: FakeClock) -> None:
    platform = scaled_platform(clock)
    async with client_for(platform) as client:

        async def log_in(jwt: str) -> int:
            form = {"grant_type": JWT_GRANT, "assertion": jwt}
            return (await client.post("/restapi/oauth/token", data=form, headers=basic_auth())).status_code

        statuses = [await log_in(FULL_USER.jwt) for _ in range(3)]
        other_user = await log_in(LIMITED_USER.jwt)

    assert statuses == [200, 200, 429]
    assert other_user == 200  # same app, another user: a window of its own


async def test_limits_can_be_switched_off_but_headers_remain(clock: FakeClock) -> None:
    platform = scaled_platform(clock, enforce_rate_limits=False)
    async with client_for(platform) as client:
        headers = bearer(await login(client))
        responses = [await client.get(INSIGHTS, headers=headers) for _ in range(6)]

    assert [r.status_code for r in responses] == [200] * 6
    assert responses[-1].headers["x-rate-limit-remaining"] == "0"
