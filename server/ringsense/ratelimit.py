"""Client-side pacing per RingCentral rate-limit group, so that a burst waits instead of collecting 429s.

RingCentral counts requests per user and app in a sliding window per group (Light 50/min, Medium 40/min,
Heavy 10/min, Auth 5/min) and answers 429 with a penalty once a group is over its limit. The pacer keeps
the same window on this side. A request counts from the moment it is sent until its response has arrived
plus one window, which is never shorter than the platform's own count (it counts arrival), so the client
cannot overrun the platform's window even when the network is slow.

When responses carry `X-Rate-Limit-Limit`, `-Remaining` and `-Window`, the pacer adopts the platform's
numbers (limits can be customised per app, and other processes may share the budget). A 429 blocks the
group for its `Retry-After`.

The platform's `-Remaining` describes its window at a moment between sending the request and receiving its
response, so it is compared with what this side counted when the request was sent (plus everything counted
since), never with the window as it is when the response is read: by then requests the platform still counted
may have aged out here, and counting them again as someone else's would hold their slots for a whole extra window.

`Pacing` is the interface the client paces through; `Pacer` keeps the window in this process (the default), and
`server.ringsense.shared.SharedPacer` keeps it in Redis, so several processes with the same credentials together
stay within the one budget RingCentral counts per user and app.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import anyio
import httpx
from pydantic import BaseModel, Field

from .errors import RateLimitedError

__all__ = [
    "DEFAULT_GROUP_LIMITS",
    "DEFAULT_RATE_WINDOW",
    "GroupBudget",
    "Pacer",
    "Pacing",
    "RateLimitGroup",
]


class RateLimitGroup(StrEnum):
    """RingCentral rate-limit groups (`x-throttling-group` in the API spec)."""

    LIGHT = "Light"  # RingSense insights, permission check
    MEDIUM = "Medium"
    HEAVY = "Heavy"  # call log
    AUTH = "Auth"  # the token endpoint


DEFAULT_GROUP_LIMITS: Mapping[RateLimitGroup, int] = {
    RateLimitGroup.LIGHT: 50,
    RateLimitGroup.MEDIUM: 40,
    RateLimitGroup.HEAVY: 10,
    RateLimitGroup.AUTH: 5,
}
DEFAULT_RATE_WINDOW = 60.0  # seconds


class GroupBudget(BaseModel):
    """What is left of one rate-limit group, as this client sees it."""

    group: str = Field(description="Light, Medium, Heavy or Auth.")
    limit: int = Field(description="Requests allowed per window.")
    window_seconds: float = Field(description="Length of the sliding window.")
    remaining: int = Field(description="Requests that can be sent now without waiting.")
    blocked_for_seconds: float = Field(description="Seconds until a 429 penalty ends (0 if none).")
    server_remaining: int | None = Field(
        None, description="X-Rate-Limit-Remaining of the last response, when the platform sent it."
    )


class Pacing(Protocol):
    """What the client asks of a pacer (see `Pacer` for the meaning of each method)."""

    def slot(
        self, group: RateLimitGroup, *, max_penalty_wait: float = math.inf
    ) -> AbstractAsyncContextManager[None]: ...

    def observe(self, group: RateLimitGroup, headers: httpx.Headers | Mapping[str, str]) -> None: ...

    def block(self, group: RateLimitGroup, seconds: float) -> None: ...

    def budget(self) -> dict[str, GroupBudget]: ...


@dataclass
class _Group:
    limit: int
    window: float
    finished: deque[float] = field(default_factory=deque)  # when counted requests completed, oldest first
    in_flight: int = 0
    added: int = 0  # requests ever counted (sent here or reported by the platform), to tell what came since
    blocked_until: float = -math.inf
    server_remaining: int | None = None
    lock: anyio.Lock = field(default_factory=anyio.Lock)
    changed: anyio.Event = field(default_factory=anyio.Event)


@dataclass(frozen=True)
class _Sent:
    """The window as this task's latest request was admitted: `counted` (itself included) and `added` then."""

    state: _Group
    counted: int
    added: int


# The client calls `observe` in the task that held the slot, right after it: the request the headers answer.
_sent: ContextVar[_Sent | None] = ContextVar("ringsense_pacer_sent", default=None)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


