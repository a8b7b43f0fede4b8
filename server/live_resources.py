"""``ringsense://events/recent``: the newest RingSense events, and ``notifications/resources/updated`` for it.

Clients on the 2026-07-28 protocol hear about updates on their ``subscriptions/listen`` stream (the server's
`SubscriptionBus`); earlier clients send ``resources/subscribe`` and get ``notifications/resources/updated`` on
their session.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.session import ServerSession
from mcp.server.subscriptions import ResourceUpdated, SubscriptionBus
from mcp.types import EmptyResult, SubscribeRequestParams, UnsubscribeRequestParams

from .live_events import RECENT_EVENTS_URI, LiveInsights

_log = logging.getLogger(__name__)


class ResourceSubscribers:
    """Sessions that sent ``resources/subscribe`` for the recent-events resource (legacy protocol)."""

    def __init__(self) -> None:
        # Strong references: the request context's session object is not otherwise kept alive between requests.
        # A session that has gone away is dropped when telling it fails.
        self._sessions: list[ServerSession] = []

    async def subscribe(self, ctx: ServerRequestContext[Any], params: SubscribeRequestParams) -> EmptyResult:
        # Other resources are accepted too: they never change, so they are never updated.
        if str(params.uri) == RECENT_EVENTS_URI and all(s is not ctx.session for s in self._sessions):
            self._sessions.append(ctx.session)
        return EmptyResult()

    async def unsubscribe(self, ctx: ServerRequestContext[Any], params: UnsubscribeRequestParams) -> EmptyResult:
        if str(params.uri) == RECENT_EVENTS_URI:
            self._sessions = [s for s in self._sessions if s is not ctx.session]
        return EmptyResult()

    async def tell(self) -> None:
        for session in list(self._sessions):
            try:
                await session.send_resource_updated(RECENT_EVENTS_URI)
            except Exception:  # a closed session: forget it, keep telling the others
                _log.info("a resource subscriber's session is gone; dropped")
                self._sessions = [s for s in self._sessions if s is not session]


def register_live_resources(mcp: MCPServer, live: LiveInsights, bus: SubscriptionBus) -> None:
    subscribers = ResourceSubscribers()

    @mcp.resource(RECENT_EVENTS_URI, mime_type="application/json", title="Recent RingSense events")
    def recent_events() -> str:
        """The newest RingSense events, newest first: calls whose analysis just finished, with the resource to
        read each one. Subscribe to hear when another arrives. Also says whether the live feed is on and any
        window in which events may have been missed."""
        return json.dumps(live.recent(), indent=2)

    # mcp 2.x has no public hook for the legacy resources/subscribe request; registering the handler on the
    # low-level server is also what makes it advertise `resources.subscribe` to 2025-era clients.
    lowlevel = mcp._lowlevel_server
    lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, subscribers.subscribe)
    lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, subscribers.unsubscribe)

    async def updated() -> None:
        await bus.publish(ResourceUpdated(uri=RECENT_EVENTS_URI))
        await subscribers.tell()

    live.add_listener(updated)
