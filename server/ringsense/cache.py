"""The insights cache: a TTL cache, bounded by the bytes of the responses it holds, whose concurrent identical
misses share one request."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import anyio
from cachetools import TTLCache

from .errors import RingSenseError
from .models import SharedResponse

__all__ = ["DEFAULT_CACHE_BYTES", "DEFAULT_CACHE_TTL", "MIN_ENTRY_BYTES", "CacheKey", "InsightsCache"]

DEFAULT_CACHE_TTL = 300.0  # seconds an insights response is reused (insights change rarely once ready)
# Response bodies held at most. Bounded by bytes, not entries: one 90-minute call weighs as much as four
# 30-minute ones, and 256 entries of long calls held over 300 MiB. 48 MiB of bodies is about 200 90-minute calls
# or 800 30-minute ones; parsed, a response holds about 0.65 times its body (145 KiB for the 90-minute sample's
# 227 KiB, measured; it was 1,260 KiB before transcripts were held in columns), so about 31 MiB of memory.
DEFAULT_CACHE_BYTES = 48 * 1024 * 1024
MIN_ENTRY_BYTES = 1024  # what a response not parsed from a body (built in code) counts as

# (domain, "records" | "sessions", id, insight types or None for all)
CacheKey = tuple[str, str, str, tuple[str, ...] | None]


V = TypeVar("V", bound=SharedResponse)


class _Pending(Generic[V]):
    """One in-flight request that concurrent identical calls wait for."""

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.result: V | None = None
        self.error: RingSenseError | None = None


class InsightsCache(Generic[V]):
    """Responses (of type V) by key for `ttl` seconds (`ttl <= 0`: no caching, but misses are still shared), at
    most `max_bytes` of them by the size of the bodies they were parsed from (least recently used go first).

    Errors are never cached; callers waiting on a failed request receive the same error. A response larger than
    `max_bytes` is returned but not kept.
    """

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_CACHE_TTL,
        max_bytes: int = DEFAULT_CACHE_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: TTLCache[CacheKey, V] | None = (
            TTLCache(maxsize=max_bytes, ttl=ttl, timer=clock, getsizeof=self.weight) if ttl > 0 else None
        )
        self._pending: dict[CacheKey, _Pending[V]] = {}

    @staticmethod
    def weight(value: V) -> int:
        """What `value` counts against `max_bytes`."""
        return max(value.wire_bytes, MIN_ENTRY_BYTES)

    @property
    def held_bytes(self) -> int:
        """The weight of every response held now."""
        return int(self._entries.currsize) if self._entries is not None else 0

    def peek(self, key: CacheKey) -> V | None:
        """The cached value for `key`, if any, without fetching."""
        return self._entries.get(key) if self._entries is not None else None

    async def get_or_fetch(self, key: CacheKey, fetch: Callable[[], Awaitable[V]]) -> V:
        """The cached value for `key`, or `fetch()`'s (one fetch for concurrent callers)."""
        while True:
            if self._entries is not None and (hit := self._entries.get(key)) is not None:
                return hit
            pending = self._pending.get(key)
            if pending is None:
                break
            await pending.done.wait()
            if pending.error is not None:
                raise pending.error
            if pending.result is not None:
                return pending.result
            # the fetching caller was cancelled: try again, possibly fetching this time

        pending = self._pending[key] = _Pending[V]()
        try:
            result = await fetch()
        except RingSenseError as error:
            pending.error = error
            raise
        else:
            pending.result = result
            if self._entries is not None and self.weight(result) <= self._entries.maxsize:
                self._entries[key] = result
            return result
        finally:
            del self._pending[key]
            pending.done.set()
