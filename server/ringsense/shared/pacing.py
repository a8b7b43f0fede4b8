"""`SharedPacer`: one sliding window per rate-limit group in Redis, for every process with the same credentials.

RingCentral counts requests per user and app, not per process: N replicas pacing alone would together send N
times the budget and collect 429 penalties. Here each group's window is a sorted set: a member per request, scored
with the moment it stops counting. A Lua script (atomic in Redis, timed by Redis's own clock, so replicas' clocks
do not matter) prunes the set and admits a request only while fewer than `limit` count. As in `Pacer`, a request
counts from before it is sent until its response has arrived plus one window: never shorter than the platform's
count. A request whose process dies mid-flight stops counting after `IN_FLIGHT_CAP` plus a window.

When a response's `X-Rate-Limit-Remaining` says the platform counted more than the window held when the request was
sent plus everything counted since (another client of the same user and app), the difference is added as requests
made then, as `Pacer` does. A sequence key counts every request the set ever took, which is what tells "since".

A 429's penalty is shared too (a key that expires with it). While Redis is unreachable the process paces with its
own `Pacer` (the per-process behaviour) and `SharedRedis` warns that replicas may now overrun the budget.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import anyio
import httpx
from redis.asyncio import Redis

from ..errors import RateLimitedError
from ..ratelimit import DEFAULT_GROUP_LIMITS, DEFAULT_RATE_WINDOW, GroupBudget, Pacer, RateLimitGroup
from .connection import OPERATION_TIMEOUT, SharedRedis

__all__ = ["IN_FLIGHT_CAP", "SharedPacer"]

IN_FLIGHT_CAP = 120.0  # seconds a request may stay in flight before a dead process's reservation is dropped
POLL = 0.05  # seconds between tries while every counted request is still in flight (its end is unknown)

_log = logging.getLogger("server.ringsense.shared")


@dataclass(frozen=True)
class _Sent:
    """The shared window as this task's latest request was admitted: `counted` (itself included), `sequence`."""

    pacer: SharedPacer
    group: RateLimitGroup
    counted: int
    sequence: int


# The client calls `observe` in the task that held the slot, right after it: the request the headers answer.
_sent: ContextVar[_Sent | None] = ContextVar("ringsense_shared_pacer_sent", default=None)

# KEYS: window set, penalty key, sequence key (requests the set ever took). ARGV: member, limit, window ms, in-flight
# cap ms, requests the platform said it counted (-1: unknown), how many ms ago it said so, and for the request it
# said so about: requests counted and the sequence when it was admitted (-1: unknown). Returns {admitted (0/1), ms to
# wait, requests counted, 1 if the wait is a penalty, the sequence}.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window, cap = tonumber(ARGV[3]), tonumber(ARGV[4])
local penalty = redis.call('PTTL', KEYS[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local used = redis.call('ZCARD', KEYS[1])
local seq = tonumber(redis.call('GET', KEYS[3]) or '0')
local own = used
if tonumber(ARGV[7]) >= 0 and seq >= tonumber(ARGV[8]) then
  own = tonumber(ARGV[7]) + seq - tonumber(ARGV[8])
end
local missing = tonumber(ARGV[5]) - own
for i = 1, missing do
  redis.call('ZADD', KEYS[1], now + window - tonumber(ARGV[6]), ARGV[1] .. ':other:' .. i)
end
if missing > 0 then
  used = used + missing
  seq = redis.call('INCRBY', KEYS[3], missing)
end
if penalty > 0 then return {0, penalty, used, 1, seq} end
if used < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + cap + window, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], cap + window)
  seq = redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], cap + window)
  return {1, 0, used + 1, 0, seq}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, math.max(1, tonumber(oldest[2]) - now), used, 0, seq}
"""

# KEYS: window set. ARGV: member, window ms. The request has completed: it counts for one more window.
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
"""

