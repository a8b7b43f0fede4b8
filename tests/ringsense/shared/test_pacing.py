"""One rate budget for every replica: a shared sliding window per group, and penalties every replica honours."""

from __future__ import annotations

import anyio
import pytest

from server.ringsense import Pacer, RateLimitedError, RateLimitGroup, RetryPolicy
from server.ringsense.shared import SharedPacer
from server.sandbox import SandboxPlatform

from .calls import call_everywhere

pytestmark = pytest.mark.anyio

LIMIT = 8
WINDOW = 1.0  # seconds: the platform's and the clients' windows, time-scaled from RingCentral's 60
REPLICAS = 3
CALLS_PER_REPLICA = 8  # three windows' worth together


def scaled(test):
    return pytest.mark.sandbox(rate_limits={"Light": LIMIT, "Auth": 1000}, rate_limit_window=WINDOW)(test)


@scaled
async def test_replicas_sharing_the_window_together_stay_within_one_budget(
    platform: SandboxPlatform, make_replica, connect
) -> None:
    replicas = [
        make_replica(pacer=SharedPacer(connect(), limits={"Light": LIMIT}, window=WINDOW)) for _ in range(REPLICAS)
    ]
    assert await call_everywhere(replicas, CALLS_PER_REPLICA, within=30) == []
    statuses = [r.status for r in platform.requests_to("authz-profile")]
    assert statuses.count(429) == 0
    assert statuses.count(200) == REPLICAS * CALLS_PER_REPLICA


@scaled
async def test_replicas_pacing_alone_overrun_the_budget(platform: SandboxPlatform, make_replica) -> None:
    """The failure the shared window prevents: each process alone believes it has the whole budget."""
    pacers = [Pacer(limits={"Light": LIMIT}, window=WINDOW) for _ in range(REPLICAS)]
    replicas = [make_replica(pacer=pacer, retry=RetryPolicy.no_retry()) for pacer in pacers]
    await call_everywhere(replicas, CALLS_PER_REPLICA, within=30)
    assert 429 in [r.status for r in platform.requests_to("authz-profile")]


async def test_a_penalty_one_replica_met_holds_every_replica(connect) -> None:
    met, other = SharedPacer(connect()), SharedPacer(connect())
    met.block(RateLimitGroup.LIGHT, 30)

    with pytest.raises(RateLimitedError) as here:  # the penalty is shared as this replica asks for its next slot
        async with met.slot(RateLimitGroup.LIGHT, max_penalty_wait=1):
            pass
    with pytest.raises(RateLimitedError) as there:
        async with other.slot(RateLimitGroup.LIGHT, max_penalty_wait=1):
            pass
    assert here.value.retry_after == there.value.retry_after
    assert there.value.retry_after is not None and 28 <= there.value.retry_after <= 30


async def test_the_shared_budget_is_reported_as_every_replica_used_it(connect) -> None:
    first, second = SharedPacer(connect(), limits={"Heavy": 10}), SharedPacer(connect(), limits={"Heavy": 10})
    for _ in range(3):
        async with first.slot(RateLimitGroup.HEAVY):
            pass
    async with second.slot(RateLimitGroup.HEAVY):
        pass
    assert second.budget()["Heavy"].remaining == 10 - 4


@pytest.mark.parametrize("adapt", [True, False], ids=["counting-the-platform's-count", "ignoring-it"])
@pytest.mark.sandbox(rate_limits={"Light": 6, "Auth": 1000}, rate_limit_window=3.0)
async def test_requests_another_client_of_the_same_user_made_are_counted_from_the_platforms_headers(
    platform: SandboxPlatform, make_replica, connect, adapt: bool
) -> None:
    """The platform's X-Rate-Limit-Remaining tells the replicas what a client outside them (a laptop) spent."""
    outsider = make_replica(shared=(), pacer=Pacer(limits={"Light": 6}, window=3.0))
    replicas = [
        make_replica(
            pacer=SharedPacer(connect(), limits={"Light": 6}, window=3.0, adapt=adapt), retry=RetryPolicy.no_retry()
        )
        for _ in range(2)
    ]
    with anyio.fail_after(30):
        for _ in range(3):
            await outsider.check_permission()
        await replicas[0].check_permission()  # its response says 4 of 6 are spent
        platform.clear_requests()
        async with anyio.create_task_group() as tasks:
            for client in replicas * 3:
                tasks.start_soon(lambda c=client: swallow(c.check_permission()))
    statuses = [r.status for r in platform.requests_to("authz-profile")]
    assert (429 in statuses) is not adapt


async def swallow(call) -> None:
    try:
        await call
    except RateLimitedError:
        pass  # the assertion reads the platform's log


async def test_the_platforms_count_of_requests_that_aged_out_meanwhile_is_not_counted_again(connect) -> None:
    """The headers describe the window when the request arrived; the shared window compares them with what it held
    then, not with what it holds once an older request has aged out (that would hold a slot for an extra window)."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await anyio.sleep(seconds)

    light = RateLimitGroup.LIGHT
    pacer = SharedPacer(connect(), limits={"Light": 2}, window=2.0, sleep=sleep)
    with anyio.fail_after(30):
        async with pacer.slot(light):
            pass  # counts for 2 s from here
        await anyio.sleep(1.0)  # the scenario: the next request is sent while the first still counts
        async with pacer.slot(light):
            await anyio.sleep(1.5)  # and answered after the first has aged out
        pacer.observe(light, {"X-Rate-Limit-Limit": "2", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Window": "2"})
        async with pacer.slot(light):
            pass
    assert waits == []
