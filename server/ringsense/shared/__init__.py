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

Every one of them falls back to the per-process behaviour while Redis is unreachable (`SharedRedis` warns once
per outage) and shares again when it is back. Keys live under `ringsense-mcp:<identity digest>:`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..auth import AccessTokenCredentials, JWTCredentials
from .connection import SharedRedis, describe_url, namespace_for
from .lease import LEASE_TTL, Lease, Term
from .pacing import SharedPacer
from .responses import RedisResponseStore
from .tokens import RedisTokenStore

__all__ = [
    "LEASE_TTL",
    "Lease",
    "RedisResponseStore",
    "RedisTokenStore",
    "SharedPacer",
    "SharedRedis",
    "SharedState",
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
            redis=redis, tokens=tokens, pacer=SharedPacer(redis, **pacer_options), responses=RedisResponseStore(redis)
        )

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for `RingSenseClient`: `token_store`, `pacer`, `response_store`."""
        return {"token_store": self.tokens, "pacer": self.pacer, "response_store": self.responses}

    def lease(self, name: str, **options: Any) -> Lease:
        """A `Lease` named `name` in this identity's namespace."""
        return Lease(self.redis, name, **options)

    async def aclose(self) -> None:
        await self.redis.aclose()
