"""Retry policy: which failures are retried, how long to wait, and when to give up.

Retries are bounded by attempts *and* by total time. A server-sent `Retry-After` is honoured up to
`MAX_RETRY_DELAY`; a longer one (or one past the remaining time budget) fails fast with the error, whose
`retry_after` tells the caller when to come back, instead of holding a tool call for minutes.
Sleep and clock are injected so that tests run without sleeping.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio

from .errors import NetworkError, RateLimitedError, RingSenseError, UpstreamError

__all__ = [
    "BASE_RETRY_DELAY",
    "MAX_ATTEMPTS",
    "MAX_RETRY_DELAY",
    "MAX_RETRY_TOTAL",
    "RetryPolicy",
    "run_with_retry",
]

MAX_ATTEMPTS = 4  # first try + 3 retries
BASE_RETRY_DELAY = 0.5  # seconds before the first retry; doubles each time (0.5, 1, 2 …)
MAX_RETRY_DELAY = 10.0  # the longest single wait, Retry-After included; longer → fail fast
MAX_RETRY_TOTAL = 30.0  # the longest a call may spend retrying, all attempts together

_log = logging.getLogger("server.ringsense")

T = TypeVar("T")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How a failed request is retried.

    `jitter` is the fraction of each backoff delay that is randomised downward (0.25: 75–100 % of it).
    """

    max_attempts: int = MAX_ATTEMPTS
    base_delay: float = BASE_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY
    max_total: float = MAX_RETRY_TOTAL
    jitter: float = 0.25
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.base_delay, self.max_delay, self.max_total) < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("delays must be non-negative and jitter within 0..1")

    @classmethod
    def no_retry(cls) -> RetryPolicy:
        return cls(max_attempts=1)

    def is_retryable(self, error: RingSenseError, *, idempotent: bool) -> bool:
        """Whether `error` may be retried. Non-idempotent requests (the token POST) only on 429/503."""
        if isinstance(error, RateLimitedError) or (isinstance(error, UpstreamError) and error.status == 503):
            return True
        if not idempotent:
            return False
        if isinstance(error, UpstreamError):
            return error.status is not None and error.status >= 500 and error.status != 501
        return isinstance(error, NetworkError)

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (1-based) when the server named none."""
        delay = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return delay * (1 - self.jitter * self.random())


async def run_with_retry(
    attempt: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    idempotent: bool = True,
    clock: Clock = time.monotonic,
    sleep: Sleep = anyio.sleep,
    what: str = "request",
    retry_if: Callable[[RingSenseError], bool] | None = None,
) -> T:
    """Run `attempt` until it returns, retrying the failures `policy` allows.

    Raises the last error when attempts or time run out, or at once when the server asks for a wait
    longer than `policy.max_delay` or than the time left. `retry_if` can veto retrying an error.
    """
    started = clock()
    number = 1
    while True:
        try:
            return await attempt()
        except RingSenseError as error:
            if number >= policy.max_attempts or not policy.is_retryable(error, idempotent=idempotent):
                raise
            if retry_if is not None and not retry_if(error):
                raise
            remaining = policy.max_total - (clock() - started)
            if error.retry_after is not None:
                delay = error.retry_after
                if delay > policy.max_delay or delay > remaining:
                    # Come back later rather than hold the caller for minutes; retry_after says when.
                    raise
            else:
                delay = policy.backoff(number)
                if delay > remaining:
                    raise
            _log.info(
                "%s failed (%s); retry %d of %d in %.2f s",
                what,
                type(error).__name__,
                number,
                policy.max_attempts - 1,
                delay,
            )
            await sleep(delay)
            number += 1
