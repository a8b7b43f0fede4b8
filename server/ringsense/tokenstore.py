"""Where the access token lives between processes: the `TokenStore` interface and its in-process default.

`TokenManager` keeps the token it uses in memory and renews it once for concurrent callers of one process. A
`TokenStore` adds what several processes with the same credentials need: the token one of them obtained (so the
others adopt it instead of logging in themselves) and a lock that expires, held by the one process renewing.

The default, `InProcessTokenStore`, keeps nothing and locks nothing: a single process behaves exactly as it did
before stores existed. `server.ringsense.shared.RedisTokenStore` is the shared one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

__all__ = ["InProcessTokenStore", "StoredToken", "TokenStore"]


@dataclass(frozen=True, slots=True)
class StoredToken:
    """A token pair as a store holds it. Durations are seconds left when it was loaded, by the store's clock.

    `repr` never shows the tokens.
    """

    access_token: str | None
    expires_in: float  # seconds the access token has left (0 when there is none)
    lifetime: float  # the access token's whole lifetime: it sets the refresh margin
    refresh_token: str | None = None
    refresh_expires_in: float = 0.0

    def __repr__(self) -> str:
        return (
            f"StoredToken(access_token={'***' if self.access_token else None}, expires_in={self.expires_in:.0f}, "
            f"refresh_token={'***' if self.refresh_token else None})"
        )


class TokenStore(Protocol):
    """What `TokenManager` asks of the place tokens are shared through.

    Implementations never raise for an unreachable backend: they answer as if it held nothing (`load` → None,
    `save` does nothing, `renewing` does not lock), and say so in the log, so a process keeps working alone.
    """

    @property
    def shared(self) -> bool:
        """True when other processes use the tokens too: then none of them may revoke the session on exit."""
        ...

    async def load(self) -> StoredToken | None:
        """The token another process stored, or None."""
        ...

    async def save(self, token: StoredToken) -> None:
        """Store a newly obtained token for the other processes."""
        ...

    def renewing(self) -> AbstractAsyncContextManager[None]:
        """Held while this process renews; others wait for it, then `load` the result. The lock expires."""
        ...


class InProcessTokenStore:
    """The default: nothing shared. The manager's own lock already makes renewal single-flight in a process."""

    @property
    def shared(self) -> bool:
        return False

    async def load(self) -> StoredToken | None:
        return None

    async def save(self, token: StoredToken) -> None:
        return None

    @asynccontextmanager
    async def renewing(self) -> AsyncIterator[None]:
        yield
