"""The MCP server's live feed: insights that arrived by event, kept in memory, and who to tell about them.

`LiveInsights` keeps the newest insights per recording (upserted by ``sourceRecordId``, newest
``lastModifiedTime`` wins) and a short list of recent events for the ``ringsense://events/recent`` resource.
Tools read recordings from it before asking RingCentral (see `LiveInsights.record`). `pump` moves items from an
`EventSubscriber` into it and wakes the listeners (resource subscribers) after each one.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import anyio

from server.ringsense.events import Gap, InsightsEvent
from server.ringsense.models import InsightType, RecordingInsights, SessionInsights
from tools.models import DataSource

if TYPE_CHECKING:
    from server.ringsense import EventSubscriber, RingSenseClient, SubscriberState, SubscriberStatus

__all__ = ["AI_NOTES_KINDS", "RECENT_EVENTS_URI", "LiveInsights", "consume", "live_feed", "pump"]

RECENT_EVENTS_URI = "ringsense://events/recent"
RECENT_SIZE = 50  # events listed by the resource
KEPT_RECORDINGS = 500  # recordings whose insights are kept in memory (least recently updated dropped first)
KEPT_GAPS = 10
# What the first (AI Notes) pbx event carries; a body with nothing beyond these may still be completed by the
# RingSense event, so a request for "everything" is not answered from it.
AI_NOTES_KINDS = frozenset({"Transcript", "Summary", "CallNotes"})

_log = logging.getLogger(__name__)
Listener = Callable[[], Awaitable[None]]
Sink = Callable[[InsightsEvent | Gap], Awaitable[None]]


def _now() -> datetime:
    return datetime.now(UTC)


class LiveInsights:
    """In-memory insights that arrived by event, and the recent-events list. One per server.

    A `tools.source.LocalCalls` provider: tools read a recording from here before asking RingCentral.
    `data_source` is what the tools report when it answered (the platform the events came from).
    """

    def __init__(self, *, data_source: DataSource, now: Callable[[], datetime] = _now) -> None:
        self._data_source = data_source
        self._now = now
        self._records: OrderedDict[tuple[str, str], RecordingInsights] = OrderedDict()
        self._recent: deque[dict[str, Any]] = deque(maxlen=RECENT_SIZE)
        self._gaps: deque[dict[str, str]] = deque(maxlen=KEPT_GAPS)
        self._listeners: list[Listener] = []
        self._sinks: list[Sink] = []
        self.subscriber: EventSubscriber | None = None  # set while the feed runs; for status only
        # With replicas sharing one subscription (server.events_lease): this replica's subscriber while it holds
        # the subscription, else None, and its role ("holder" or "follower"). For status only.
        self.replica: Callable[[], tuple[EventSubscriber | None, str]] | None = None

    def add_listener(self, listener: Listener) -> None:
        """Call ``await listener()`` after every change (errors are logged, never raised)."""
        self._listeners.append(listener)

    def add_sink(self, sink: Sink) -> None:
        """Hand every item (event or gap) to ``await sink(item)`` as it arrives, before the listeners are told
        (the call library stores events and catches gaps up this way). Errors are logged, never raised."""
        self._sinks.append(sink)

    async def deliver(self, item: InsightsEvent | Gap) -> None:
        """Take one item from the feed: hand it to the sinks, keep it, then tell the listeners.

        The sinks (the call library) run before the item shows in the feed, so whoever sees an event in
        ``ringsense://events/recent`` finds it stored too."""
        for sink in list(self._sinks):
            try:
                await sink(item)
            except Exception:  # a sink failing must not stop the feed
                _log.warning("a live-events sink failed; the item is kept in memory only", exc_info=True)
        self.add(item)
        await self.notify()

    # -- writing -------------------------------------------------------------------------------------------

    def add(self, item: InsightsEvent | Gap) -> None:
        if isinstance(item, Gap):
            self._gaps.appendleft(
                {"since": item.since.isoformat(), "until": item.until.isoformat(), "reason": item.reason}
            )
            return
        body = item.insights
        key = (item.domain, body.source_record_id)
        known = self._records.get(key)
        update = known is not None
        if known is None or _modified(body) >= _modified(known):
            self._records[key] = body
            self._records.move_to_end(key)
            while len(self._records) > KEPT_RECORDINGS:
                self._records.popitem(last=False)
        self._recent.appendleft(
            {
                "received_at": self._now().isoformat(),
                "domain": item.domain,
                "record_id": body.source_record_id,
                "session_id": body.source_session_id,
                "title": body.title,
                "last_modified_time": body.last_modified_time.isoformat() if body.last_modified_time else None,
                "insight_types": list(body.insights.present),
                "update": update,
                "resource": f"ringsense://{item.domain}/records/{body.source_record_id}",
            }
        )

    async def notify(self) -> None:
        for listener in list(self._listeners):
            try:
                await listener()
            except Exception:  # a listener (one MCP session) failing must not stop the feed
                _log.warning("a live-events listener failed; it is skipped", exc_info=True)

    # -- reading (the LocalCalls provider) -------------------------------------------------------------------

    @property
    def data_source(self) -> DataSource:
        return self._data_source

    async def recording(
        self, record_id: str, domain: str, insight_types: Sequence[InsightType] | None
    ) -> RecordingInsights | None:
        """The recording's insights if an event brought every kind asked for (``None``: all kinds), else None.

        A body with nothing beyond the AI Notes kinds does not answer "all kinds": the RingSense event that
        completes it may still come, and RingCentral may already have it.
        """
        body = self._records.get((domain, record_id))
        if body is None:
            return None
        present = set(body.insights.present)
        if insight_types is None:
            return body if present - AI_NOTES_KINDS else None
        return body if {str(kind) for kind in insight_types} <= present else None

    async def session(
        self, session_id: str, domain: str, insight_types: Sequence[InsightType] | None
    ) -> SessionInsights | None:
        """Never answered from events: they cannot tell whether every leg of a session has arrived."""
        return None

    def recent(self) -> dict[str, Any]:
        """JSON-ready: the feed's state, the newest events first, and windows where events may be missing."""
        subscriber, role = self.replica() if self.replica is not None else (self.subscriber, None)
        status = subscriber.status if subscriber is not None else None
        enabled = subscriber is not None or role is not None
        return {
            "enabled": enabled,
            "state": status.state.value if status else ("following" if role else "off"),
            **({"replica_role": role} if role else {}),
            "domains": list(status.domains) if status else [],
            "last_error": status.last_error if status else None,
            "events": list(self._recent),
            "gaps": list(self._gaps),
            "hint": (
                "Each event names a recording; read it with its `resource` URI or get_insights_by_record. A pbx "
                "call usually sends two events (AI Notes, then RingSense with every insight: `update` is true)."
                if enabled
                else "Live events are off. Start the server with --events (on by default with --sandbox)."
            ),
        }


