"""A search, checked and planned: its parsed text, filters, page cursor and snippets, and the page it answers.

`plan_search` checks a `SearchQuery` and decodes its cursor (bound to the query and filters by a fingerprint, so
a cursor cannot be replayed against another search); a backend runs the plan's SQL, then `hit` and
`search_page` shape its rows into the same `SearchPage` for SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import LibraryQueryError
from .filters import aware, check_filters, name_words
from .query import ParsedQuery, parse_query
from .snippets import build_snippets
from .store import (
    MAX_SEARCH_LIMIT,
    MAX_SNIPPETS_PER_CALL,
    CallFilters,
    CallRef,
    Coverage,
    SearchHit,
    SearchPage,
    SearchQuery,
)

__all__ = ["SearchPlan", "hit", "plan_search", "search_page"]


@dataclass(frozen=True)
class SearchPlan:
    """A checked search: the parsed text, the filters, where the page starts and how many snippets to build."""

    parsed: ParsedQuery
    filters: CallFilters
    speaker_words: tuple[str, ...]
    limit: int
    offset: int
    snippets: int
    fingerprint: str

    def coverage_range(self, now: datetime) -> tuple[datetime | None, datetime]:
        """The range the search ran over, for its coverage. No `date_from`: every indexed call (None), since the
        search has no lower bound either."""
        start = aware(self.filters.date_from) if self.filters.date_from else None
        return start, aware(self.filters.date_to) if self.filters.date_to else now


def _fingerprint(parsed: ParsedQuery, filters: CallFilters) -> str:
    raw = repr((parsed.fingerprint(), sorted((k, str(v)) for k, v in vars(filters).items()))).encode()
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


def _decode_cursor(cursor: str, fingerprint: str) -> int:
    stale = LibraryQueryError(
        "The cursor does not belong to this search (or is damaged). Repeat the same query and filters with the "
        "cursor of its previous page, or leave the cursor out to start again."
    )
    if len(cursor) > 200:
        raise stale
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii") + b"=="))
    except (ValueError, UnicodeError, binascii.Error):
        raise stale from None
    if not isinstance(data, dict) or data.get("f") != fingerprint:
        raise stale
    offset = data.get("o")
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 < offset <= 100_000:
        raise stale
    return offset


def _encode_cursor(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def plan_search(query: SearchQuery) -> SearchPlan:
    """Check a search and parse its text; raises LibraryQueryError saying what to change."""
    if not 1 <= query.limit <= MAX_SEARCH_LIMIT:
        raise LibraryQueryError(f"limit must be between 1 and {MAX_SEARCH_LIMIT}.")
    if not 0 <= query.snippets_per_call <= MAX_SNIPPETS_PER_CALL:
        raise LibraryQueryError(f"snippets_per_call must be between 0 and {MAX_SNIPPETS_PER_CALL}.")
    check_filters(query.filters)
    parsed = parse_query(query.text)
    speaker_words = tuple(name_words(query.filters.speaker)) if query.filters.speaker else ()
    fingerprint = _fingerprint(parsed, query.filters)
    offset = _decode_cursor(query.cursor, fingerprint) if query.cursor else 0
    return SearchPlan(
        parsed=parsed,
        filters=query.filters,
        speaker_words=speaker_words,
        limit=query.limit,
        offset=offset,
        snippets=query.snippets_per_call if not parsed.is_empty else 0,
        fingerprint=fingerprint,
    )


def hit(call: CallRef, rank: float, stored: Mapping[str, Any] | None, plan: SearchPlan) -> SearchHit:
    """A search hit with snippets built from the stored JSON (`stored` None: no snippets asked for)."""
    snippets = (
        build_snippets(
            stored,
            plan.parsed,
            limit=plan.snippets,
            speaker=" ".join(plan.speaker_words) or None,
            side=plan.filters.speaker_side,
        )
        if stored is not None
        else ()
    )
    return SearchHit(call=call, rank=round(rank, 4), snippets=snippets)


def search_page(plan: SearchPlan, hits: list[SearchHit], total: int, coverage: Coverage) -> SearchPage:
    end = plan.offset + len(hits)
    cursor = _encode_cursor(end, plan.fingerprint) if end < total and hits else None
    return SearchPage(hits=tuple(hits), total_calls=total, next_cursor=cursor, coverage=coverage)
