"""Where the tools get calls from: one seam between the tools and the RingSense client.

Every tool reads calls through a `CallSource`; no tool calls the client itself. A `CallSource` asks an optional
local provider first (the call library, insights that arrived by a push event) and the RingSense client only
when the provider does not hold the answer:

    source = CallSource(client, data_source="RingCentral", local=library)
    served = await source.recording("2728084995017", "pbx", [InsightType.SUMMARY])
    served.insights     # RecordingInsights
    served.served_from  # the provider's `data_source` when it answered, else "RingCentral"

A provider is anything with the `LocalCalls` shape; it returns None for what it does not hold, and the client
answers instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from server.ringsense.errors import InsightsNotFoundError
from server.ringsense.models import CallLogPage, InsightType, PermissionCheck, RecordingInsights, SessionInsights

from .errors import ToolFailure
from .models import DataSource

if TYPE_CHECKING:
    from server.ringsense import RingSenseClient

__all__ = ["RECENT_DAYS", "RECENT_IDS_TTL", "CallSource", "LocalCalls", "RecentIds", "Served"]

RECENT_IDS_TTL = 60.0  # seconds the ids offered as completions are reused
RECENT_DAYS = 30  # how far back completions look for recorded calls

T = TypeVar("T", RecordingInsights, SessionInsights)
RecentIds = dict[str, list[str]]  # {"record_id": [...], "session_id": [...]}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LocalCalls(Protocol):
    """Calls held locally, consulted before RingSense: the call library, or insights pushed by an event.

    Return None when the call is not held, or is held without every one of `insight_types` (None means every
    kind): the client then answers. Raise nothing for a miss; an exception is a real failure and reaches the user.
    """

    @property
    def data_source(self) -> DataSource:
        """What a tool reports as `data_source` when this provider answered."""
        ...

    async def recording(
        self, record_id: str, domain: str, insight_types: Sequence[InsightType] | None
    ) -> RecordingInsights | None: ...

    async def session(
        self, session_id: str, domain: str, insight_types: Sequence[InsightType] | None
    ) -> SessionInsights | None: ...


@dataclass(frozen=True, slots=True)
class Served(Generic[T]):
    """A call's insights and where they came from."""

    insights: T
    served_from: DataSource


class CallSource:
    """The one place tools read calls from: the local provider first (when there is one), else the client.

    `data_source` labels what the client serves ("RingCentral", or "sandbox sample data" in sandbox mode).
    `now` and `clock` are injectable for tests (wall-clock UTC datetimes; monotonic seconds).
    """

    def __init__(
        self,
        client: RingSenseClient,
        *,
        data_source: DataSource,
        local: LocalCalls | None = None,
        now: Callable[[], datetime] = _utc_now,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.data_source: DataSource = data_source
        self.local = local
        self._now = now
        self._clock = clock
        self._recent: tuple[float, RecentIds] | None = None

    async def recording(
        self, record_id: str, domain: str = "pbx", insight_types: Sequence[InsightType] | None = None
    ) -> Served[RecordingInsights]:
        """One recording's insights (`insight_types` None: every kind).

        Raises ToolFailure saying what to do when RingSense has none (yet), and the client's RingSenseError
        for anything else (permission, rate limit, network, …).
        """
        if self.local is not None:
            held = await self.local.recording(record_id, domain, insight_types)
            if held is not None:
                return Served(held, self.local.data_source)
        try:
            record = await self._client.get_record_insights(record_id, domain=domain, insight_types=insight_types)
        except InsightsNotFoundError as err:
            raise _not_found("recording", record_id, domain, err) from err
        return Served(record, self.data_source)

    async def session(
        self, session_id: str, domain: str = "pbx", insight_types: Sequence[InsightType] | None = None
    ) -> Served[SessionInsights]:
        """Every recording of a telephony session, with insights; raises like `recording`, and ToolFailure
        when the session has no recording with insights yet."""
        held = await self.local.session(session_id, domain, insight_types) if self.local is not None else None
        if held is not None and self.local is not None:
            session, served_from = held, self.local.data_source
        else:
            try:
                session = await self._client.get_session_insights(
                    session_id, domain=domain, insight_types=insight_types
                )
            except InsightsNotFoundError as err:
                raise _not_found("session", session_id, domain, err) from err
            served_from = self.data_source
        if not session.records:
            raise ToolFailure(
                f"Session {session_id} has no recordings with insights yet (domain {domain}). "
                "Use list_recorded_calls to check the call was recorded; RingSense usually needs 15–30 minutes."
            )
        return Served(session, served_from)

    async def calls(
        self,
        *,
        date_from: datetime,
        date_to: datetime,
        direction: str | None = None,
        phone_number: str | None = None,
        per_page: int = 100,
        page: int = 1,
    ) -> CallLogPage:
        """One page of the call log (every call, recorded or not), newest first; raises RingSenseError."""
        return await self._client.list_call_log(
            date_from=date_from,
            date_to=date_to,
            direction=direction,
            phone_number=phone_number,
            per_page=per_page,
            page=page,
        )

    async def recent_ids(self) -> RecentIds:
        """Record and session ids of calls recorded in the last RECENT_DAYS days, newest first.

        Reused for RECENT_IDS_TTL seconds, since completions ask on every keystroke. Raises RingSenseError.
        """
        now = self._clock()
        if self._recent is not None and now - self._recent[0] < RECENT_IDS_TTL:
            return self._recent[1]
        end = self._now()
        page = await self.calls(date_from=end - timedelta(days=RECENT_DAYS), date_to=end, per_page=100, page=1)
        records: dict[str, None] = {}
        sessions: dict[str, None] = {}
        for call in page.records:
            for recording in call.recordings:
                records.setdefault(recording.id, None)
            if call.recordings and call.telephony_session_id:
                sessions.setdefault(call.telephony_session_id, None)
        recent: RecentIds = {"record_id": list(records), "session_id": list(sessions)}
        self._recent = (now, recent)
        return recent

    async def permission(self, permission_id: str, extension_id: str | None = None) -> PermissionCheck:
        """Whether the authenticated user (or `extension_id`) holds `permission_id`; raises RingSenseError."""
        return await self._client.check_permission(permission_id=permission_id, target_extension_id=extension_id)


def _not_found(kind: str, identifier: str, domain: str, err: InsightsNotFoundError) -> ToolFailure:
    message = (
        f"No insights for {kind} {identifier} in domain {domain} yet. RingSense usually finishes 15–30 minutes after "
        "the call; insights also never exist when the call was not recorded by a user with an AI Conversation "
        "Expert (RingSense) license, and they expire after the retention period (1 year by default)."
    )
    if kind == "recording" and identifier.startswith("s-"):
        message += " This id looks like a telephony session id (it starts with 's-'): use get_insights_by_session."
    elif kind == "session" and identifier.isdigit():
        message += " This id looks like a recording id: use get_insights_by_record."
    message += " Use list_recorded_calls to find the ids of recorded calls."
    if err.request_id:
        message += f" (request id {err.request_id})"
    return ToolFailure(message)
