"""`Lease`: exactly one process at a time runs a piece of work (say, the push-event subscription).

The lease is a Redis key holding the holder's id, with an expiry (`ttl`). The holder renews it every `ttl / 3`;
the others try to take it every `ttl / 3`. When the holder dies, its key expires and another process holds the
lease within `ttl + ttl / 3` seconds (8 s with the default 6 s). A holder that cannot confirm its lease (Redis
unreachable, or the key taken after a long pause) stops its work before the lease could have passed to another:
it never runs alongside a second holder for longer than one renewal round trip.

Each acquisition opens a new `Term`, numbered by a Redis counter (a fencing token that only grows). The new
holder's `catch_up` hook runs beside its work, so that what happened while nobody held the lease (a holder died,
Redis was down) is fetched — through recovery or a call-log sync — while the work already receives new events;
whatever both deliver must be harmless twice.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NoReturn

import anyio
from redis.asyncio import Redis

from .connection import OPERATION_TIMEOUT, SharedRedis

__all__ = ["LEASE_TTL", "Lease", "Term"]

LEASE_TTL = 6.0  # seconds; a dead holder is replaced within LEASE_TTL * 4 / 3 (8 s)

_log = logging.getLogger("server.ringsense.shared")

# KEYS: lease, term counter, last holder. ARGV: holder, ttl ms. Returns {term number, previous holder} or {0, ''}.
_ACQUIRE = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0, ''} end
local number = redis.call('INCR', KEYS[2])
local previous = redis.call('GET', KEYS[3])
redis.call('SET', KEYS[3], ARGV[1])
return {number, previous or ''}
"""
# KEYS: lease. ARGV: holder, ttl ms. 1 while still the holder.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# KEYS: lease. ARGV: holder. Let go, so another process need not wait for the expiry.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True, slots=True)
class Term:
    """One holder's time with the lease."""

    number: int  # grows with every acquisition (resets only if Redis loses its data)
    holder: str
    previous_holder: str | None  # the last holder recorded before this term; None for the first one


Work = Callable[[Term], Awaitable[None]]


class _Lost(Exception):
    """The lease could not be confirmed in time: stop the term's work."""


class Lease:
    """`await lease.run(work, catch_up=...)` runs `work(term)` in this process only while it holds the lease.

    `name` says what the lease is for (one lease per name per identity). `holder` defaults to host, pid and a
    random part. `run` never returns: cancel it to stop (the lease is then released for the next holder). If
    `work` returns or raises while holding the lease, the lease is released and `run` ends with it.
    """

    def __init__(
        self,
        redis: SharedRedis,
        name: str,
        *,
        ttl: float = LEASE_TTL,
        holder: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self._redis = redis
        self._keys = [redis.key("lease", name), redis.key("lease", name, "term"), redis.key("lease", name, "last")]
        self.ttl = ttl
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._clock = clock
        self._acquire = redis.client.register_script(_ACQUIRE)
        self._renew = redis.client.register_script(_RENEW)
        self._release = redis.client.register_script(_RELEASE)
        self.term: Term | None = None  # the current term while held

    @property
    def interval(self) -> float:
        """Seconds between renewals (holder) and between attempts (the others)."""
        return self.ttl / 3

    async def _try_acquire(self) -> Term | None:
        async def acquire(_: Redis) -> Term | None:
            number, previous = await self._acquire(keys=self._keys, args=[self.holder, _ms(self.ttl)])
            if not int(number):
                return None
            text = previous.decode() if isinstance(previous, bytes) else str(previous)
            return Term(number=int(number), holder=self.holder, previous_holder=text or None)

        return await self._redis.run(f"taking the {self._keys[0]} lease", acquire, None)

    async def _keep(self, confirmed_until: float) -> NoReturn:
        """Renew until the lease cannot be confirmed before it would expire; then raise _Lost."""
        while True:
            # Wake early enough that a renewal failing at the last moment still stops the work in time.
            await anyio.sleep(max(0.0, min(self.interval, confirmed_until - self._clock() - self.interval)))
            sent = self._clock()

            async def renew(_: Redis) -> bool:
                return bool(int(await self._renew(keys=self._keys[:1], args=[self.holder, _ms(self.ttl)])))

            kept = await self._redis.run("renewing a lease", renew, None)
            if kept is False:
                raise _Lost("another process holds the lease")
            if kept:
                confirmed_until = sent + self.ttl
            elif self._clock() >= confirmed_until - self.interval:
                raise _Lost("the lease could not be renewed in time")

    async def _hold(self, term: Term, confirmed_until: float, work: Work, catch_up: Work | None) -> None:
        _log.info("holding the %s lease (term %d)", self._keys[0].rsplit(":", 1)[-1], term.number)
        self.term = term
        try:
            async with anyio.create_task_group() as tasks:

                async def keep() -> None:
                    await self._keep(confirmed_until)

                async def run_work() -> None:
                    await work(term)
                    tasks.cancel_scope.cancel()  # the work is done: so is the term

                tasks.start_soon(keep)
                if catch_up is not None:
                    hook = catch_up

                    async def run_catch_up() -> None:
                        await hook(term)

                    tasks.start_soon(run_catch_up)
                tasks.start_soon(run_work)
        finally:
            self.term = None
            with anyio.CancelScope(shield=True), anyio.move_on_after(OPERATION_TIMEOUT):

                async def release(_: Redis) -> None:
                    await self._release(keys=self._keys[:1], args=[self.holder])

                await self._redis.run("releasing a lease", release, None)

    async def run(self, work: Work, *, catch_up: Work | None = None) -> None:
        """Take the lease whenever it is free and run `work` (and `catch_up`) while holding it."""
        while True:
            sent = self._clock()  # the lease runs from before it was asked for: never overestimate it
            term = await self._try_acquire()
            if term is None:
                await anyio.sleep(self.interval)
                continue
            lost = False
            try:
                await self._hold(term, sent + self.ttl, work, catch_up)
            except* _Lost as group:
                lost = True
                _log.warning("gave up the lease (%s); another process may hold it now", group.exceptions[0])
            if not lost:
                return


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
