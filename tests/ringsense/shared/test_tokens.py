"""One RingCentral session for every replica: adopted from Redis, renewed once, encrypted, never revoked by one."""

from __future__ import annotations

import anyio
import pytest

from server.ringsense import JWTCredentials
from server.ringsense.shared import RedisTokenStore, SharedRedis
from server.ringsense.tokenstore import StoredToken
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform

from ..conftest import FULL_JWT, RECORD_ID, roomy_sandbox
from .calls import call_everywhere

pytestmark = pytest.mark.anyio

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
REPLICAS = 3
CALLS_PER_REPLICA = 100


@roomy_sandbox
async def test_replicas_starting_together_log_in_once(platform: SandboxPlatform, make_replica) -> None:
    replicas = [make_replica() for _ in range(REPLICAS)]
    assert await call_everywhere(replicas, 10) == []
    assert [r.grant_type for r in platform.token_requests()] == [JWT_GRANT]


@roomy_sandbox
async def test_a_forced_expiry_under_hundreds_of_calls_is_renewed_once_for_every_replica(
    platform: SandboxPlatform, make_replica
) -> None:
    replicas = [make_replica() for _ in range(REPLICAS)]
    assert await call_everywhere(replicas, 1) == []
    platform.clear_requests()
    platform.expire_access_tokens()

    assert await call_everywhere(replicas, CALLS_PER_REPLICA) == []
    assert [r.grant_type for r in platform.token_requests()] == ["refresh_token"]
    assert len(platform.requests_to("authz-profile")) >= REPLICAS * CALLS_PER_REPLICA


@roomy_sandbox
async def test_a_revoked_session_is_logged_in_again_once_for_everybody(platform: SandboxPlatform, make_replica) -> None:
    replicas = [make_replica() for _ in range(REPLICAS)]
    assert await call_everywhere(replicas, 1) == []
    for token in platform.issued_tokens():
        platform.revoke(token)  # the session ends: access and refresh tokens are dead
    platform.clear_requests()

    assert await call_everywhere(replicas, 20) == []
    # The refresh token is refused (the session is revoked), so the one renewal presents the JWT again.
    assert [r.grant_type for r in platform.token_requests()] == ["refresh_token", JWT_GRANT]


@roomy_sandbox
async def test_a_replica_shutting_down_leaves_the_shared_session_to_the_others(
    platform: SandboxPlatform, make_replica
) -> None:
    leaving, staying = make_replica(), make_replica()
    assert await call_everywhere([leaving, staying], 2) == []
    await leaving.aclose()
    platform.clear_requests()

    await staying.get_record_insights(RECORD_ID)
    assert platform.requests_to("/oauth/revoke") == []
    assert platform.token_requests() == []


@roomy_sandbox
async def test_redis_holds_no_usable_token_and_no_credential(platform: SandboxPlatform, make_replica, connect) -> None:
    assert await call_everywhere([make_replica(), make_replica()], 2) == []
    redis = connect()
    keys = [key async for key in redis.client.scan_iter(match=redis.key("*"))]
    assert keys  # the token is there …
    stored = b"".join([*keys, *[await redis.client.get(key) or b"" for key in keys if b":token:" in key]])
    secrets = [*platform.issued_tokens(), FULL_JWT, SANDBOX_CLIENT_SECRET]
    assert [secret for secret in secrets if secret.encode() in stored] == []  # … but not readable


async def test_a_token_stored_with_other_credentials_is_treated_as_absent(connect) -> None:
    redis: SharedRedis = connect()
    mine = RedisTokenStore(redis, JWTCredentials(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, FULL_JWT))
    theirs = RedisTokenStore(redis, JWTCredentials(SANDBOX_CLIENT_ID, "another-secret", FULL_JWT))
    await mine.save(StoredToken(access_token="canary-access-1", expires_in=60, lifetime=3600))

    assert await theirs.load() is None
    loaded = await mine.load()
    assert loaded is not None and loaded.access_token == "canary-access-1"
    assert 0 < loaded.expires_in <= 60


async def test_the_renewal_lock_makes_a_second_process_wait_for_the_first(connect) -> None:
    credentials = JWTCredentials(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, FULL_JWT)
    first, second = RedisTokenStore(connect(), credentials), RedisTokenStore(connect(), credentials)
    order: list[str] = []
    inside = anyio.Event()

    async def renew_first() -> None:
        async with first.renewing():
            inside.set()
            order.append("first in")
            await anyio.sleep(0.2)  # holds the lock while the second asks for it
            order.append("first out")

    async def renew_second() -> None:
        await inside.wait()
        async with second.renewing():
            order.append("second in")

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(renew_first)
            tasks.start_soon(renew_second)
    assert order == ["first in", "first out", "second in"]


async def test_a_lock_left_by_a_dead_process_expires(connect) -> None:
    credentials = JWTCredentials(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, FULL_JWT)
    dead = RedisTokenStore(connect(), credentials, lock_ttl=0.3)
    alive = RedisTokenStore(connect(), credentials, lock_ttl=0.3)
    holder = dead.renewing()
    await holder.__aenter__()  # and never leaves: the process died holding the lock

    with anyio.fail_after(5):
        async with alive.renewing():
            pass
