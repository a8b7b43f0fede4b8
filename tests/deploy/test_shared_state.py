"""One RingCentral identity shared by three replicas through Redis: one token for all, one rate budget for all.

Each scenario sends its calls through nginx, so they land on all three replicas; the sandbox's request log
(what RingCentral would see) is the judge.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from server.sandbox import serve_sandbox

from .cluster import Cluster, running_cluster
from .load import call_concurrently
from .workload import ROOMY_LIMITS, cloned_platform, insight_fetches

if TYPE_CHECKING:
    from tests.redis_server import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.deploy]

CONCURRENT_CALLS = 300
BURST = 200
LIGHT_BUDGET = 50  # RingSense insights are in RingCentral's Light group: 50 requests per window per user and app
WINDOW = 6.0  # seconds; the real window is 60 s, scaled down so the burst takes seconds (the budget is real)


def shared_by(redis: RedisServer) -> dict[str, str]:
    return {"RINGSENSE_REDIS_URL": redis.url}


def assert_every_replica_served(cluster: Cluster, at_least: int) -> None:
    served = cluster.proxy.served()
    assert sorted(served) == sorted(r.address for r in cluster.replicas), served
    assert min(served.values()) >= at_least, served


async def test_300_concurrent_calls_across_three_replicas_at_a_forced_token_expiry_make_exactly_one_token_request(
    tmp_path: Path, private_redis: RedisServer
):
    platform, ids = cloned_platform(CONCURRENT_CALLS + 6, rate_limits=ROOMY_LIMITS)
    async with (
        serve_sandbox(platform) as upstream,
        running_cluster(
            tmp_path, upstream=upstream, user=platform.dataset.users[0], environment=shared_by(private_redis)
        ) as cluster,
    ):
        warm = await call_concurrently(cluster, insight_fetches(ids[:6]), clients=3)  # every replica has a token
        assert not warm.failures, warm.failures
        platform.clear_requests()
        platform.expire_access_tokens()
        # Distinct recordings: every call misses the insights cache, reaches the platform and meets the expiry.
        outcome = await call_concurrently(cluster, insight_fetches(ids[6:]), clients=30)
        assert_every_replica_served(cluster, at_least=CONCURRENT_CALLS // 6)
        log = cluster.logs()
    token_requests = [(r.grant_type, r.status) for r in platform.token_requests()]
    rejected = [r for r in platform.requests if r.status == 401]
    assert not outcome.failures, (outcome.failures[:5], log)
    assert len(outcome.results) == CONCURRENT_CALLS
    assert rejected, "no call met the expired token: the scenario did not happen"
    assert len(token_requests) == 1, (token_requests, log)


async def test_a_burst_of_200_insight_fetches_across_three_replicas_stays_within_one_light_budget(
    tmp_path: Path, private_redis: RedisServer
):
    """The platform refuses (429) any request over the budget in its sliding window, so zero 429s means the three
    replicas together never sent more than one user-and-app budget per window."""
    platform, ids = cloned_platform(BURST, rate_limit_window=WINDOW)
    assert platform.rate_limiter.limits["Light"] == LIGHT_BUDGET
    async with (
        serve_sandbox(platform) as upstream,
        running_cluster(
            tmp_path, upstream=upstream, user=platform.dataset.users[0], environment=shared_by(private_redis)
        ) as cluster,
    ):
        outcome = await call_concurrently(cluster, insight_fetches(ids), clients=20)
        assert_every_replica_served(cluster, at_least=BURST // 6)
        log = cluster.logs()
    insights = [r for r in platform.requests if r.path.endswith("/insights")]
    refused = [r for r in platform.requests if r.status == 429]
    assert not outcome.failures, (outcome.failures[:5], log)
    assert refused == [], f"{len(refused)} requests drew 429: {sorted({r.path for r in refused})[:3]}"
    # Every recording of the burst reached the platform (the replicas' background library sync fetches the sample
    # calls beside it, within the same budget).
    assert set(ids) <= {r.path.rsplit("/", 2)[-2] for r in insights if r.status == 200}
