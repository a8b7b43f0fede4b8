"""One Redis connection pool per process, the key namespace, and what happens while Redis is unreachable.

Every shared-state operation goes through `SharedRedis.run(what, operation, fallback)`: when Redis fails, the
caller gets `fallback` (the per-process answer) instead of an exception, a warning says once that the replicas
now work alone, and Redis is tried again after `RETRY_INTERVAL` seconds; the first success logs that sharing
has resumed. No message shows the URL's password.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from ..auth import AccessTokenCredentials, JWTCredentials

__all__ = ["CONNECT_TIMEOUT", "OPERATION_TIMEOUT", "RETRY_INTERVAL", "SharedRedis", "describe_url", "namespace_for"]

CONNECT_TIMEOUT = 1.0  # seconds to open a connection: a dead Redis must not hold up a tool call
OPERATION_TIMEOUT = 3.0  # seconds for one command's answer (a busy replica's event loop reads late)
MAX_CONNECTIONS = 16  # per process; a burst of calls queues for a connection instead of opening hundreds
RETRY_INTERVAL = 1.0  # after a failure, seconds during which Redis is not tried (each call would wait again)
KEY_PREFIX = "ringsense-mcp"

_log = logging.getLogger("server.ringsense.shared")

T = TypeVar("T")


def describe_url(url: str) -> str:
    """`url` without user name or password, for messages: `redis://host:6379/0`."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def namespace_for(server_url: str, credentials: JWTCredentials | AccessTokenCredentials) -> str:
    """The key namespace of one RingCentral identity (user and app on one platform).

    RingCentral counts rate limits and sessions per user and app, and a user's permissions decide what the
    insights show, so everything shared is kept per identity. A digest: the keys reveal no credential.
    """
    digest = hashlib.sha256()
    if isinstance(credentials, JWTCredentials):
        parts = [server_url, credentials.client_id, credentials.jwt.get_secret_value()]
    else:
        parts = [server_url, "access-token", credentials.access_token.get_secret_value()]
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:24]


class SharedRedis:
    """The process's Redis client for one identity's shared state; degrades to per-process behaviour on failure.

    `SharedRedis.from_url(url, namespace=...)` makes one; `aclose()` closes its connections. `clock` times the
    retry interval (tests replace it).
    """

    def __init__(
        self,
        client: Redis,
        *,
        namespace: str,
        description: str,
        clock: Callable[[], float] = time.monotonic,
        retry_interval: float = RETRY_INTERVAL,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.description = description
        self._clock = clock
        self._retry_interval = retry_interval
        self._retry_at = -float("inf")
        self._down = False

    @classmethod
    def from_url(cls, url: str, *, namespace: str, **kwargs: float | Callable[[], float]) -> SharedRedis:
        """A client for `url` (redis://, rediss://, unix://) with short timeouts and no retries of its own."""
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=OPERATION_TIMEOUT,  # waiting for a free connection counts as the command's time
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=OPERATION_TIMEOUT,
            retry=Retry(NoBackoff(), 0),  # a failure falls back at once; `run` decides when to try again
            health_check_interval=30,
        )
        client = Redis.from_pool(pool)  # the client owns the pool: aclose() closes it
        return cls(client, namespace=namespace, description=describe_url(url), **kwargs)  # type: ignore[arg-type]

    def key(self, *parts: str) -> str:
        """A key in this identity's namespace: `ringsense-mcp:<namespace>:<parts…>`."""
        return ":".join((KEY_PREFIX, self.namespace, *parts))

    @property
    def available(self) -> bool:
        """False while Redis failed less than the retry interval ago (calls get their fallback at once)."""
        return self._clock() >= self._retry_at

    @property
    def healthy(self) -> bool:
        """False from a failure until the next success."""
        return not self._down

    async def run(self, what: str, operation: Callable[[Redis], Awaitable[T]], fallback: T) -> T:
        """`await operation(client)`, or `fallback` when Redis is unreachable or failing (never raises for it)."""
        if not self.available:
            return fallback
        try:
            result = await operation(self.client)
        except (RedisError, OSError) as error:
            self.failed(what, error)
            await self._drop_idle_connections()
            return fallback
        self.succeeded()
        return result

    async def _drop_idle_connections(self) -> None:
        """Close the pool's idle connections: after Redis restarts each one is dead, and found out one use at a
        time they would each start another retry interval of working alone. They reconnect on next use."""
        with contextlib.suppress(RedisError, OSError):
            await self.client.connection_pool.disconnect(inuse_connections=False)

    def failed(self, what: str, error: BaseException) -> None:
        """Record a failure: warn once per outage, and do not try again for the retry interval."""
        self._retry_at = self._clock() + self._retry_interval
        if not self._down:
            self._down = True
            _log.warning(
                "Redis at %s is unreachable (%s while %s). This replica now works alone: its own token, rate "
                "pacing and cache, so replicas together may exceed RingCentral's rate limits until Redis is back. "
                "Single calls keep working; retrying every %.0f s.",
                self.description,
                type(error).__name__,
                what,
                self._retry_interval,
            )

    def succeeded(self) -> None:
        if self._down:
            self._down = False
            _log.warning("Redis at %s is reachable again; replicas share state again.", self.description)

    async def aclose(self) -> None:
        await self.client.aclose()
