"""Exactly one holder: the lease passes on within the bound when its holder dies, and the new one catches up."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import anyio
import pytest

from server.ringsense.shared import LEASE_TTL, Lease, SharedRedis, Term
from tests.redis_server import RedisServer

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[3]
SHORT_TTL = 0.6  # seconds: the lease's behaviour does not depend on the scale, only the test's length does
TAKEOVER_BOUND = 10.0  # seconds the deployment promises (LEASE_TTL * 4 / 3 is 8)


class Recorder:
    """Work and catch-up hooks that note what happened, and let a test wait for it."""

    def __init__(self) -> None:
        self.active = 0
        self.most_active = 0
        self.terms: list[Term] = []
        self.caught_up: list[Term] = []
        self.stopped = 0
        self.changed = anyio.Event()

    def _changed(self) -> None:
        self.changed.set()
        self.changed = anyio.Event()

    async def work(self, term: Term) -> None:
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        self.terms.append(term)
        self._changed()
        try:
            await anyio.sleep_forever()
        finally:
            self.active -= 1
            self.stopped += 1
            self._changed()

    async def catch_up(self, term: Term) -> None:
        self.caught_up.append(term)
        self._changed()

    async def until(self, condition) -> None:
        while not condition():
            await self.changed.wait()


async def test_one_of_several_contenders_holds_the_lease_at_a_time(connect) -> None:
    recorder = Recorder()
    leases = [Lease(connect(), "events", ttl=SHORT_TTL) for _ in range(3)]
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            for lease in leases:
                tasks.start_soon(lease.run, recorder.work)
            await recorder.until(lambda: recorder.terms)
            # Observe several renewal rounds: the others keep trying and must keep failing.
            await anyio.sleep(SHORT_TTL * 3)
            tasks.cancel_scope.cancel()
    assert recorder.most_active == 1
    assert len(recorder.terms) == 1
    assert sum(lease.term is not None for lease in leases) == 0  # all let go on the way out


async def test_a_holder_stopping_cleanly_lets_go_at_once(connect) -> None:
    redis: SharedRedis = connect()
    recorder = Recorder()
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(Lease(redis, "events", ttl=30).run, recorder.work)
            await recorder.until(lambda: recorder.terms)
            tasks.cancel_scope.cancel()
    assert await redis.client.exists(redis.key("lease", "events")) == 0


async def test_when_the_holder_process_is_killed_another_holds_within_ten_seconds_and_catches_up(
    redis_server: RedisServer, namespace: str, connect
) -> None:
    holder = await anyio.open_process(
        [sys.executable, "-m", "tests.ringsense.shared.holder", redis_server.url, namespace, "events"], cwd=ROOT
    )
    try:
        with anyio.fail_after(10):
            assert holder.stdout is not None
            line = (await holder.stdout.receive()).decode()
        assert line.startswith("holding ")
        dead_holder, first_term = line.split()[1], int(line.split()[2])

        recorder = Recorder()
        lease = Lease(connect(), "events")  # the production lease length
        assert lease.ttl == LEASE_TTL
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(lambda: lease.run(recorder.work, catch_up=recorder.catch_up))
            holder.send_signal(signal.SIGKILL)  # no clean exit: the lease is left to expire
            with anyio.fail_after(TAKEOVER_BOUND):
                await recorder.until(lambda: recorder.terms and recorder.caught_up)
            tasks.cancel_scope.cancel()
    finally:
        if holder.returncode is None:
            holder.kill()
        await holder.wait()

    assert recorder.terms == recorder.caught_up
    (term,) = recorder.terms
    assert term.number == first_term + 1
    assert term.previous_holder == dead_holder


async def test_a_holder_that_loses_redis_stops_working_and_resumes_with_a_catch_up_when_it_returns(
    private_redis: RedisServer, namespace: str
) -> None:
    redis = SharedRedis.from_url(private_redis.url, namespace=namespace, retry_interval=0.05)
    recorder = Recorder()
    try:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(
                    lambda: Lease(redis, "events", ttl=SHORT_TTL).run(recorder.work, catch_up=recorder.catch_up)
                )
                await recorder.until(lambda: recorder.active == 1)

                private_redis.stop()
                await recorder.until(lambda: recorder.active == 0)  # stopped before it could lose the lease unseen

                private_redis.start()
                await recorder.until(lambda: recorder.active == 1 and len(recorder.caught_up) == 2)
                tasks.cancel_scope.cancel()
    finally:
        await redis.aclose()
    assert recorder.most_active == 1
    assert len(recorder.terms) == 2
