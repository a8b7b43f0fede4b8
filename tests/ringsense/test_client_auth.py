"""Authentication against the sandbox: JWT login, refresh before expiry, single-flight, 401 replay,
JWT re-login, pre-issued tokens, revoke on close."""

from __future__ import annotations

import anyio
import pytest

from server.ringsense import (
    AccessTokenCredentials,
    AuthenticationError,
    RateLimitedError,
    RingSenseClient,
    TokenExpiredError,
)
from server.ringsense.auth import JWT_BEARER_GRANT
from server.sandbox import SANDBOX_CLIENT_ID, Fault, SandboxPlatform

from .conftest import (
    FULL_JWT,
    RECORD_ID,
    ClientFactory,
    credentials,
    fast_pacer,
    roomy_sandbox,
)
from .fakes import FakeTime

pytestmark = pytest.mark.anyio

REFRESH = "refresh_token"


async def test_first_call_logs_in_with_the_jwt_bearer_grant(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    client = make_client()
    check = await client.check_permission()
    assert check.successful
    assert [r.grant_type for r in platform.token_requests()] == [JWT_BEARER_GRANT]
    assert platform.token_requests()[0].user == "1001"


async def test_the_token_is_reused_while_fresh(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    client = make_client()
    for _ in range(3):
        await client.check_permission()
    assert len(platform.token_requests()) == 1


async def test_the_token_is_refreshed_before_it_expires(
    platform: SandboxPlatform, make_client: ClientFactory, fake_time: FakeTime
) -> None:
    client = make_client()
    await client.check_permission()
    fake_time.advance(3600 - 59)  # inside the 60 s margin, before expiry
    await client.check_permission()
    assert [r.grant_type for r in platform.token_requests()] == [JWT_BEARER_GRANT, REFRESH]
    assert all(r.status == 200 for r in platform.requests)  # no 401 was needed


@roomy_sandbox
async def test_expired_token_is_refreshed_once_for_50_concurrent_calls(
    platform: SandboxPlatform, make_client: ClientFactory, fake_time: FakeTime
) -> None:
    client = make_client(pacer=fast_pacer(fake_time))
    await client.check_permission()
    fake_time.advance(3600)
    platform.clear_requests()
    results = []

    async def call() -> None:
        results.append(await client.check_permission())

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            for _ in range(50):
                tasks.start_soon(call)
    assert len(results) == 50 and all(r.successful for r in results)
    assert [r.grant_type for r in platform.token_requests()] == [REFRESH]
    assert len(platform.requests_to("authz-profile")) == 50


async def test_a_401_refreshes_once_and_replays_the_request(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    client = make_client()
    await client.get_record_insights(RECORD_ID, insight_types=["Summary"])
    platform.expire_access_tokens()
    platform.clear_requests()
    insights = await client.get_record_insights(RECORD_ID, insight_types=["Transcript"])
    assert insights.source_record_id == RECORD_ID
    statuses = [(r.path.rsplit("/", 1)[-1], r.status) for r in platform.requests]
    assert statuses == [("insights", 401), ("token", 200), ("insights", 200)]
    assert [r.grant_type for r in platform.token_requests()] == [REFRESH]


@roomy_sandbox
async def test_concurrent_401s_cause_one_refresh(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    client = make_client(pacer=fast_pacer())
    await client.check_permission()
    platform.expire_access_tokens()
    platform.clear_requests()
    async with anyio.create_task_group() as tasks:
        for _ in range(20):
            tasks.start_soon(client.check_permission)
    assert len(platform.token_requests()) == 1


async def test_a_refused_refresh_token_falls_back_to_the_jwt(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    client = make_client()
    await client.check_permission()
    platform.revoke_refresh_tokens()
    platform.expire_access_tokens()
    platform.clear_requests()
    assert (await client.check_permission()).successful
    assert [(r.grant_type, r.status) for r in platform.token_requests()] == [(REFRESH, 400), (JWT_BEARER_GRANT, 200)]


@pytest.mark.sandbox(refresh_token_ttl=600, access_token_ttl=300)
async def test_an_expired_refresh_token_is_not_presented(
    platform: SandboxPlatform, make_client: ClientFactory, fake_time: FakeTime
) -> None:
    client = make_client()
    await client.check_permission()
    fake_time.advance(601)
    await client.check_permission()
    assert [r.grant_type for r in platform.token_requests()] == [JWT_BEARER_GRANT, JWT_BEARER_GRANT]


async def test_a_rejected_jwt_says_to_generate_a_new_one(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    platform.reject_jwt(FULL_JWT)
    client = make_client()
    with pytest.raises(AuthenticationError) as caught:
        await client.check_permission()
    assert "Generate a new JWT credential" in caught.value.message
    assert caught.value.status == 400 and caught.value.error_code == "OAU-140"
    assert caught.value.request_id
    assert len(platform.token_requests()) == 1  # a refused login is not retried


async def test_a_wrong_client_secret_says_so(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    client = make_client(credentials=credentials(secret="canary-wrong-secret-0042"))
    with pytest.raises(AuthenticationError) as caught:
        await client.get_record_insights(RECORD_ID)
    assert "client id or client secret" in caught.value.message
    assert caught.value.status == 401 and caught.value.error_code == "OAU-153"
    assert platform.requests_to("insights") == []


async def test_token_endpoint_429_honours_retry_after(
    platform: SandboxPlatform, make_client: ClientFactory, fake_time: FakeTime
) -> None:
    platform.faults.inject("/restapi/oauth/token", Fault.status(429, headers={"Retry-After": "3"}))
    client = make_client()
    assert (await client.check_permission()).successful
    assert fake_time.sleeps == [3.0]
    assert [r.status for r in platform.token_requests()] == [429, 200]


async def test_token_endpoint_500_is_not_retried(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    platform.faults.inject("/restapi/oauth/token", Fault.status(500))
    client = make_client()
    with pytest.raises(Exception) as caught:
        await client.check_permission()
    assert type(caught.value).__name__ == "UpstreamError"
    assert len(platform.token_requests()) == 1
    assert platform.requests_to("authz-profile") == []


async def test_token_endpoint_long_retry_after_fails_fast(
    platform: SandboxPlatform, make_client: ClientFactory, fake_time: FakeTime
) -> None:
    platform.faults.inject("/restapi/oauth/token", Fault.status(429, headers={"Retry-After": "60"}))
    client = make_client()
    with pytest.raises(RateLimitedError) as caught:
        await client.check_permission()
    assert caught.value.retry_after == 60
    assert fake_time.sleeps == []


async def test_a_pre_issued_token_is_used_as_is(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    token = platform.login_with_jwt(FULL_JWT, SANDBOX_CLIENT_ID, 3600, 604800)["access_token"]
    client = make_client(credentials=AccessTokenCredentials(token))
    assert (await client.check_permission()).successful
    assert platform.token_requests() == []


async def test_an_expired_pre_issued_token_says_how_to_fix_it(
    platform: SandboxPlatform, make_client: ClientFactory
) -> None:
    token = platform.login_with_jwt(FULL_JWT, SANDBOX_CLIENT_ID, 3600, 604800)["access_token"]
    client = make_client(credentials=AccessTokenCredentials(token))
    platform.expire_access_tokens()
    with pytest.raises(TokenExpiredError) as caught:
        await client.get_record_insights(RECORD_ID)
    assert "RC_ACCESS_TOKEN" in caught.value.message and "RC_USER_JWT" in caught.value.message
    assert caught.value.status == 401 and caught.value.error_code == "OAU-128" and caught.value.request_id
    assert platform.token_requests() == []
    assert len(platform.requests_to("insights")) == 1
    await client.aclose()
    assert platform.requests_to("revoke") == []  # not this process's token to end


async def test_close_revokes_the_session(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    client = make_client()
    await client.check_permission()
    await client.aclose()
    await client.aclose()  # idempotent
    revokes = platform.requests_to("/restapi/oauth/revoke")
    assert [(r.method, r.status) for r in revokes] == [("POST", 200)]


async def test_close_without_a_session_revokes_nothing(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    await make_client().aclose()
    assert platform.requests == []


async def test_revoke_errors_are_ignored(platform: SandboxPlatform, make_client: ClientFactory) -> None:
    platform.faults.inject("/restapi/oauth/revoke", Fault.status(500), times=None)
    client = make_client()
    await client.check_permission()
    await client.aclose()
    assert [r.status for r in platform.requests_to("revoke")] == [500]  # tried once, not retried


async def test_a_closed_client_refuses_calls(make_client: ClientFactory) -> None:
    client = make_client()
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await client.check_permission()


async def test_the_client_works_over_real_http(platform: SandboxPlatform, served_url: str) -> None:
    async with RingSenseClient(server_url=served_url, credentials=credentials()) as client:
        assert (await client.check_permission()).successful
        platform.expire_access_tokens()
        insights = await client.get_record_insights(RECORD_ID)
        assert insights.insights.transcript
    assert [r.grant_type for r in platform.token_requests()] == [JWT_BEARER_GRANT, REFRESH]
    assert [r.status for r in platform.requests_to("revoke")] == [200]
