"""Backend-neutral halves of the library's queries: argument checks, cursors, snippets, grouping and aggregation.

A backend runs the SQL and hands rows here, so SQLite and PostgreSQL answer with the same shapes and the same
errors.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .errors import LibraryQueryError
from .query import ParsedQuery, fold, parse_query, words
from .snippets import build_snippets
from .store import (
    MAX_SEARCH_LIMIT,
    MAX_SNIPPETS_PER_CALL,
    CallFilters,
    CallRef,
    Coverage,
    DateRange,
    NextStep,
    NextStepGroup,
    NextStepsQuery,
    NextStepsResult,
    SearchHit,
    SearchPage,
    SearchQuery,
    StatsQuery,
    StatsResult,
    StatsRow,
    Trend,
)

__all__ = [
    "SearchPlan",
    "aggregate",
    "check_range",
    "coverage",
    "group_next_steps",
    "hit",
    "like_escape",
    "merge_ranges",
    "name_words",
    "next_step",
    "phone_digits",
    "plan_search",
    "search_page",
    "spaced_name_words",
    "subtract_ranges",
]

MAX_RANGE_DAYS = 400  # RingSense keeps a year; a wider range is a mistake, not a question
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the lower bound of a range without one
_DIRECTIONS = ("Inbound", "Outbound")
_SIDES = ("internal", "external")
_TREND_EPSILON = 0.25  # AI-score points: smaller moves are "flat"


# --- argument checks -------------------------------------------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def check_range(date_from: datetime, date_to: datetime) -> None:
    """Raise LibraryQueryError unless `date_from < date_to` and the range is at most MAX_RANGE_DAYS."""
    if _aware(date_from) >= _aware(date_to):
        raise LibraryQueryError("date_from must be earlier than date_to.")
    if _aware(date_to) - _aware(date_from) > timedelta(days=MAX_RANGE_DAYS):
        raise LibraryQueryError(
            f"The range is longer than {MAX_RANGE_DAYS} days; RingSense keeps about a year. Ask for a shorter range."
        )


def phone_digits(number: str) -> str:
    """The digits of a phone-number filter; raises LibraryQueryError for one with fewer than 3 digits."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 3 or len(digits) > 15:
        raise LibraryQueryError(
            "phone_number needs 3 to 15 digits (a full number such as +16505550142, or its last digits)."
        )
    return digits


def name_words(name: str) -> list[str]:
    """Folded words of a person's name, for owner and speaker filters."""
    return [fold(word) for word in words(name)]


@functools.lru_cache(maxsize=4096)  # a team has few owners; a filter calls this once per row
def spaced_name_words(name: str | None) -> str:
    """A name's folded words between spaces (" jose nunez o brien "), so `LIKE '% word%'` finds a word's start."""
    return f" {' '.join(name_words(name))} " if name else " "


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _check_filters(filters: CallFilters) -> None:
    if filters.date_from is not None and filters.date_to is not None:
        check_range(filters.date_from, filters.date_to)
    if filters.direction is not None and filters.direction not in _DIRECTIONS:
        raise LibraryQueryError("direction must be Inbound or Outbound.")
    if filters.speaker_side is not None and filters.speaker_side not in _SIDES:
        raise LibraryQueryError("speaker_side must be internal or external.")
    for name, value in (("min_score", filters.min_score), ("max_score", filters.max_score)):
        if value is not None and not 0 <= value <= 10:
            raise LibraryQueryError(f"{name} must be between 0 and 10 (RingSense AI scores are 0–10).")
    if filters.min_score is not None and filters.max_score is not None and filters.min_score > filters.max_score:
        raise LibraryQueryError("min_score must not be greater than max_score.")
    if filters.phone_number is not None:
        phone_digits(filters.phone_number)
    if filters.speaker is not None and not name_words(filters.speaker):
        raise LibraryQueryError("speaker must contain a name (letters), e.g. Dana or Karen Halvorsen.")
    if filters.owner is not None and not filters.owner.strip():
        raise LibraryQueryError("owner must be an extension id or a name.")
    if (filters.speaker is not None and len(filters.speaker) > 100) or (filters.owner and len(filters.owner) > 100):
        raise LibraryQueryError("speaker and owner are names: at most 100 characters.")


# --- search ----------------------------------------------------------------------------------------------------


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
        start = _aware(self.filters.date_from) if self.filters.date_from else None
        return start, _aware(self.filters.date_to) if self.filters.date_to else now


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
    _check_filters(query.filters)
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


