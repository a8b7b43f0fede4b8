"""Exactly one replica holds the push-event subscription; kill it and another takes over, missing no event.

The replicas run with events on and Redis (the lease and the shared event stream); their call library (which the
events feed) is one SQLite file they share through their common data directory. The
sandbox's push gateway counts active subscriptions; the replicas' logs say which one holds the lease. Events are
emitted with the sandbox's `POST /sandbox/v1/analysis-complete` while nobody holds it; the new holder must catch
up (WebSocket recovery or a call-log sync) so that every one of them reaches the library.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import httpx
import pytest

from server.sandbox import SandboxPlatform, serve_sandbox

from .cluster import Cluster, Replica, running_cluster
from .load import call_concurrently
from .report import REPORT
from .workload import ROOMY_LIMITS

if TYPE_CHECKING:
    from tests.redis_server import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.deploy]

TAKEOVER_LIMIT = 10.0  # seconds from the kill until another replica holds the subscription
CATCH_UP_LIMIT = 60.0  # seconds until every event emitted meanwhile is in the library
EVENTS_DURING_GAP = 3
HOLDING = re.compile(r"holding the \S*event\S* lease")  # the lease's INFO line (server/ringsense/shared/lease.py)


def holders(cluster: Cluster) -> list[Replica]:
    return [replica for replica in cluster.replicas if replica.alive and HOLDING.search(replica.stderr())]


async def wait_for_one_holder(cluster: Cluster, platform: SandboxPlatform, limit: float) -> Replica:
    """The one live replica that holds the lease once the platform sees exactly one subscription."""
    with anyio.fail_after(limit):
        while not (len(holders(cluster)) == 1 and platform.push.active_subscriptions() == 1):  # noqa: ASYNC110 - log files and a counter, no event to wait on
            await anyio.sleep(0.1)  # bounded by fail_after: the lease is being taken
    return holders(cluster)[0]


async def test_killing_the_subscription_holder_hands_it_to_another_replica_within_10_s_and_loses_no_event(
    tmp_path: Path, private_redis: RedisServer
):
    platform = SandboxPlatform(rate_limits=ROOMY_LIMITS)
    env = {
        "RINGSENSE_REDIS_URL": private_redis.url,
        "RINGSENSE_EVENTS": "1",
    }
    async with (
        serve_sandbox(platform) as upstream,
        running_cluster(tmp_path, upstream=upstream, user=platform.dataset.users[0], environment=env) as cluster,
        httpx.AsyncClient(base_url=upstream, timeout=10) as sandbox,
    ):
        first = await wait_for_one_holder(cluster, platform, limit=30)
        await first.kill()
        killed_at = time.monotonic()
        emitted = []
        for _ in range(EVENTS_DURING_GAP):
            answer = await sandbox.post("/sandbox/v1/analysis-complete", json={"domain": "pbx"})
            assert answer.status_code == 200, answer.text
            emitted.append(answer.json()["sourceRecordId"])
        second = await wait_for_one_holder(cluster, platform, limit=TAKEOVER_LIMIT + 5)
        took_over = time.monotonic() - killed_at

        missing = set(emitted)
        with anyio.move_on_after(CATCH_UP_LIMIT):
            while missing:
                fetches = [("get_insights_by_record", {"record_id": record}) for record in sorted(missing)]
                outcome = await call_concurrently(cluster, fetches, clients=1)
                missing -= {
                    result.structured_content["call"]["record_id"]
                    for result in outcome.results
                    if result.structured_content and result.structured_content.get("data_source") == "call library"
                }
                await anyio.sleep(1)  # bounded by move_on_after: the new holder is catching up
        log = cluster.logs()
    REPORT.add(
        "Event subscription takeover",
        f"- kill -9 of the holder → another replica held the subscription after {took_over:.1f} s; "
        f"{EVENTS_DURING_GAP} events emitted meanwhile, {EVENTS_DURING_GAP - len(missing)} reached the library",
    )
    assert second is not first
    assert took_over <= TAKEOVER_LIMIT, f"another replica held the subscription after {took_over:.1f} s\n{log}"
    assert not missing, f"events emitted while nobody held the subscription never reached the library: {missing}"
