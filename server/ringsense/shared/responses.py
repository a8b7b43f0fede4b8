"""`RedisResponseStore`: insights response bodies shared between processes, behind each one's own cache.

A body is kept as the platform sent it, under a key made of the request (domain, kind, id, insight types), for the
client's cache TTL. Only successful responses are stored (errors are never cached, as in the process's cache).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from redis.asyncio import Redis

from ..cache import CacheKey
from .connection import SharedRedis

__all__ = ["MAX_SHARED_BODY", "RedisResponseStore"]

MAX_SHARED_BODY = 8 * 1024 * 1024  # bytes; a larger response stays in the process (Redis values are kept in memory)


class RedisResponseStore:
    """A `ResponseStore` (see `server.ringsense.responsestore`) in Redis. Never raises for Redis failures."""

    def __init__(self, redis: SharedRedis) -> None:
        self._redis = redis

    def _key(self, key: CacheKey) -> str:
        domain, kind, source_id, types = key
        # Ids are checked before any request, but a digest keeps every key short and free of separators.
        name = "\0".join((domain, kind, source_id, ",".join(types) if types is not None else "*"))
        return self._redis.key("insights", hashlib.sha256(name.encode()).hexdigest()[:32])

    async def get(self, keys: Sequence[CacheKey]) -> bytes | None:
        async def read(client: Redis) -> bytes | None:
            values = await client.mget([self._key(key) for key in keys])
            return next((value for value in values if isinstance(value, bytes)), None)

        return await self._redis.run("reading a shared insights response", read, None)

    async def put(self, key: CacheKey, body: bytes, *, ttl: float) -> None:
        if ttl <= 0 or len(body) > MAX_SHARED_BODY:
            return

        async def write(client: Redis) -> None:
            await client.set(self._key(key), body, px=max(1, math.floor(ttl * 1000)))

        await self._redis.run("storing a shared insights response", write, None)
