"""State shared by several server processes (replicas) through Redis, behind the client's small interfaces.

```python
shared = SharedState.connect(redis_url, server_url=..., credentials=credentials)
client = RingSenseClient(server_url=..., credentials=credentials, **shared.client_options())
...
await client.aclose()
await shared.aclose()
```

| interface (default)                      | shared implementation  | what replicas share                          |
|------------------------------------------|------------------------|----------------------------------------------|
| `TokenStore` (`InProcessTokenStore`)     | `RedisTokenStore`      | one encrypted token; renewal under one lock  |
| `Pacing` (`Pacer`)                       | `SharedPacer`          | one sliding window per rate-limit group      |
| `ResponseStore` (none)                   | `RedisResponseStore`   | insights response bodies, behind each cache  |
| —                                        | `Lease`                | one holder at a time of a piece of work      |
| `EventSubscriber` per process            | `SharedSubscription`   | one push subscription; its events on a stream|

Every one of them falls back to the per-process behaviour while Redis is unreachable (`SharedRedis` warns once
per outage) and shares again when it is back. Keys live under `ringsense-mcp:<identity digest>:`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..auth import AccessTokenCredentials, JWTCredentials
from ..client import RingSenseClient
from .connection import SharedRedis, describe_url, namespace_for
from .feed import EventRelay, SharedSubscription
from .lease import LEASE_TTL, Lease, Term
from .pacing import SharedPacer
from .responses import RedisResponseStore
from .tokens import RedisTokenStore

EVENTS_LEASE = "events"  # the lease whose holder keeps the push-event subscription

__all__ = [
    "EVENTS_LEASE",
    "LEASE_TTL",
    "EventRelay",
    "Lease",
    "RedisResponseStore",
    "RedisTokenStore",
    "SharedPacer",
    "SharedRedis",
    "SharedState",
    "SharedSubscription",
    "Term",
    "describe_url",
    "namespace_for",
]


@dataclass
class SharedState:
    """The Redis-backed parts a `RingSenseClient` takes, for one identity (server URL, app and user)."""

    redis: SharedRedis
    tokens: RedisTokenStore | None  # None for a pre-issued access token: nobody can renew it
    pacer: SharedPacer
    responses: RedisResponseStore
    credentials: JWTCredentials | AccessTokenCredentials

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        server_url: str,
        credentials: JWTCredentials | AccessTokenCredentials,
        **pacer_options: Any,
    ) -> SharedState:
        """Shared state in the Redis at `url`. Connects lazily: an unreachable Redis is reported on first use."""
        redis = SharedRedis.from_url(url, namespace=namespace_for(server_url, credentials))
        tokens = RedisTokenStore(redis, credentials) if isinstance(credentials, JWTCredentials) else None
        return cls(
            redis=redis,
            tokens=tokens,
            pacer=SharedPacer(redis, **pacer_options),
            responses=RedisResponseStore(redis),
            credentials=credentials,
        )

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for `RingSenseClient`: `token_store`, `pacer`, `response_store`."""
        return {"token_store": self.tokens, "pacer": self.pacer, "response_store": self.responses}

    def lease(self, name: str, **options: Any) -> Lease:
        """A `Lease` named `name` in this identity's namespace."""
        return Lease(self.redis, name, **options)

    def event_feed(
        self, client: RingSenseClient, *, lease_ttl: float | None = None, **options: Any
    ) -> tuple[EventRelay, SharedSubscription]:
        """The shared event stream and the subscription only the `EVENTS_LEASE` holder runs (see `feed`).

        `lease_ttl` bounds how long the replicas go without a holder after one dies (`LEASE_TTL` by default);
        `options` go to `SharedSubscription`.
        """
        relay = EventRelay(self.redis, self.credentials)
        lease = self.lease(EVENTS_LEASE, **({"ttl": lease_ttl} if lease_ttl is not None else {}))
        return relay, SharedSubscription(client, relay, lease, **options)

    async def aclose(self) -> None:
        await self.redis.aclose()
