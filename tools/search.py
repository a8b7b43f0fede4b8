"""search_calls: full-text search across every call in the library, ranked, with quoted snippets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .calls import parse_when
from .deps import Deps
from .errors import ToolFailure
from .formatting import iso_utc
from .library import (
    LIBRARY_DATA_SOURCE,
    Progress,
    call_brief,
    coverage_info,
    half_open,
    library_errors,
    quote,
    reader_for,
)
from .library_models import CallMatch, SearchCallsResult

if TYPE_CHECKING:
    from server.library.store import Direction, Side

DEFAULT_SEARCH_LIMIT = 10
MAX_SEARCH_LIMIT = 50  # the library's own limit (server.library.store.MAX_SEARCH_LIMIT; a test holds them equal)
MAX_QUERY_CHARS = 500
SNIPPETS_PER_CALL = 3
EVERY_CALL = datetime.min.replace(tzinfo=UTC)  # a search without date_from reaches back to the first call


def _range(date_from: str | None, date_to: str | None, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The search's bounds (None: open). No default start: a search without date_from searches every indexed call,
    and its coverage says which dates those are."""
    start = parse_when(date_from, "date_from", end_of_day=False) if date_from else None
    end = half_open(parse_when(date_to, "date_to", end_of_day=True)) if date_to else None
    if start and end and start >= end:
        raise ToolFailure("date_from is after date_to: swap them, or give a later date_to.")
    if start and not end and start >= now:
        raise ToolFailure(
            f"date_from ({iso_utc(start)}) is in the future: no call is recorded there yet. Give an earlier date_from, "
            "or leave it out to search every indexed call."
        )
    return start, end


async def search_calls(
    deps: Deps,
    *,
    query: str = "",
    date_from: str | None = None,
    date_to: str | None = None,
    speaker: str | None = None,
    speaker_side: Side | None = None,
    direction: Direction | None = None,
    phone_number: str | None = None,
    owner: str | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
    domain: str | None = None,
    limit: int = DEFAULT_SEARCH_LIMIT,
    cursor: str | None = None,
    progress: Progress | None = None,
) -> SearchCallsResult:
    """Ranked calls matching `query` (the library's query language) and the filters, with coverage.

    Raises ToolFailure: the library is off, bad dates, or a query, filter or cursor the library cannot run (the
    message says what to change).
    """
    # Imported here: the library's modules stay out of the server's cold start until a tool needs them.
    from server.library import CallFilters, SearchQuery

    if len(query) > MAX_QUERY_CHARS:
        raise ToolFailure(f"query is {len(query)} characters; keep it under {MAX_QUERY_CHARS} (a few words).")
    now = deps.now()
    start, end = _range(date_from, date_to, now)
    reader = await reader_for(deps.library, start or EVERY_CALL, end or now, progress)
    filters = CallFilters(
        date_from=start,
        date_to=end,
        speaker=speaker,
        speaker_side=speaker_side,
        direction=direction,
        phone_number=phone_number,
        owner=owner,
        min_score=min_score,
        max_score=max_score,
        domain=domain,
    )
    async with library_errors():
        page = await reader.search(
            SearchQuery(query, filters, limit=limit, snippets_per_call=SNIPPETS_PER_CALL, cursor=cursor)
        )
    calls = [CallMatch(call=call_brief(hit.call), quotes=[quote(s) for s in hit.snippets]) for hit in page.hits]
    coverage = coverage_info(page.coverage, now)
    if calls:
        hint = "Drill in with get_insights_by_record(record_id) or render_transcript(record_id, start_seconds)."
    else:
        hint = "No call matches. Try fewer words, OR between alternatives, prefix* forms, or a wider date range."
    if page.next_cursor:
        hint += " More calls match: pass cursor with the same query and filters for the next page."
    if not coverage.complete:
        hint += " The library is not complete for this range (see coverage): say so when answering."
    if page.coverage.whole_library:
        hint += (
            f" No date_from: this searched every indexed call, from {coverage.date_from[:10]}; older calls are not in"
            " the library, so say so if the question reaches further back."
        )
    return SearchCallsResult(
        query=query,
        total_calls=page.total_calls,
        calls=calls,
        cursor=page.next_cursor,
        coverage=coverage,
        data_source=LIBRARY_DATA_SOURCE,
        hint=hint,
    )
