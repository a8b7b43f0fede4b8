"""Redis down: replicas keep answering alone, say so once, and share again when Redis is back."""

from __future__ import annotations

import logging

import anyio
import pytest

from server.ringsense.shared import describe_url
from server.sandbox import SANDBOX_CLIENT_SECRET, SandboxPlatform
from tests.redis_server import RedisServer

from ..conftest import FULL_JWT, RECORD_ID, SECOND_RECORD_ID, roomy_sandbox

pytestmark = pytest.mark.anyio

QUICK_RETRY = {"retry_interval": 0.05}


@roomy_sandbox
async def test_replicas_keep_serving_while_redis_is_down_and_share_again_when_it_returns(
    platform: SandboxPlatform, make_replica, private_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    options = {"url": private_redis.url, **QUICK_RETRY}
    first, second = make_replica(redis=options), make_replica(redis=options)
    await first.check_permission()
    await second.check_permission()

    private_redis.stop()
    with anyio.fail_after(30):
        for client in (first, second):
            await client.check_permission()
            await client.get_record_insights(RECORD_ID)
    warnings = [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "unreachable" in r.getMessage()
    ]
    assert warnings and all("works alone" in w and "127.0.0.1" in w for w in warnings)
    assert len(warnings) <= 2  # once per replica per outage, not once per call

    private_redis.start()  # empty: the shared token and responses went with Redis's data
    with anyio.fail_after(30):
        while caplog.text.count("reachable again") < 2:  # each replica tries Redis again after its interval
            await anyio.sleep(QUICK_RETRY["retry_interval"])
            await first.check_permission()
            await second.check_permission()
    platform.clear_requests()
    await first.get_record_insights(SECOND_RECORD_ID)
    await second.get_record_insights(SECOND_RECORD_ID)
    assert len(platform.requests_to("/insights")) == 1  # the second was served from Redis: sharing resumed

    logged = caplog.text
    secrets = [*platform.issued_tokens(), FULL_JWT, SANDBOX_CLIENT_SECRET]
    assert [secret for secret in secrets if secret in logged] == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:canary-password@redis.internal:6380/2", "redis://redis.internal:6380/2"),
        ("rediss://user:canary-password@cache.example.com/0", "rediss://cache.example.com/0"),
        ("unix:///run/redis/redis.sock", "unix:///run/redis/redis.sock"),
    ],
)
def test_messages_name_the_redis_server_without_its_password(url: str, shown: str) -> None:
    assert describe_url(url) == shown
