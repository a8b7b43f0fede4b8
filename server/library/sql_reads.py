"""The read side both backends share: call columns, filters, next steps, stats, coverage and stored calls.

SQLite and PostgreSQL run these statements as written, apart from what a `Dialect` says: the driver's placeholder,
how a time is stored, where the owner's folded name words come from and how the synced ranges are read.
Statements are written with `?`; `Dialect.sql` turns them into the driver's form. `SqlReads` answers the reader
methods with them through two backend hooks, `_all` (run a statement, return its rows) and `_size_bytes`, so a
backend module keeps only its plumbing, its writes and its full-text search.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from . import queries
from .ingest import parse_insights
from .store import (
    CallFilters,
    CallRef,
    Coverage,
    DateRange,
    LibraryStatus,
    MonthCoverage,
    NextStep,
    NextStepsQuery,
    NextStepsResult,
    RecordingEntry,
    RecordingState,
    StatsQuery,
    StatsResult,
    StoredCall,
)

__all__ = ["CALL_COLUMNS", "WIDTH", "Dialect", "SqlReads", "call_ref", "search_frame"]

_CALL_FIELDS = (
    "id", "record_id", "session_id", "domain", "title", "started_at", "duration", "direction",
    "owner_extension_id", "owner_name", "external_number", "ai_score", "sentiment",
)  # fmt: skip
CALL_COLUMNS = ", ".join(f"c.{name}" for name in _CALL_FIELDS)  # the first columns of every row of calls read
WIDTH = len(_CALL_FIELDS)


@dataclass(frozen=True)
class Dialect:
    """What differs between the backends' read statements.

    `mark` is the driver's placeholder; `owner_words` the SQL expression of the owner's folded name words between
    spaces (" jose nunez "); `to_db` turns an aware datetime into the stored time (SQLite: epoch seconds,
    PostgreSQL: a whole-second timestamptz); `time`, `day` and `modified` read a stored time, due date and
    `last_modified` back (None stays None). `synced` reads the synced ranges as epoch seconds, in order; `month`
    is a recording's "YYYY-MM"; `version` reads the schema version; `binary` is the collation that orders text by
    its bytes (SQLite's default), so both backends list recordings in one order.
    """

    mark: str
    owner_words: str
    synced: str
    month: str
    version: str
    binary: str
    to_db: Callable[[datetime | None], Any]
    time: Callable[[Any], datetime | None]
    day: Callable[[Any], date | None]
    modified: Callable[[Any], datetime | None]

    def sql(self, text: str) -> str:
        """`text` with every `?` as the driver's placeholder (no statement of the library holds a literal `?`, and
        none given to PostgreSQL a literal `%`)."""
        return text if self.mark == "?" else text.replace("?", self.mark)


def _where(conditions: Sequence[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def call_ref(row: Sequence[Any], dialect: Dialect) -> CallRef:
    """The CallRef of a row that starts with CALL_COLUMNS."""
    return CallRef(
        record_id=row[1],
        session_id=row[2],
        domain=row[3],
        title=row[4],
        started_at=dialect.time(row[5]),
        duration_seconds=row[6],
        direction=row[7],
        owner_extension_id=row[8],
        owner_name=row[9],
        external_number=row[10],
        ai_score=row[11],
        sentiment=row[12],
    )


# --- filters ---------------------------------------------------------------------------------------------------


def _owner(dialect: Dialect, owner: str) -> tuple[str, list[Any]]:
    """An extension id matches exactly; otherwise every word must start a word of the owner's name, both folded as
    query words are (so "jose" finds José, "brien" O'Brien)."""
    owner_words = queries.name_words(owner)
    if owner.strip().isdigit() or not owner_words:
        return "c.owner_extension_id = ?", [owner.strip()]
    likes = " AND ".join(f"{dialect.owner_words} LIKE ? ESCAPE '\\'" for _ in owner_words)
    return f"({likes})", [f"% {queries.like_escape(word)}%" for word in owner_words]


def _call_filters(dialect: Dialect, filters: CallFilters) -> tuple[list[str], list[Any]]:
    """Conditions on `calls c` (written with `?`) and their parameters, for every filter set in `filters`.
    The speaker filters are not here: they are conditions on the full-text index, which each backend writes."""
    conditions: list[str] = []
    params: list[Any] = []
    if filters.date_from is not None:
        conditions.append("c.started_at >= ?")
        params.append(dialect.to_db(filters.date_from))
    if filters.date_to is not None:
        conditions.append("c.started_at < ?")
        params.append(dialect.to_db(filters.date_to))
    if filters.direction:
        conditions.append("c.direction = ?")
        params.append(filters.direction)
    if filters.domain:
        conditions.append("c.domain = ?")
        params.append(filters.domain)
    if filters.owner:
        clause, values = _owner(dialect, filters.owner)
        conditions.append(clause)
        params += values
    if filters.phone_number:
        conditions.append("c.numbers LIKE ? ESCAPE '\\'")
        params.append(f"%{queries.phone_digits(filters.phone_number)} %")
    if filters.min_score is not None:
        conditions.append("c.ai_score >= ?")
        params.append(filters.min_score)
    if filters.max_score is not None:
        conditions.append("c.ai_score <= ?")
        params.append(filters.max_score)
    return conditions, params


def search_frame(plan: queries.SearchPlan, dialect: Dialect, *, speaker: bool) -> tuple[str, str, str, list[Any]]:
    """FROM, score and WHERE of a search whose CTEs the backend wrote: `g0`…`gN` (one per AND group, each with
    `call_id` and `score`), `nx` (calls with an excluded word) and, with `speaker` conditions and no group, `sp`
    (calls where that speaker spoke). Returns (source, score, where, where's parameters), all with `?`."""
    groups = len(plan.parsed.all_of)
    if groups:
        score = " + ".join(f"g{i}.score" for i in range(groups))
        joins = "".join(f" JOIN g{i} ON g{i}.call_id = g0.call_id" for i in range(1, groups))
        source = f"g0{joins} JOIN calls c ON c.id = g0.call_id"
    else:
        score = "0.0"
        source = "calls c" + (" JOIN sp ON sp.call_id = c.id" if speaker else "")
    conditions, params = _call_filters(dialect, plan.filters)
    if plan.parsed.none_of:
        conditions.insert(0, "c.id NOT IN (SELECT call_id FROM nx)")
    return source, score, _where(conditions), params


# --- next steps, stats, coverage and stored calls --------------------------------------------------------------


def _range_filters(dialect: Dialect, query: NextStepsQuery | StatsQuery, **more: Any) -> tuple[str, list[Any]]:
    queries.check_range(query.date_from, query.date_to)
    conditions, params = _call_filters(
        dialect,
        CallFilters(date_from=query.date_from, date_to=query.date_to, owner=query.owner, direction=query.direction,
                    **more),
    )  # fmt: skip
    return _where(conditions), params


def _next_steps(rows: Sequence[Sequence[Any]], dialect: Dialect) -> list[NextStep]:
    refs: dict[Any, CallRef] = {}
    steps = []
    for row in rows:
        ref = refs.get(row[0])
        if ref is None:
            ref = refs[row[0]] = call_ref(row, dialect)
        text, speaker, side, start, evidence, evidence_speaker, due, due_date = row[WIDTH:]
        steps.append(
            queries.next_step(ref, text, speaker, side, start, evidence, evidence_speaker, due, dialect.day(due_date))
        )
    return steps


_NEXT_STEPS = (
    f"SELECT {CALL_COLUMNS}, n.text, n.speaker, n.speaker_side, n.start, n.evidence, n.evidence_speaker, n.due, "
    "n.due_date FROM next_steps n JOIN calls c ON c.id = n.call_id"
)
_COVERAGE_COUNTS = "SELECT state, count(*) FROM recordings WHERE started_at >= ? AND started_at < ? GROUP BY state"
_SYNC_STATE = "SELECT name, value FROM state WHERE name IN ('last_sync', 'last_event')"
_STORED = (
    f"SELECT {CALL_COLUMNS}, c.last_modified, c.indexed_at, c.source, j.insights "
    "FROM calls c JOIN call_json j ON j.id = c.id WHERE c.domain = ? AND c.{by} = ? "
    "ORDER BY c.started_at NULLS FIRST, c.id"
)


_RECORDINGS = (
    "SELECT domain, record_id, session_id, started_at, direction, owner_extension_id, external_number, numbers, "
    "state, attempts, retry_at, last_error FROM recordings WHERE started_at >= ? AND started_at < ?"
)
_MONTHS = (
    "SELECT {month} AS month, count(*), sum(CASE WHEN state = 'indexed' THEN 1 ELSE 0 END), "
    "sum(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) FROM recordings GROUP BY month ORDER BY month"
)


def _epoch_time(seconds: Any) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(int(seconds), UTC)


class SqlReads:
    """The reads both backends answer with the same SQL: `LibraryReader`'s next steps, stats, coverage, stored
    calls and status, and the sync's `recordings`.

    A backend sets `dialect`, `backend`, `location` and a `clock`, and implements `_all` and `_size_bytes`; it
    writes `search` itself (the full-text SQL differs). Raises what `_all` raises, and `LibraryQueryError` for bad
    arguments.
    """

    dialect: ClassVar[Dialect]
    backend: ClassVar[str]
    location: str
    clock: Callable[[], datetime]

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one read statement (in the driver's form) and return its rows."""
        raise NotImplementedError

    async def _size_bytes(self) -> int:
        """The library's size on disk."""
        raise NotImplementedError

    async def get_by_record(self, record_id: str, domain: str = "pbx") -> StoredCall | None:
        found = await self._stored("record_id", domain, record_id)
        return found[0] if found else None

    async def get_by_session(self, session_id: str, domain: str = "pbx") -> list[StoredCall]:
        return await self._stored("session_id", domain, session_id)

    async def _stored(self, by: str, domain: str, key: str) -> list[StoredCall]:
        rows = await self._all(self.dialect.sql(_STORED.format(by=by)), (domain, key))
        return [
            StoredCall(
                call=call_ref(row, self.dialect),
                insights=parse_insights(zlib.decompress(row[-1])),
                last_modified_time=self.dialect.modified(row[-4]),
                indexed_at=self.dialect.time(row[-3]) or self.clock(),
                source=row[-2],
            )
            for row in rows
        ]

    async def next_steps(self, query: NextStepsQuery) -> NextStepsResult:
        conditions, params = _range_filters(self.dialect, query)
        sql = f"{_NEXT_STEPS}{conditions} ORDER BY c.started_at, c.id, n.position"
        rows = await self._all(self.dialect.sql(sql), params)
        coverage = await self.coverage(query.date_from, query.date_to)
        return queries.group_next_steps(query, _next_steps(rows, self.dialect), coverage)

    async def stats(self, query: StatsQuery) -> StatsResult:
        conditions, params = _range_filters(self.dialect, query, phone_number=query.phone_number, domain=query.domain)
        rows = await self._all(self.dialect.sql(f"SELECT {CALL_COLUMNS} FROM calls c{conditions}"), params)
        coverage = await self.coverage(query.date_from, query.date_to)
        return queries.aggregate(query, [call_ref(row, self.dialect) for row in rows], coverage)

    async def coverage(self, date_from: datetime | None, date_to: datetime) -> Coverage:
        dialect = self.dialect
        bounds = (dialect.to_db(date_from or queries.EPOCH), dialect.to_db(date_to))
        counts = await self._all(dialect.sql(_COVERAGE_COUNTS), bounds)
        synced = await self._all(dialect.synced)
        state = await self._all(_SYNC_STATE)
        first = None
        if date_from is None:  # the whole library: from its first recording (or synced day, see queries.coverage)
            earliest = dialect.time((await self._all("SELECT min(started_at) FROM recordings"))[0][0])
            first = int(earliest.timestamp()) if earliest else None
        return queries.coverage(
            date_from,
            date_to,
            counts={name: int(n) for name, n in counts},
            synced=[(int(start), int(end)) for start, end in synced],
            state=dict(state),
            first_recording=first,
        )

    async def recordings(
        self,
        date_from: datetime,
        date_to: datetime,
        *,
        states: Sequence[RecordingState] | None = None,
        due_before: datetime | None = None,
    ) -> list[RecordingEntry]:
        dialect = self.dialect
        sql, params = _RECORDINGS, [dialect.to_db(date_from), dialect.to_db(date_to)]
        if states is not None:
            if not states:
                return []
            sql += f" AND state IN ({', '.join('?' * len(states))})"
            params += list(states)
        if due_before is not None:
            sql += " AND (retry_at IS NULL OR retry_at <= ?)"
            params.append(dialect.to_db(due_before))
        sql += f" ORDER BY started_at, record_id{dialect.binary}"
        return [
            RecordingEntry(
                domain=row[0],
                record_id=row[1],
                session_id=row[2],
                started_at=dialect.time(row[3]) or self.clock(),
                direction=row[4],
                owner_extension_id=row[5],
                external_number=row[6],
                numbers=tuple((row[7] or "").split()),
                state=row[8],
                attempts=row[9],
                retry_at=dialect.time(row[10]),
                last_error=row[11],
            )
            for row in await self._all(dialect.sql(sql), params)
        ]

    async def status(self) -> LibraryStatus:
        dialect = self.dialect
        counts = {
            state: int(n) for state, n in await self._all("SELECT state, count(*) FROM recordings GROUP BY state")
        }
        calls = (await self._all("SELECT count(*) FROM calls"))[0][0]
        months = await self._all(_MONTHS.format(month=dialect.month))
        synced = await self._all(dialect.synced)
        state = dict(await self._all(_SYNC_STATE))
        version = (await self._all(dialect.version))[0][0]
        return LibraryStatus(
            backend=self.backend,
            location=self.location,
            schema_version=int(version),
            size_bytes=await self._size_bytes(),
            calls=int(calls),
            pending=counts.get("pending", 0),
            not_analysed=counts.get("not_analysed", 0),
            failed=counts.get("failed", 0),
            last_sync=_epoch_time(state.get("last_sync")),
            last_event=_epoch_time(state.get("last_event")),
            synced=tuple(DateRange(_epoch_time(s), _epoch_time(e)) for s, e in synced),  # type: ignore[arg-type]
            by_month=tuple(MonthCoverage(m, int(n), int(i or 0), int(p or 0)) for m, n, i, p in months),
        )
