"""The insights cache: a TTL cache whose concurrent identical misses share one request."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import anyio
from cachetools import TTLCache
from pydantic import BaseModel

from .errors import RingSenseError

__all__ = ["DEFAULT_CACHE_SIZE", "DEFAULT_CACHE_TTL", "CacheKey", "InsightsCache"]

DEFAULT_CACHE_TTL = 300.0  # seconds an insights response is reused (insights change rarely once ready)
DEFAULT_CACHE_SIZE = 256  # insights responses kept at most

# (domain, "records" | "sessions", id, insight types or None for all)
CacheKey = tuple[str, str, str, tuple[str, ...] | None]


V = TypeVar("V", bound=BaseModel)


class _Pending(Generic[V]):
    """One in-flight request that concurrent identical calls wait for."""

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.result: V | None = None
        self.error: RingSenseError | None = None


class InsightsCache(Generic[V]):
    """Responses (of type V) by key for `ttl` seconds (`ttl <= 0`: no caching, but misses are still shared).

    Errors are never cached; callers waiting on a failed request receive the same error.
    """

    def __init__(
        self,
        *,
        ttl: float = DEFAULT_CACHE_TTL,
        size: int = DEFAULT_CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: TTLCache[CacheKey, V] | None = TTLCache(maxsize=size, ttl=ttl, timer=clock) if ttl > 0 else None
        self._pending: dict[CacheKey, _Pending[V]] = {}

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
            if self._entries is not None:
                self._entries[key] = result
            return result
        finally:
            del self._pending[key]
            pending.done.set()
