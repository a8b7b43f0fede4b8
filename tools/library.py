"""What the cross-call tools share: reaching the call library, waiting for a running sync, shaping coverage.

The tools reach the library through `deps.library`, a `LibraryAccess` (the server's `LibraryService`; None when
`RINGSENSE_LIBRARY=off`). `LibraryCalls` adapts the same library to `tools.source.LocalCalls`, so the single-call
tools answer from the library when it holds the call, with no request to RingCentral.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar

from server.ringsense.models import InsightType, RecordingInsights, SessionInsights

from .errors import ToolFailure
from .formatting import clock, iso_utc, neutralise
from .library_models import CallBrief, CoverageInfo, Quote
from .models import DataSource

if TYPE_CHECKING:
    from server.library import CallRef, Coverage, LibraryReader, LibraryStore, Snippet, StoredCall

__all__ = [
    "LIBRARY_OFF",
    "SYNC_WAIT_SECONDS",
    "LibraryAccess",
    "LibraryCalls",
    "Progress",
    "call_brief",
    "coverage_info",
    "half_open",
    "library_errors",
    "quote",
    "reader_for",
]

SESSION_SPAN = timedelta(hours=12)  # the legs of one telephony session are recorded within hours of each other
FRESH_TAIL = timedelta(hours=1)  # servers sync every 15 minutes; a shorter unsynced tail is freshness, not a gap
SYNC_WAIT_SECONDS = 20.0  # a cross-call answer waits this long at most for a running sync of its range
LIBRARY_DATA_SOURCE: DataSource = "call library"
LIBRARY_OFF = (
    "The call library is off (RINGSENSE_LIBRARY=off), so questions across many calls cannot be answered in one "
    "call. To turn it on, unset RINGSENSE_LIBRARY (or set it to 'on') and restart the server: it then indexes the "
    "analysed calls in the background (`ringsense-mcp sync` builds it at once). Meanwhile use list_recorded_calls and "
    "get_insights_by_record call by call."
)

Progress = Callable[[float, float | None, str | None], Awaitable[None]]
"""Reports progress to whoever asked (`progress, total, message`); the MCP layer passes `Context.report_progress`."""

_log = logging.getLogger(__name__)
_T = TypeVar("_T")


class LibraryAccess(Protocol):
    """The server's call library as the tools see it."""

    async def reader(self) -> LibraryStore:
        """The open library (opened on first use); raises `LibraryUnavailableError` when it cannot be opened."""
        ...

    async def settle(
        self, date_from: datetime, date_to: datetime, *, wait_seconds: float, progress: Progress | None = None
    ) -> None:
        """Wait, at most `wait_seconds`, for a running sync whose range overlaps `[date_from, date_to)`,
        reporting its progress; return at once when none runs. Never raises for a sync that fails."""
        ...


def _library_error(err: Exception) -> str | None:
    """The message of a call-library error, else None. The library module is imported here, not at the top: it
    stays out of the server's cold start, and is loaded anyway by the time one of its errors exists."""
    from server.library.errors import LibraryError

    return err.message if isinstance(err, LibraryError) else None


@asynccontextmanager
async def library_errors() -> AsyncIterator[None]:
    """Raise the library's errors as ToolFailure: their messages say what to change and never quote the database."""
    try:
        yield
    except Exception as err:
        message = _library_error(err)
        if message is None:
            raise
        raise ToolFailure(message) from err


async def reader_for(
    library: LibraryAccess | None, date_from: datetime, date_to: datetime, progress: Progress | None = None
) -> LibraryReader:
    """The library, once a running sync of the range has finished (or SYNC_WAIT_SECONDS have passed).

    Raises ToolFailure when the library is off or cannot be opened.
    """
    if library is None:
        raise ToolFailure(LIBRARY_OFF)
    await library.settle(date_from, date_to, wait_seconds=SYNC_WAIT_SECONDS, progress=progress)
    async with library_errors():
        return await library.reader()


def half_open(end: datetime) -> datetime:
    """The library's end of a range. A bare-date `date_to` ends at 23:59:59.999999 (inclusive, as the call log reads
    it); the library's ranges are half-open and kept to whole seconds, so that day's last second would be lost and
    coverage would end at "23:59". It becomes the next midnight."""
    return end + timedelta(microseconds=1) if end.time() == time.max else end