def _modified(body: RecordingInsights) -> datetime:
    return body.last_modified_time or datetime.min.replace(tzinfo=UTC)


async def _announce_states(subscriber: EventSubscriber, live: LiveInsights) -> None:
    """Tell the listeners when the feed's state changes (subscribed, reconnecting, refused), not only on events."""
    while True:
        state = subscriber.status.state

        def changed(status: SubscriberStatus, before: SubscriberState = state) -> bool:
            return status.state != before

        await subscriber.wait_for(changed)
        await live.notify()


async def pump(subscriber: EventSubscriber, live: LiveInsights) -> None:
    """Move every item of ``subscriber`` into ``live`` (its sinks, then its listeners); returns when the feed
    closes."""
    live.subscriber = subscriber
    await consume(subscriber, live)


async def consume(items: AsyncIterable[InsightsEvent | Gap], live: LiveInsights) -> None:
    """What every event and gap goes through, from this process's subscriber or from the replicas' shared stream:
    kept in memory, handed to the sinks (the call library), then announced."""
    async for item in items:
        await live.deliver(item)


@asynccontextmanager
async def live_feed(
    client: RingSenseClient, live: LiveInsights, *, domains: Sequence[str] | None = None
) -> AsyncIterator[EventSubscriber]:
    """Subscribe with ``client`` and keep ``live`` filled until the block ends."""
    # Lazy import: the subscriber brings websockets, which a server loads only when it subscribes.
    from server.ringsense import EventSubscriber

    subscriber = EventSubscriber(client, domains=domains) if domains else EventSubscriber(client)
    async with subscriber, anyio.create_task_group() as tasks:
        tasks.start_soon(pump, subscriber, live)
        tasks.start_soon(_announce_states, subscriber, live)
        try:
            yield subscriber
        finally:
            await subscriber.aclose()  # ends the pump's iteration
            tasks.cancel_scope.cancel()  # and the state watcher
            live.subscriber = None
