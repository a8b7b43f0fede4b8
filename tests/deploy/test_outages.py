"""A shared dependency fails under three replicas: single calls keep working, the failure is said plainly, and
the replicas use the dependency again when it returns."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import pytest

from server.sandbox import SandboxPlatform, serve_sandbox
from tests.gauntlet.harness import leaks

from .cluster import running_cluster
from .load import call_concurrently
from .workload import ROOMY_LIMITS, cloned_platform, insight_fetches, mixed_calls

if TYPE_CHECKING:
    from tests.postgres_server import PostgresServer
    from tests.redis_server import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.deploy]

RECOVERY_TIMEOUT = 30.0  # seconds for every replica to find Redis again (each retries every second)
ROUND = 30  # calls per round after Redis returns
LIBRARY_RECOVERY = 15.0  # seconds for every replica's connection pool to reach PostgreSQL again


async def test_with_redis_down_replicas_keep_serving_single_call_tools_warn_and_share_again_when_it_returns(
    tmp_path: Path, private_redis: RedisServer
):
    platform, ids = cloned_platform(400, rate_limits=ROOMY_LIMITS)
    fresh = iter(ids)
    async with (
        serve_sandbox(platform) as upstream,
        running_cluster(
            tmp_path,
            upstream=upstream,
            user=platform.dataset.users[0],
            environment={"RINGSENSE_REDIS_URL": private_redis.url},
        ) as cluster,
    ):
        warm = await call_concurrently(cluster, insight_fetches([next(fresh) for _ in range(6)]), clients=3)
        assert not warm.failures, warm.failures

        private_redis.stop()
        calls = mixed_calls(platform, ROUND) + insight_fetches([next(fresh) for _ in range(ROUND)])
        during = await call_concurrently(cluster, calls, clients=6)
        assert not during.failures, (during.failures[:5], cluster.logs())
        silent = [r.name for r in cluster.replicas if "unreachable" not in r.stderr()]
        assert not silent, f"{silent} served calls without Redis and said nothing:\n{cluster.logs()}"

        private_redis.start()  # the same port, and empty: nothing survives a Redis restart here
        rounds: list[list[tuple[str | None, int]]] = []
        with anyio.move_on_after(RECOVERY_TIMEOUT):
            while True:
                platform.clear_requests()
                platform.expire_access_tokens()
                after = await call_concurrently(
                    cluster, insight_fetches([next(fresh) for _ in range(ROUND)]), clients=6
                )
                assert not after.failures, (after.failures[:5], cluster.logs())
                rounds.append([(r.grant_type, r.status) for r in platform.token_requests()])
                if len(rounds[-1]) == 1:
                    break
                await anyio.sleep(1)  # bounded by move_on_after: the replicas try Redis again every second
        log = cluster.logs()
    assert rounds and len(rounds[-1]) == 1, f"token requests per forced expiry after Redis returned: {rounds}\n{log}"
    assert all("reachable again" in replica.stderr() for replica in cluster.replicas), log


LIBRARY_CALLS = [
    ("search_calls", {"query": "pricing"}),
    ("list_next_steps", {}),
    ("call_stats", {}),
]


async def test_with_postgresql_down_library_tools_say_what_to_do_and_single_call_tools_keep_working(
    tmp_path: Path, private_redis: RedisServer, private_postgres: PostgresServer
):
    platform = SandboxPlatform(rate_limits=ROOMY_LIMITS)
    env = {
        "RINGSENSE_REDIS_URL": private_redis.url,
        "RINGSENSE_DATABASE_URL": private_postgres.create_database("ringsense"),
    }
    async with (
        serve_sandbox(platform) as upstream,
        running_cluster(tmp_path, upstream=upstream, user=platform.dataset.users[0], environment=env) as cluster,
    ):
        before = await call_concurrently(cluster, LIBRARY_CALLS * 2, clients=3)
        with private_postgres.stopped():
            library = await call_concurrently(cluster, LIBRARY_CALLS * 2, clients=3)
            single = await call_concurrently(cluster, mixed_calls(platform, ROUND), clients=6)
        # Back up: every replica's pool finds the server again (a connection that died with it may fail one call).
        rounds: list[list[str]] = []
        with anyio.move_on_after(LIBRARY_RECOVERY):
            while not rounds or rounds[-1]:
                rounds.append((await call_concurrently(cluster, LIBRARY_CALLS * 2, clients=3)).failures)
        log = cluster.logs()
    assert not before.failures, (before.failures[:3], log)
    assert not single.failures, (single.failures[:5], log)
    assert len(library.failures) == len(LIBRARY_CALLS) * 2, "a library tool answered without its database"
    for text in library.texts():
        assert "PostgreSQL" in text or "database" in text.lower(), text
        assert not leaks(text), text
    assert rounds[-1] == [], f"library tools failing {LIBRARY_RECOVERY:.0f} s after PostgreSQL returned: {rounds}"
