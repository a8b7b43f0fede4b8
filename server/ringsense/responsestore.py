"""A second, shared tier for insights responses: the `ResponseStore` interface.

The client's own `InsightsCache` holds parsed responses in memory and answers first. On a miss there, a
`ResponseStore` (when the client has one) is asked for the raw response body another process fetched, before the
platform is. It holds bytes, not objects, so that any process (and any version that can parse them) can use them.
`server.ringsense.shared.RedisResponseStore` is the implementation; without one, nothing is shared.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from .cache import CacheKey
from .models import SharedResponse

__all__ = ["ResponseStore", "read_shared"]

M = TypeVar("M", bound=BaseModel)

_log = logging.getLogger("server.ringsense")


class ResponseStore(Protocol):
    """Raw insights response bodies by cache key, shared between processes.

    Implementations never raise for an unreachable backend: `get` answers None and `put` does nothing (and the
    log says why), so a process keeps answering from the platform.
    """

    async def get(self, keys: Sequence[CacheKey]) -> bytes | None:
        """The body held for the first of `keys` that has one, or None."""
        ...

    async def put(self, key: CacheKey, body: bytes, *, ttl: float) -> None:
        """Hold `body` under `key` for `ttl` seconds."""
        ...


async def read_shared(store: ResponseStore, model: type[M], key: CacheKey) -> M | None:
    """The response another process stored for `key` (or for every insight type), parsed; None on a miss."""
    keys: list[CacheKey] = [key] if key[3] is None else [(key[0], key[1], key[2], None), key]
    body = await store.get(keys)
    if body is None:
        return None
    try:
        if issubclass(model, SharedResponse):
            # Parsed as the client parses a body off the wire, so the cache counts its size against its budget.
            parsed: M = model.from_body(body)
            return parsed
        return model.model_validate(json.loads(body))
    except (ValueError, ValidationError):  # stored by a replica with another version of the models: fetch afresh
        _log.info("ignored a shared insights response this version cannot read")
        return None
