"""nginx in front of three stateless replicas: every replica serves, auth and Host checks survive the proxy, and a
dead replica costs no call."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from server.sandbox import SandboxPlatform, serve_sandbox

from .cluster import HTTP_TOKEN, running_cluster
from .load import call_concurrently
from .workload import ROOMY_LIMITS, mixed_calls

pytestmark = [pytest.mark.anyio, pytest.mark.deploy]


async def test_calls_through_the_proxy_are_spread_over_all_three_replicas_and_all_succeed(tmp_path: Path):
    platform = SandboxPlatform(rate_limits=ROOMY_LIMITS)
    async with (
        serve_sandbox(platform) as upstream,
        running_cluster(tmp_path, upstream=upstream, user=platform.dataset.users[0]) as cluster,
    ):
        outcome = await call_concurrently(cluster, mixed_calls(platform, 60), clients=6)
        served = cluster.proxy.served()
    assert not outcome.failures, outcome.failures[:5]
    assert sorted(served) == sorted(replica.address for replica in cluster.replicas), served
    assert min(served.values()) >= 10, served  # round robin: each replica takes its share


REFUSALS = {
    "no token": ({}, 401),
    "wrong token": ({"Authorization": "Bearer not-the-right-token-at-all"}, 401),
    "foreign Host": ({"Authorization": f"Bearer {HTTP_TOKEN}", "Host": "attacker.example"}, 421),
}


async def test_the_replicas_refuse_through_the_proxy_what_they_refuse_directly(tmp_path: Path):
    """The proxy passes Authorization and Host on, so the replicas' bearer gate and DNS-rebinding check still hold."""
    platform = SandboxPlatform(rate_limits=ROOMY_LIMITS)
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    statuses: dict[str, int] = {}
    async with (
        serve_sandbox(platform) as upstream,
        running_cluster(tmp_path, upstream=upstream, user=platform.dataset.users[0], replicas=1) as cluster,
        httpx.AsyncClient(timeout=10) as http,
    ):
        for case, (headers, _) in REFUSALS.items():
            answer = await http.post(cluster.url, json=body, headers={**accept, **headers})
            statuses[case] = answer.status_code
            if answer.status_code == 401:
                assert answer.headers["WWW-Authenticate"].startswith("Bearer"), case
    assert statuses == {case: status for case, (_, status) in REFUSALS.items()}


async def test_a_killed_replica_costs_no_call_the_proxy_sends_its_share_to_the_others(tmp_path: Path):
    platform = SandboxPlatform(rate_limits=ROOMY_LIMITS)
    async with (
        serve_sandbox(platform) as upstream,
        running_cluster(tmp_path, upstream=upstream, user=platform.dataset.users[0]) as cluster,
    ):
        warm = await call_concurrently(cluster, mixed_calls(platform, 6), clients=3)
        dead = cluster.replicas[0]
        await dead.kill()
        before = cluster.proxy.served()[dead.address]
        outcome = await call_concurrently(cluster, mixed_calls(platform, 60, offset=6), clients=6)
        served = cluster.proxy.served()
    assert not warm.failures and not outcome.failures, (warm.failures + outcome.failures)[:5]
    assert served[dead.address] == before, "nginx kept sending calls to the dead replica"
    assert all(served[replica.address] > 0 for replica in cluster.replicas[1:]), served
