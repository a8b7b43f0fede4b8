"""Live events when replicas share Redis: one replica subscribes, every replica's live feed is filled.

Without Redis each process subscribes on its own (`server.live_events.live_feed`). With it, the replica holding
the events lease runs the one push subscription and appends every event (and every `Gap`) to a Redis stream; each
replica, the holder included, reads that stream into its `LiveInsights`, so ``ringsense://events/recent`` and
the insights served from memory are the same on every replica. The mechanism is `server.ringsense.shared.feed`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio

from server.ringsense import EventSubscriber, RingSenseClient

from .live_events import LiveInsights, consume

if TYPE_CHECKING:  # redis loads only for replicas that share state
    from server.ringsense.shared import SharedState, SharedSubscription

__all__ = ["shared_live_feed"]

_log = logging.getLogger("server")


@asynccontextmanager
async def shared_live_feed(
    client: RingSenseClient, live: LiveInsights, shared: SharedState, *, lease_ttl: float | None = None, **options: Any
) -> AsyncIterator[SharedSubscription]:
    """Take part in the replicas' one subscription and keep ``live`` filled from their stream until the block ends.

    `lease_ttl` is the events lease's expiry (seconds); `options` go to `SharedSubscription`.
    """
    relay, holder = shared.event_feed(client, lease_ttl=lease_ttl, **options)

    def replica() -> tuple[EventSubscriber | None, str]:
        subscriber = holder.subscriber
        return subscriber, "holder" if subscriber is not None else "follower"

    live.replica = replica
    _log.info("live events: one replica subscribes (a lease in Redis); this one follows the shared stream")
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(holder.run)
            tasks.start_soon(consume, relay.follow(), live)
            try:
                yield holder
            finally:
                tasks.cancel_scope.cancel()
    finally:
        live.replica = None
