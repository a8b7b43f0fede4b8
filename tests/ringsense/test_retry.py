"""Retry policy: selective, bounded by attempts and time, honest about Retry-After — without sleeping."""

from __future__ import annotations

import pytest

from server.ringsense.errors import (
    BadRequestError,
    NetworkError,
    PermissionDeniedError,
    RateLimitedError,
    RingSenseError,
    UpstreamError,
)
from server.ringsense.retry import MAX_ATTEMPTS, MAX_RETRY_DELAY, MAX_RETRY_TOTAL, RetryPolicy, run_with_retry

from .fakes import FakeTime

pytestmark = pytest.mark.anyio

NO_JITTER = RetryPolicy(random=lambda: 0.0)


class Script:
    """An attempt function that raises the scripted errors in turn, then returns "ok"."""

    def __init__(self, *errors: RingSenseError) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def upstream(status: int = 503, retry_after: float | None = None) -> UpstreamError:
    return UpstreamError("down", status=status, retry_after=retry_after)


async def test_three_503s_then_success_backs_off_exponentially() -> None:
    time = FakeTime()
    script = Script(upstream(), upstream(), upstream())
    assert await run_with_retry(script, policy=NO_JITTER, clock=time, sleep=time.sleep) == "ok"
    assert script.calls == 4
    assert time.sleeps == [0.5, 1.0, 2.0]


async def test_retry_after_is_honoured_exactly() -> None:
    time = FakeTime()
    script = Script(RateLimitedError("slow", status=429, retry_after=7.0))
    assert await run_with_retry(script, policy=NO_JITTER, clock=time, sleep=time.sleep) == "ok"
    assert time.sleeps == [7.0]


async def test_retry_after_beyond_the_cap_fails_fast_with_retry_after() -> None:
    time = FakeTime()
    script = Script(RateLimitedError("slow", status=429, retry_after=MAX_RETRY_DELAY + 50))
    with pytest.raises(RateLimitedError) as caught:
        await run_with_retry(script, policy=NO_JITTER, clock=time, sleep=time.sleep)
    assert caught.value.retry_after == MAX_RETRY_DELAY + 50
    assert time.sleeps == [] and script.calls == 1


async def test_retry_after_beyond_the_remaining_budget_fails_fast() -> None:
    time = FakeTime()
    policy = RetryPolicy(max_delay=10, max_total=12, random=lambda: 0.0)
    script = Script(upstream(retry_after=8), upstream(retry_after=8))
    with pytest.raises(UpstreamError):
        await run_with_retry(script, policy=policy, clock=time, sleep=time.sleep)
    assert time.sleeps == [8]
    assert script.calls == 2


async def test_exhaustion_raises_the_last_error_after_max_attempts() -> None:
    time = FakeTime()
    script = Script(*[upstream(500) for _ in range(10)])
    with pytest.raises(UpstreamError):
        await run_with_retry(script, policy=NO_JITTER, clock=time, sleep=time.sleep)
    assert script.calls == MAX_ATTEMPTS
    assert len(time.sleeps) == MAX_ATTEMPTS - 1


async def test_total_time_is_bounded_even_with_many_attempts() -> None:
    time = FakeTime()
    policy = RetryPolicy(max_attempts=100, base_delay=1.0, max_delay=8.0, random=lambda: 0.0)
    script = Script(*[upstream(502) for _ in range(100)])
    with pytest.raises(UpstreamError):
        await run_with_retry(script, policy=policy, clock=time, sleep=time.sleep)
    assert sum(time.sleeps) <= MAX_RETRY_TOTAL
    assert script.calls < 100


@pytest.mark.parametrize(
    "error",
    [
        BadRequestError("bad", status=400),
        PermissionDeniedError("no", status=403),
        UpstreamError("not implemented", status=501),
        RingSenseError("other"),
    ],
)
async def test_errors_that_would_fail_again_are_not_retried(error: RingSenseError) -> None:
    time = FakeTime()
    script = Script(error)
    with pytest.raises(type(error)):
        await run_with_retry(script, policy=NO_JITTER, clock=time, sleep=time.sleep)
    assert script.calls == 1


async def test_network_errors_are_retried_for_idempotent_requests() -> None:
    time = FakeTime()
    script = Script(NetworkError("reset"), NetworkError("reset"))
    assert await run_with_retry(script, policy=NO_JITTER, clock=time, sleep=time.sleep) == "ok"
    assert script.calls == 3


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (RateLimitedError("slow", status=429, retry_after=1), True),
        (upstream(503, retry_after=1), True),
        (upstream(500), False),
        (upstream(502), False),
        (NetworkError("reset"), False),
    ],
)
async def test_non_idempotent_requests_are_retried_only_on_429_and_503(error: RingSenseError, retried: bool) -> None:
    time = FakeTime()
    script = Script(error)
    if retried:
        assert await run_with_retry(script, policy=NO_JITTER, idempotent=False, clock=time, sleep=time.sleep) == "ok"
    else:
        with pytest.raises(type(error)):
            await run_with_retry(script, policy=NO_JITTER, idempotent=False, clock=time, sleep=time.sleep)
    assert script.calls == (2 if retried else 1)


async def test_retry_if_can_veto_a_retry() -> None:
    time = FakeTime()
    script = Script(upstream())
    with pytest.raises(UpstreamError):
        await run_with_retry(
            script, policy=NO_JITTER, clock=time, sleep=time.sleep, retry_if=lambda error: error.status != 503
        )
    assert script.calls == 1


def test_jitter_only_shortens_the_backoff() -> None:
    assert RetryPolicy(random=lambda: 1.0).backoff(1) == pytest.approx(0.375)
    assert RetryPolicy(random=lambda: 0.0).backoff(1) == 0.5
    assert RetryPolicy(random=lambda: 0.0).backoff(30) == MAX_RETRY_DELAY


@pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"jitter": 2.0}, {"base_delay": -1.0}])
def test_nonsense_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def test_no_retry_policy_makes_one_attempt() -> None:
    assert RetryPolicy.no_retry().max_attempts == 1