class Pacer:
    """Sliding-window pacing per rate-limit group.

    `limits` overrides the per-group defaults; `window` is the window length in seconds (tests time-scale it,
    e.g. 1.0). `adapt=False` ignores the platform's `X-Rate-Limit-*` headers.
    """

    def __init__(
        self,
        *,
        limits: Mapping[RateLimitGroup | str, int] | None = None,
        window: float = DEFAULT_RATE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        adapt: bool = True,
    ) -> None:
        if window <= 0:
            raise ValueError("window must be positive")
        merged = dict(DEFAULT_GROUP_LIMITS)
        merged.update({RateLimitGroup(k): v for k, v in (limits or {}).items()})
        if any(limit < 1 for limit in merged.values()):
            raise ValueError("every limit must be at least 1")
        self._clock = clock
        self._sleep = sleep
        self._adapt = adapt
        self._groups = {group: _Group(limit=limit, window=window) for group, limit in merged.items()}

    def _prune(self, state: _Group, now: float) -> None:
        while state.finished and state.finished[0] <= now - state.window:
            state.finished.popleft()

    @asynccontextmanager
    async def slot(self, group: RateLimitGroup, *, max_penalty_wait: float = math.inf) -> AsyncIterator[None]:
        """Wait until a request of `group` may be sent; the request counts until the block exits.

        Raises RateLimitedError, without waiting, while a 429 penalty has more than `max_penalty_wait` seconds
        to run: the caller should come back later rather than hang.
        """
        state = self._groups[group]
        async with state.lock:  # waiters queue in order; only the head one sleeps
            while True:
                now = self._clock()
                self._prune(state, now)
                if state.blocked_until > now:
                    left = state.blocked_until - now
                    if left > max_penalty_wait:
                        raise RateLimitedError(
                            f"RingCentral asked for a pause in the {group} rate-limit group; try again in "
                            f"{math.ceil(left)} seconds.",
                            retry_after=float(math.ceil(left)),
                        )
                    await self._sleep(left)
                elif len(state.finished) + state.in_flight < state.limit:
                    break
                elif state.finished:
                    await self._sleep(state.finished[0] + state.window - now)
                else:
                    await state.changed.wait()  # every counted request is still in flight
            state.in_flight += 1
            state.added += 1
            _sent.set(_Sent(state, len(state.finished) + state.in_flight, state.added))
        try:
            yield
        finally:
            state.in_flight -= 1
            state.finished.append(self._clock())
            state.changed.set()
            state.changed = anyio.Event()

    def observe(self, group: RateLimitGroup, headers: httpx.Headers | Mapping[str, str]) -> None:
        """Adopt the platform's `X-Rate-Limit-*` numbers for `group`, when present."""
        if not self._adapt:
            return
        if not isinstance(headers, httpx.Headers):  # a response's own headers are looked up as they are
            headers = httpx.Headers(headers)  # case-insensitive lookups
        state = self._groups[group]
        limit = _number(headers.get("X-Rate-Limit-Limit"))
        window = _number(headers.get("X-Rate-Limit-Window"))
        remaining = _number(headers.get("X-Rate-Limit-Remaining"))
        if limit is not None and limit >= 1:
            state.limit = int(limit)
        if window is not None and window > 0:
            state.window = window
        if remaining is None:
            return
        state.server_remaining = int(remaining)
        now = self._clock()
        self._prune(state, now)
        sent, own = _sent.get(), len(state.finished) + state.in_flight
        if sent is not None and sent.state is state:
            _sent.set(None)
            # What the platform may have counted of ours: the window when this request went, and all since.
            own = sent.counted + state.added - sent.added
        # The platform counted more than this client did: others share the budget. Count the difference as
        # requests made now, so that they age out of the window like real ones.
        missing = (state.limit - int(remaining)) - own
        if missing > 0:
            state.finished.extend([now] * missing)
            state.added += missing

    def block(self, group: RateLimitGroup, seconds: float) -> None:
        """Hold every request of `group` for `seconds` (after a 429: the platform's penalty)."""
        state = self._groups[group]
        state.blocked_until = max(state.blocked_until, self._clock() + max(0.0, seconds))

    def budget(self) -> dict[str, GroupBudget]:
        """What is left of each group now."""
        now = self._clock()
        result = {}
        for group, state in self._groups.items():
            self._prune(state, now)
            used = len(state.finished) + state.in_flight
            result[str(group)] = GroupBudget(
                group=str(group),
                limit=state.limit,
                window_seconds=state.window,
                remaining=max(0, state.limit - used),
                blocked_for_seconds=round(max(0.0, state.blocked_until - now), 3),
                server_remaining=state.server_remaining,
            )
        return result