def coverage_info(coverage: Coverage, now: datetime) -> CoverageInfo:
    """The coverage for a model. The minutes between the last sync and the end of the range are not a gap: the
    text says how old the last sync is, and counting them would call every answer about "up to now" incomplete."""
    tail = coverage.unsynced[-1] if coverage.unsynced else None
    # The store keeps whole seconds: a tail "ends at the end of the range" within one.
    if tail is not None and coverage.date_to - tail.end < timedelta(seconds=1) and tail.end - tail.start <= FRESH_TAIL:
        coverage = replace(coverage, unsynced=coverage.unsynced[:-1])
    return CoverageInfo(
        text=coverage.describe(now),
        complete=coverage.complete,
        date_from=iso_utc(coverage.date_from) or "",
        date_to=iso_utc(coverage.date_to) or "",
        recorded=coverage.recorded,
        indexed=coverage.indexed,
        pending=coverage.pending,
        last_sync=iso_utc(coverage.last_sync),
    )


def call_brief(call: CallRef) -> CallBrief:
    return CallBrief(
        record_id=call.record_id,
        session_id=call.session_id,
        title=neutralise(call.title),
        start_time=iso_utc(call.started_at),
        duration=clock(call.duration_seconds),
        direction=call.direction,
        owner=neutralise(call.owner_name) if call.owner_name else call.owner_extension_id,
        external_number=call.external_number,
        ai_score=call.ai_score,
        sentiment=call.sentiment,
    )


def quote(snippet: Snippet) -> Quote:
    # neutralise() keeps lengths (3 characters for 3), so the match offsets still point at the matched words.
    marked = replace(snippet, text=neutralise(snippet.text)).marked()
    return Quote(
        text=marked,
        speaker=neutralise(snippet.speaker) if snippet.speaker else None,
        at=clock(snippet.start_seconds),
        section=snippet.section,
    )


class LibraryCalls:
    """`tools.source.LocalCalls` over the call library: a stored call is served without asking RingCentral.

    A call stored by a sync was fetched with every insight kind, so it answers any request (a kind it lacks,
    RingSense lacks too). A call stored from a push event may carry only some kinds: it answers only when it holds
    every kind asked for. A library that cannot be read is logged and skipped: RingCentral answers instead.
    """

    data_source: DataSource = LIBRARY_DATA_SOURCE

    def __init__(self, access: LibraryAccess) -> None:
        self._access = access

    async def _reader(self) -> LibraryStore | None:
        try:
            return await self._access.reader()
        except Exception as err:
            message = _library_error(err)
            if message is None:
                raise
            _log.warning("call library unavailable, asking RingCentral instead: %s", message)
            return None

    async def _lookup(self, lookup: Callable[[LibraryStore], Awaitable[_T]]) -> tuple[LibraryStore, _T] | None:
        """The reader and what `lookup` read from it, or None when the library cannot be opened or the lookup fails
        with a library error (logged: RingCentral answers instead). Any other error propagates."""
        reader = await self._reader()
        if reader is None:
            return None
        try:
            return reader, await lookup(reader)
        except Exception as err:
            message = _library_error(err)
            if message is None:
                raise
            _log.warning("call library lookup failed, asking RingCentral instead: %s", message)
            return None

    async def recording(
        self, record_id: str, domain: str, insight_types: Sequence[InsightType] | None
    ) -> RecordingInsights | None:
        found = await self._lookup(lambda reader: reader.get_by_record(record_id, domain))
        if found is None:
            return None
        _, stored = found
        return stored.insights if stored is not None and _answers(stored, insight_types) else None

    async def session(
        self, session_id: str, domain: str, insight_types: Sequence[InsightType] | None
    ) -> SessionInsights | None:
        found = await self._lookup(lambda reader: reader.get_by_session(session_id, domain))
        if found is None:
            return None
        reader, stored = found
        if not stored or not all(_answers(call, insight_types) for call in stored):
            return None
        # Served only when no leg of the session is still waiting to be indexed: a missing leg would go unsaid.
        starts = [call.call.started_at for call in stored if call.call.started_at is not None]
        if starts:
            around = await reader.recordings(min(starts) - SESSION_SPAN, max(starts) + SESSION_SPAN)
            if any(e.session_id == session_id and e.domain == domain and e.state != "indexed" for e in around):
                return None
        return SessionInsights(records=[call.insights for call in stored])


def _answers(stored: StoredCall, insight_types: Sequence[InsightType] | None) -> bool:
    if stored.source == "sync":
        return True
    wanted = list(InsightType) if insight_types is None else insight_types
    return all(str(kind) in stored.insights.insights.present for kind in wanted)