# --- next steps ------------------------------------------------------------------------------------------------


def next_step(
    call: CallRef,
    text: str,
    speaker: str | None,
    side: str | None,
    start: float | None,
    evidence: str | None,
    evidence_speaker: str | None,
    due: str | None,
    due_date: date | None,
) -> NextStep:
    return NextStep(
        call=call,
        text=text,
        speaker=speaker,
        speaker_side=side if side in _SIDES else None,  # type: ignore[arg-type]  # checked just here
        start_seconds=start,
        evidence=evidence,
        evidence_speaker=evidence_speaker,
        due=due,
        due_date=due_date,
    )


def group_next_steps(query: NextStepsQuery, steps: list[NextStep], coverage: Coverage) -> NextStepsResult:
    if query.group_by not in ("owner", "call"):
        raise LibraryQueryError("group_by must be owner or call.")
    if query.limit is not None and query.limit < 1:
        raise LibraryQueryError("limit must be at least 1.")
    total = len(steps)
    kept = steps if query.limit is None else steps[: query.limit]
    groups: dict[str, list[NextStep]] = {}
    labels: dict[str, str] = {}
    for step in kept:
        if query.group_by == "owner":
            key = step.call.owner_extension_id or "unknown"
            label = step.call.owner_name or (f"extension {key}" if key != "unknown" else "unknown owner")
        else:
            key, label = step.call.record_id, step.call.title
        groups.setdefault(key, []).append(step)
        labels.setdefault(key, label)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), labels[item[0]].lower()))
    if query.group_by == "call":
        ordered = list(groups.items())  # already in call order
    return NextStepsResult(
        groups=tuple(NextStepGroup(key, labels[key], tuple(items)) for key, items in ordered),
        total=total,
        truncated=len(kept) < total,
        coverage=coverage,
    )


# --- stats -----------------------------------------------------------------------------------------------------


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _periods(query: StatsQuery) -> list[tuple[str, str]]:
    """(key, label) of every day or week of the range, in order."""
    start, end = _aware(query.date_from).date(), (_aware(query.date_to) - timedelta(microseconds=1)).date()
    step = timedelta(days=1 if query.group_by == "day" else 7)
    current = start if query.group_by == "day" else _week_start(start)
    out = []
    while current <= end:
        out.append(_period(current, query.group_by))
        current += step
    return out


def _period(day: date, group_by: str) -> tuple[str, str]:
    if group_by == "day":
        return day.isoformat(), day.strftime("%a %d %b %Y")
    monday = _week_start(day)
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}", f"week of {monday.strftime('%d %b %Y')}"


def _key(call: CallRef, group_by: str) -> tuple[str, str]:
    if group_by == "owner":
        key = call.owner_extension_id or "unknown"
        return key, call.owner_name or (f"extension {key}" if key != "unknown" else "unknown owner")
    if group_by == "external_number":
        return (call.external_number or "unknown"), (call.external_number or "unknown number")
    if group_by == "direction":
        return (call.direction or "unknown"), (call.direction or "unknown direction")
    day = (call.started_at or datetime.now(UTC)).date()
    return _period(day, group_by)


@dataclass
class _Tally:
    calls: int = 0
    talk: float = 0.0
    scores: list[float] | None = None
    sentiment: Counter[str] | None = None

    def add(self, call: CallRef) -> None:
        self.calls += 1
        self.talk += call.duration_seconds or 0.0
        if call.ai_score is not None:
            self.scores = [*(self.scores or []), call.ai_score]
        if call.sentiment:
            self.sentiment = self.sentiment or Counter()
            self.sentiment[call.sentiment] += 1

    @property
    def avg(self) -> float | None:
        return round(sum(self.scores) / len(self.scores), 2) if self.scores else None


def _trend(basis: str, before: _Tally, after: _Tally) -> Trend:
    score_change = round(after.avg - before.avg, 2) if before.avg is not None and after.avg is not None else None
    calls_change = after.calls - before.calls
    if score_change is not None:
        moved = "up" if score_change > _TREND_EPSILON else "down" if score_change < -_TREND_EPSILON else "flat"
    else:
        moved = "up" if calls_change > 0 else "down" if calls_change < 0 else "flat"
    return Trend(basis=basis, calls_change=calls_change, score_change=score_change, direction=moved)  # type: ignore[arg-type]


