"""Client-side pacing: a sliding window per group, adapted to the platform's headers, with a fake clock."""

from __future__ import annotations

import anyio
import pytest

from server.ringsense.errors import RateLimitedError
from server.ringsense.ratelimit import DEFAULT_GROUP_LIMITS, Pacer, RateLimitGroup

from .fakes import FakeTime

pytestmark = pytest.mark.anyio

LIGHT = RateLimitGroup.LIGHT


def pacer(time: FakeTime, **kwargs: object) -> Pacer:
    return Pacer(clock=time, sleep=time.sleep, **kwargs)  # type: ignore[arg-type]


async def send(p: Pacer, group: RateLimitGroup = LIGHT, duration: float = 0.0, time: FakeTime | None = None) -> None:
    async with p.slot(group):
        if time is not None:
            time.advance(duration)


def test_default_limits_are_ringcentral_s() -> None:
    assert {str(k): v for k, v in DEFAULT_GROUP_LIMITS.items()} == {"Light": 50, "Medium": 40, "Heavy": 10, "Auth": 5}


async def test_a_burst_within_the_limit_does_not_wait() -> None:
    time = FakeTime()
    p = pacer(time)
    for _ in range(50):
        await send(p)
    assert time.sleeps == []
    assert p.budget()["Light"].remaining == 0


async def test_the_request_over_the_limit_waits_for_the_oldest_to_leave_the_window() -> None:
    time = FakeTime()
    p = pacer(time, limits={"Heavy": 3}, window=10.0)
    for _ in range(3):
        await send(p, RateLimitGroup.HEAVY)
        time.advance(1.0)
    # requests finished at t=0, 1, 2 (relative); now t=3: the 4th may go at t=10
    await send(p, RateLimitGroup.HEAVY)
    assert time.sleeps == [pytest.approx(7.0)]


async def test_a_request_counts_from_its_completion_not_its_start() -> None:
    time = FakeTime()
    p = pacer(time, limits={"Auth": 1}, window=10.0)
    await send(p, RateLimitGroup.AUTH, duration=4.0, time=time)  # a slow request: sent at 0, answered at 4
    await send(p, RateLimitGroup.AUTH)
    assert time.sleeps == [pytest.approx(10.0)]  # until 4 + 10, not 0 + 10


async def test_requests_in_flight_hold_their_place() -> None:
    time = FakeTime()
    p = pacer(time, limits={"Light": 1}, window=5.0)
    order: list[str] = []

    async def slow() -> None:
        async with p.slot(LIGHT):
            order.append("slow starts")
            await released.wait()
            order.append("slow ends")

    async def second() -> None:
        await send(p)
        order.append("second sent")

    released = anyio.Event()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(slow)
        await anyio.wait_all_tasks_blocked()
        tasks.start_soon(second)
        await anyio.wait_all_tasks_blocked()
        assert order == ["slow starts"]
        released.set()
    assert order == ["slow starts", "slow ends", "second sent"]
    assert time.sleeps == [pytest.approx(5.0)]


async def test_groups_are_independent() -> None:
    time = FakeTime()
    p = pacer(time, limits={"Heavy": 1})
    await send(p, RateLimitGroup.HEAVY)
    await send(p, LIGHT)
    assert time.sleeps == []


async def test_platform_headers_replace_the_local_limit_and_window() -> None:
    time = FakeTime()
    p = pacer(time)
    p.observe(LIGHT, {"X-Rate-Limit-Limit": "2", "X-Rate-Limit-Window": "1", "X-Rate-Limit-Remaining": "2"})
    await send(p)
    await send(p)
    await send(p)
    assert time.sleeps == [pytest.approx(1.0)]
    assert p.budget()["Light"].limit == 2 and p.budget()["Light"].window_seconds == 1.0


async def test_budget_used_by_others_is_counted() -> None:
    time = FakeTime()
    p = pacer(time, window=60.0)
    await send(p)
    p.observe(LIGHT, {"X-Rate-Limit-Limit": "50", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Window": "60"})
    assert p.budget()["Light"].remaining == 0
    assert p.budget()["Light"].server_remaining == 0
    await send(p)
    assert time.sleeps == [pytest.approx(60.0)]


async def test_the_platforms_count_of_requests_that_aged_out_here_meanwhile_is_not_counted_again() -> None:
    """The headers describe the window when the request arrived; by the time they are read, an older request
    the platform counted then may have left this side's window. Counting it again as someone else's would hold
    its slot for a whole extra window."""
    time = FakeTime()
    p = pacer(time, limits={"Light": 2}, window=10.0)
    await send(p)  # answered at t=0: counts here until t=10
    time.advance(9.5)
    await send(p, duration=1.0, time=time)  # arrives at t=9.5 (the platform counts 2), answered at t=10.5
    p.observe(LIGHT, {"X-Rate-Limit-Limit": "2", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Window": "10"})
    assert p.budget()["Light"].remaining == 1
    await send(p)
    assert time.sleeps == []


async def test_garbled_headers_are_ignored() -> None:
    time = FakeTime()
    p = pacer(time)
    p.observe(LIGHT, {"X-Rate-Limit-Limit": "lots", "X-Rate-Limit-Window": "-5", "X-Rate-Limit-Remaining": "inf"})
    assert p.budget()["Light"].limit == 50 and p.budget()["Light"].window_seconds == 60.0


async def test_adapt_false_ignores_headers() -> None:
    time = FakeTime()
    p = pacer(time, adapt=False)
    p.observe(LIGHT, {"X-Rate-Limit-Limit": "1"})
    assert p.budget()["Light"].limit == 50


async def test_a_429_blocks_the_group_for_its_retry_after() -> None:
    time = FakeTime()
    p = pacer(time)
    p.block(LIGHT, 12.0)
    assert p.budget()["Light"].blocked_for_seconds == 12.0
    await send(p)
    assert time.sleeps == [pytest.approx(12.0)]
    await send(p, RateLimitGroup.HEAVY)
    assert len(time.sleeps) == 1


async def test_a_long_penalty_fails_fast_instead_of_hanging() -> None:
    time = FakeTime()
    p = pacer(time)
    p.block(LIGHT, 120.0)
    with pytest.raises(RateLimitedError) as caught:
        async with p.slot(LIGHT, max_penalty_wait=10.0):
            pytest.fail("no request may be sent during the penalty")
    assert caught.value.retry_after == 120.0
    assert time.sleeps == []
    time.advance(115)
    await send(p)  # 5 s left: within max_penalty_wait, so it waits
    assert time.sleeps == [pytest.approx(5.0)]


async def test_waiters_are_served_in_arrival_order() -> None:
    time = FakeTime()
    p = pacer(time, limits={"Light": 1}, window=1.0)
    served: list[int] = []

    async def one(i: int) -> None:
        await send(p)
        served.append(i)

    async with anyio.create_task_group() as tasks:
        for i in range(5):
            tasks.start_soon(one, i)
            await anyio.wait_all_tasks_blocked()
    assert served == [0, 1, 2, 3, 4]
    assert time.sleeps == [pytest.approx(1.0)] * 4


@pytest.mark.parametrize("kwargs", [{"window": 0}, {"limits": {"Light": 0}}, {"limits": {"Bogus": 3}}])
def test_nonsense_configuration_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Pacer(**kwargs)  # type: ignore[arg-type]