# KEYS: penalty key. ARGV: milliseconds. Extends the penalty, never shortens it.
_BLOCK = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
"""


class SharedPacer:
    """A `Pacing` (see `server.ringsense.ratelimit`) whose windows live in Redis.

    `limits` and `window` as for `Pacer`; the platform's `X-Rate-Limit-Limit`/`-Window` headers are adopted
    unless `adapt=False`. `sleep` is how it waits (tests replace it).
    """

    def __init__(
        self,
        redis: SharedRedis,
        *,
        limits: Mapping[RateLimitGroup | str, int] | None = None,
        window: float = DEFAULT_RATE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        adapt: bool = True,
    ) -> None:
        self._redis = redis
        self._local = Pacer(limits=limits, window=window, clock=clock, sleep=sleep, adapt=adapt)
        merged = dict(DEFAULT_GROUP_LIMITS)
        merged.update({RateLimitGroup(k): v for k, v in (limits or {}).items()})
        self._limits = merged
        self._windows = dict.fromkeys(merged, window)
        self._adapt = adapt
        self._sleep = sleep
        self._reserve = redis.client.register_script(_RESERVE)
        self._release = redis.client.register_script(_RELEASE)
        self._block = redis.client.register_script(_BLOCK)
        self._queues = {group: anyio.Lock() for group in merged}
        self._penalties: dict[RateLimitGroup, float] = {}  # to tell Redis at the next reservation
        self._used: dict[RateLimitGroup, int] = {}  # counted requests at the last reservation, for budget()
        # The platform's count, when it was seen, and the window when the request it answered was admitted.
        self._reported: dict[RateLimitGroup, tuple[int, float, _Sent | None]] = {}
        self._clock = clock

    def _keys(self, group: RateLimitGroup) -> list[str]:
        return [
            self._redis.key("rate", str(group)),
            self._redis.key("rate", str(group), "penalty"),
            self._redis.key("rate", str(group), "sequence"),
        ]

    async def _flush_penalty(self, group: RateLimitGroup) -> None:
        seconds = self._penalties.pop(group, None)
        if seconds is not None and seconds > 0:

            async def block(_: Redis) -> None:
                await self._block(keys=[self._keys(group)[1]], args=[_ms(seconds)])

            await self._redis.run("sharing a rate-limit penalty", block, None)

    async def _try_reserve(self, group: RateLimitGroup, member: str) -> tuple[bool, float, bool] | None:
        """(admitted, seconds to wait, the wait is a penalty), or None when Redis cannot be used."""
        window_ms = _ms(self._windows[group])

        counted, age, sent = -1, 0.0, None
        reported = self._reported.pop(group, None)
        if reported is not None and (age := self._clock() - reported[1]) < self._windows[group]:
            counted, sent = reported[0], reported[2]  # they count from when the platform said so, for a window
        then = (sent.counted, sent.sequence) if sent is not None else (-1, -1)

        async def reserve(_: Redis) -> list[int]:
            args: list[str | int] = [
                *(member, self._limits[group], window_ms, _ms(IN_FLIGHT_CAP), counted, _ms(age)),
                *then,
            ]
            return list(await self._reserve(keys=self._keys(group), args=args))

        answer = await self._redis.run("reserving a request in the shared rate window", reserve, None)
        if answer is None:
            return None
        admitted, wait_ms, used, penalty, sequence = (int(value) for value in answer)
        self._used[group] = used
        if admitted:
            _sent.set(_Sent(self, group, used, sequence))
        return bool(admitted), wait_ms / 1000, bool(penalty)

    @asynccontextmanager
    async def slot(self, group: RateLimitGroup, *, max_penalty_wait: float = math.inf) -> AsyncIterator[None]:
        """As `Pacer.slot`, across processes; falls back to this process's own window without Redis."""
        member = uuid.uuid4().hex
        admitted = False
        _sent.set(None)  # until admitted in the shared window (not when this process paces alone)
        async with self._queues[group]:  # this process's waiters queue in order; only the head one asks Redis
            await self._flush_penalty(group)
            while True:
                answer = await self._try_reserve(group, member)
                if answer is None:
                    break
                admitted, wait, penalty = answer
                if admitted:
                    break
                if penalty and wait > max_penalty_wait:
                    raise RateLimitedError(
                        f"RingCentral asked for a pause in the {group} rate-limit group; try again in "
                        f"{math.ceil(wait)} seconds.",
                        retry_after=float(math.ceil(wait)),
                    )
                # A finished request's end is exact; one still in flight ends when its response arrives.
                await self._sleep(wait if penalty or wait <= self._windows[group] else POLL)
        if not admitted:
            async with self._local.slot(group, max_penalty_wait=max_penalty_wait):
                yield
            return
        try:
            yield
        finally:
            window_ms = _ms(self._windows[group])

            async def release(_: Redis) -> None:
                await self._release(keys=self._keys(group)[:1], args=[member, window_ms])

            # Shielded: a cancelled caller's request still counts, and must stop counting as in flight.
            with anyio.CancelScope(shield=True), anyio.move_on_after(OPERATION_TIMEOUT):
                await self._redis.run("completing a request in the shared rate window", release, None)

    def observe(self, group: RateLimitGroup, headers: httpx.Headers | Mapping[str, str]) -> None:
        """Adopt the platform's `X-Rate-Limit-Limit` and `-Window` for `group`, and its count of requests (from
        `-Remaining`) at this process's next reservation in the group: what it counted beyond the shared window
        when the request was admitted, and everything admitted since, is someone else's."""
        self._local.observe(group, headers)
        if not self._adapt:
            return
        budget = self._local.budget()[str(group)]
        self._limits[group] = budget.limit
        self._windows[group] = budget.window_seconds
        sent = _sent.get()
        if sent is not None and sent.pacer is self and sent.group == group:
            _sent.set(None)
        else:
            sent = None  # compared with the window as it is at the next reservation
        remaining = httpx.Headers(headers).get("X-Rate-Limit-Remaining", "")
        if remaining.isdigit():
            self._reported[group] = (max(0, budget.limit - int(remaining)), self._clock(), sent)

    def block(self, group: RateLimitGroup, seconds: float) -> None:
        """Hold `group` for `seconds` here at once, and in every process from this one's next request."""
        self._local.block(group, seconds)
        self._penalties[group] = max(self._penalties.get(group, 0.0), seconds)

    def budget(self) -> dict[str, GroupBudget]:
        """What is left of each group: shared counts as of this process's last request in the group."""
        result = self._local.budget()
        for group, used in self._used.items():
            budget = result[str(group)]
            result[str(group)] = budget.model_copy(update={"remaining": max(0, budget.limit - used)})
        return result


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))
