"""One push subscription for several replicas: the events lease, the shared stream, and handover.

Replicas here are clients in one process, each with its own Redis connection pool and shared token, talking to
the sandbox whose WebSocket gateway is served by uvicorn on loopback; Redis is a real redis-server. A replica
"dies" by having its lease work cancelled, which leaves its gateway session detached but recoverable, as a
killed process does (the process-level kill -9 test is `tests/server/test_event_replicas.py`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
import pytest
from anyio.abc import TaskGroup

from server.ringsense import Backoff, Gap, InsightsEvent
from server.ringsense.shared import EventRelay, Lease, SharedRedis, SharedSubscription, Term
from server.ringsense.shared.feed import HANDOVER_MARGIN
from server.sandbox import SandboxPlatform, serve_sandbox
from server.sandbox.push import PushSettings

from ..conftest import credentials, roomy_sandbox
from .conftest import ReplicaFactory

pytestmark = pytest.mark.anyio

TTL = 0.6  # the events lease: a replica takes over within 0.8 s
WAIT = 10.0


@dataclass
class Node:
    """One replica: its share in the subscription and what its follower has read from the stream."""

    relay: EventRelay
    holder: SharedSubscription
    redis: SharedRedis
    seen: list[InsightsEvent | Gap] = field(default_factory=list)
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    changed: anyio.Event = field(default_factory=anyio.Event)

    def records(self) -> list[str]:
        return [item.insights.source_record_id for item in self.seen if isinstance(item, InsightsEvent)]

    def gaps(self) -> list[Gap]:
        return [item for item in self.seen if isinstance(item, Gap)]

    async def until(self, condition: Callable[[Node], bool]) -> None:
        with anyio.fail_after(WAIT):
            while not condition(self):
                event = self.changed
                await event.wait()


@dataclass
class Cluster:
    platform: SandboxPlatform
    control: httpx.AsyncClient
    tasks: TaskGroup
    make_replica: ReplicaFactory
    connect: Callable[..., SharedRedis]

    async def start(self, **replica: Any) -> Node:
        redis = self.connect()
        client = self.make_replica(**replica)
        relay = EventRelay(redis, credentials(), block=0.2)
        holder = SharedSubscription(client, relay, Lease(redis, "events", ttl=TTL), domains=("pbx",), backoff=FAST)
        node = Node(relay, holder, redis)

        async def run() -> None:
            with node.scope:
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(holder.run)
                    async for item in relay.follow():
                        node.seen.append(item)
                        node.changed.set()
                        node.changed = anyio.Event()

        self.tasks.start_soon(run)
        return node

    async def complete(self) -> str:
        response = await self.control.post("/sandbox/v1/analysis-complete", json={"domain": "pbx"})
        assert response.status_code == 200, response.text
        record_id: str = response.json()["sourceRecordId"]
        return record_id

    async def subscribed_holder(self, *nodes: Node) -> Node:
        """Wait until exactly one of `nodes` holds a subscription the gateway counts as active."""
        with anyio.fail_after(WAIT):
            await self.platform.push.wait_until(lambda hub: hub.active_subscriptions() == 1)
            while True:
                holders = [n for n in nodes if n.holder.subscriber is not None]
                if len(holders) == 1 and holders[0].holder.subscriber.status.state == "subscribed":  # type: ignore[union-attr]
                    return holders[0]
                await anyio.sleep(0.02)  # polling lease state across replicas, bounded above


FAST = Backoff(base=0.05, cap=0.2)


@asynccontextmanager
async def cluster(
    platform: SandboxPlatform, make_replica: ReplicaFactory, connect: Callable[..., SharedRedis]
) -> AsyncIterator[Cluster]:
    async with AsyncExitStack() as stack:
        base = await stack.enter_async_context(serve_sandbox(platform))
        control = await stack.enter_async_context(httpx.AsyncClient(base_url=base))
        tasks = await stack.enter_async_context(anyio.create_task_group())
        try:
            yield Cluster(platform, control, tasks, make_replica, connect)
        finally:
            tasks.cancel_scope.cancel()


def received(*records: str) -> Callable[[Node], bool]:
    """Both events (AI Notes, then RingSense) of each of `records` have arrived."""
    return lambda node: all(node.records().count(record) >= 2 for record in records)


@roomy_sandbox
async def test_only_the_lease_holder_subscribes_and_every_replica_reads_each_event(
    platform: SandboxPlatform, make_replica: ReplicaFactory, connect: Callable[..., SharedRedis]
) -> None:
    async with cluster(platform, make_replica, connect) as nodes:
        replicas = [await nodes.start() for _ in range(3)]
        await nodes.subscribed_holder(*replicas)
        records = [await nodes.complete(), await nodes.complete()]
        for replica in replicas:
            await replica.until(received(*records))
        assert platform.push.active_subscriptions() == 1

    for replica in replicas:
        # pbx sends two events per call (AI Notes, then RingSense): each arrives once, in order, everywhere.
        assert replica.records() == [records[0], records[0], records[1], records[1]]
        assert replica.gaps() == []


@roomy_sandbox
async def test_a_new_holder_recovers_the_dead_holders_session_and_reports_the_handover_window(
    platform: SandboxPlatform, make_replica: ReplicaFactory, connect: Callable[..., SharedRedis]
) -> None:
    async with cluster(platform, make_replica, connect) as nodes:
        first = await nodes.start()
        await nodes.subscribed_holder(first)
        before = await nodes.complete()
        await first.until(received(before))
        died_at = datetime.now(UTC)
        first.scope.cancel()  # the holder is gone; the gateway keeps its session for recovery
        await platform.push.wait_until(lambda hub: hub.active_subscriptions() == 0)
        missed = [await nodes.complete(), await nodes.complete()]  # nobody holds the subscription

        second = await nodes.start()
        await second.until(received(before, *missed))
        await second.until(lambda node: bool(node.gaps()))
        status = second.holder.subscriber.status if second.holder.subscriber else None

    assert status is not None and status.recoveries == 1
    assert second.records().count(missed[0]) == 2  # both events of each missed call, replayed by the gateway
    [gap] = second.gaps()
    # The gateway counts an event delivered once written to the dead holder's socket: the window is reported too.
    assert gap.since <= died_at - HANDOVER_MARGIN / 2 and gap.until >= died_at
    assert "its session was recovered" in gap.reason


@pytest.mark.sandbox(push=PushSettings(recovery_timeout=0.0), rate_limits={"Light": 1000, "Auth": 1000})
async def test_when_the_session_cannot_be_recovered_the_events_missed_lie_inside_a_reported_gap(
    platform: SandboxPlatform, make_replica: ReplicaFactory, connect: Callable[..., SharedRedis]
) -> None:
    async with cluster(platform, make_replica, connect) as nodes:
        first = await nodes.start()
        await nodes.subscribed_holder(first)
        first.scope.cancel()
        await platform.push.wait_until(lambda hub: hub.active_subscriptions() == 0)
        emitted_from = datetime.now(UTC)
        missed = await nodes.complete()
        emitted_until = datetime.now(UTC)

        second = await nodes.start()
        await second.until(lambda node: bool(node.gaps()))
        after = await nodes.complete()
        await second.until(received(after))

    assert missed not in second.records()  # the gateway dropped the session: only the call log has it now
    [gap] = second.gaps()
    assert gap.since <= emitted_from and gap.until >= emitted_until
    assert "session recovery failed" in gap.reason


@roomy_sandbox
async def test_a_holder_in_another_oauth_session_cannot_recover_and_reports_the_gap_instead(
    platform: SandboxPlatform, make_replica: ReplicaFactory, connect: Callable[..., SharedRedis]
) -> None:
    """The gateway lets only the same OAuth session recover a session (WSG-1003): replicas that do not share
    the token fall back to the call log for the window."""
    async with cluster(platform, make_replica, connect) as nodes:
        first = await nodes.start(shared=("pacer", "responses"))
        await nodes.subscribed_holder(first)
        first.scope.cancel()
        await platform.push.wait_until(lambda hub: hub.active_subscriptions() == 0)
        emitted_from = datetime.now(UTC)
        missed = await nodes.complete()

        second = await nodes.start(shared=("pacer", "responses"))  # logs in on its own: a new OAuth session
        await second.until(lambda node: bool(node.gaps()))

    assert missed not in second.records()
    [gap] = second.gaps()
    assert gap.since <= emitted_from and "WSG-1003" in gap.reason


async def test_an_older_term_cannot_publish_over_a_newer_one(connect: Callable[..., SharedRedis]) -> None:
    """A holder that lost its lease while paused must not move the checkpoint back or add to the stream."""
    relay = EventRelay(connect(), credentials())
    now = datetime.now(UTC)
    gap = Gap(since=now, until=now, reason="test")
    assert await relay.publish(gap, term=Term(2, "new", None), wsc=None, good_at=now)
    assert not await relay.publish(gap, term=Term(1, "old", "new"), wsc=None, good_at=now)
    checkpoint = await relay.checkpoint()
    assert checkpoint is not None and checkpoint.term == 2


@roomy_sandbox
async def test_redis_holds_the_session_token_only_encrypted(
    platform: SandboxPlatform, make_replica: ReplicaFactory, connect: Callable[..., SharedRedis]
) -> None:
    async with cluster(platform, make_replica, connect) as nodes:
        replica = await nodes.start()
        await nodes.subscribed_holder(replica)
        record = await nodes.complete()
        await replica.until(received(record))
        subscriber = replica.holder.subscriber
        assert subscriber is not None and subscriber.wsc is not None
        token = subscriber.wsc.token.encode()
        client = replica.redis.client
        stored = [key async for key in client.scan_iter(match=replica.redis.key("*"))]
        values = b""
        for key in stored:
            kind = await client.type(key)
            if kind == b"hash":
                values += b"".join((await client.hgetall(key)).values())
            elif kind == b"string":
                values += await client.get(key) or b""
            elif kind == b"stream":
                values += b"".join(b"".join(fields.values()) for _, fields in await client.xrange(key))
    assert replica.redis.key("events", "checkpoint").encode() in stored
    assert token not in values


async def test_a_checkpoint_written_with_other_credentials_is_ignored_with_a_warning(
    connect: Callable[..., SharedRedis], caplog: pytest.LogCaptureFixture
) -> None:
    redis = connect()
    now = datetime.now(UTC)
    gap = Gap(since=now, until=now, reason="test")
    assert await EventRelay(redis, credentials()).publish(gap, term=Term(1, "a", None), wsc=None, good_at=now)
    other = EventRelay(redis, credentials(secret="another-client-secret"))
    assert await other.read_checkpoint() == (True, None)
    assert "not written with this server's credentials" in caplog.text


async def test_a_replica_that_starts_late_reads_the_newest_entries_then_everything_after(
    connect: Callable[..., SharedRedis],
) -> None:
    relay = EventRelay(connect(), credentials(), block=0.1)
    now = datetime.now(UTC)
    term = Term(1, "holder", None)
    for n in range(3):
        assert await relay.publish(Gap(now, now, f"before {n}"), term=term, wsc=None, good_at=now)
    follower = relay.follow(replay=2)
    with anyio.fail_after(WAIT):
        first = [await anext(follower), await anext(follower)]
        assert await relay.publish(Gap(now, now, "after"), term=term, wsc=None, good_at=now)
        later = await anext(follower)
    assert [item.reason for item in (*first, later) if isinstance(item, Gap)] == ["before 1", "before 2", "after"]