def _row(key: str, label: str, tally: _Tally, trend: Trend | None) -> StatsRow:
    return StatsRow(
        key=key,
        label=label,
        calls=tally.calls,
        talk_seconds=round(tally.talk, 1),
        scored_calls=len(tally.scores or []),
        avg_score=tally.avg,
        sentiment=dict(tally.sentiment or {}),
        trend=trend,
    )


def aggregate(query: StatsQuery, calls: Iterable[CallRef], coverage: Coverage) -> StatsResult:
    """Group and total the calls of the range; trends by halves of the range or against the previous period."""
    if query.group_by not in ("owner", "external_number", "direction", "day", "week"):
        raise LibraryQueryError("group_by must be owner, external_number, direction, day or week.")
    middle = _aware(query.date_from) + (_aware(query.date_to) - _aware(query.date_from)) / 2
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    halves: dict[str, tuple[_Tally, _Tally]] = defaultdict(lambda: (_Tally(), _Tally()))
    labels: dict[str, str] = {}
    total = _Tally()
    total_halves = (_Tally(), _Tally())
    for call in calls:
        key, label = _key(call, query.group_by)
        labels.setdefault(key, label)
        tallies[key].add(call)
        total.add(call)
        late = call.started_at is not None and call.started_at >= middle
        halves[key][late].add(call)
        total_halves[late].add(call)
    rows: list[StatsRow] = []
    if query.group_by in ("day", "week"):
        previous: _Tally | None = None
        for key, label in _periods(query):
            tally = tallies.get(key, _Tally())
            rows.append(_row(key, label, tally, _trend("previous", previous, tally) if previous else None))
            previous = tally
    else:
        for key in sorted(tallies, key=lambda k: (-tallies[k].calls, labels[k].lower())):
            rows.append(_row(key, labels[key], tallies[key], _trend("halves", *halves[key])))
    totals = _row("all", "all calls", total, _trend("halves", *total_halves))
    return StatsResult(group_by=query.group_by, rows=tuple(rows), totals=totals, coverage=coverage)


# --- coverage --------------------------------------------------------------------------------------------------


def _from_epoch(seconds: int | str | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(int(seconds), UTC)


def coverage(
    date_from: datetime | None,
    date_to: datetime,
    *,
    counts: Mapping[str, int],
    synced: Sequence[tuple[int, int]],
    state: Mapping[str, str],
    first_recording: int | None = None,
) -> Coverage:
    """The coverage of `[date_from, date_to)` from what a backend read: recordings of the range by state, the
    synced ranges (epoch seconds, in order), the `state` table's `last_sync`/`last_event`, and, for `date_from`
    None (the whole library), the start of its first recording. The whole library's range starts at its first
    known call or synced day, so its gaps are only those inside what the library knows."""
    end = int(_aware(date_to).timestamp())
    if date_from is None:
        known = [synced[0][0]] if synced else []
        known += [first_recording] if first_recording is not None else []
        start = min([*known, end])
        # Nothing known before date_to: an empty range, exactly (not "date_to cut to the second → date_to").
        shown_from = datetime.fromtimestamp(start, UTC) if start < end else date_to
    else:
        start = int(_aware(date_from).timestamp())
        shown_from = date_from
    gaps = subtract_ranges((start, end), synced)
    return Coverage(
        date_from=shown_from,
        date_to=date_to,
        recorded=sum(counts.values()),
        indexed=counts.get("indexed", 0),
        pending=counts.get("pending", 0),
        not_analysed=counts.get("not_analysed", 0),
        failed=counts.get("failed", 0),
        unsynced=tuple(DateRange(datetime.fromtimestamp(s, UTC), datetime.fromtimestamp(e, UTC)) for s, e in gaps),
        last_sync=_from_epoch(state.get("last_sync")),
        last_event=_from_epoch(state.get("last_event")),
        whole_library=date_from is None,
    )


# --- ranges ----------------------------------------------------------------------------------------------------


def merge_ranges(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching [start, end) ranges merged, in order."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(r for r in ranges if r[0] < r[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def subtract_ranges(wanted: tuple[int, int], covered: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of `wanted` no range of `covered` includes."""
    gaps = []
    cursor, end = wanted
    for start, stop in merge_ranges(covered):
        if stop <= cursor or start >= end:
            continue
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, stop)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps
