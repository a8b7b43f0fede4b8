"""The PostgreSQL backend of the call library: the store, its connection pool and its writes.

Chosen by `RINGSENSE_DATABASE_URL=postgresql://…` (see docs/library.md and docs/deploy.md); several servers
share one database. The same store interface and the same answers as the SQLite backend: the query checks,
cursors, snippets, grouping and aggregation are the backend-neutral halves in `queries.py` and `snippets.py`, and
the reads both backends run with the same SQL (next steps, stats, coverage, stored calls, status) are in
`sql_reads.py`. The schema and its migrations are in `postgres_schema.py`, the search statement in
`postgres_text.py`, the connection settings and the driver-error messages in `postgres_connect.py`.

In the database, in a schema of its own (`ringsense`, so it can share a database with other applications):
`calls`, `call_json` (the insights JSON, zlib-compressed), `call_text` (the full-text index: a `tsvector` per call
for its AI sections and per speaker for the transcript, cut into parts, with a GIN index), `next_steps`,
`recordings`, `synced`, `state`, `leases`, and `schema_version` (one row per applied migration).

Full text: `postgres_text.py` writes the index as `tsvector` literals of the words the query side finds, and the
parsed query as a `tsquery`, so PostgreSQL's own parser (and `websearch_to_tsquery`'s language) never stand
between a query and the index. Snippets come from the stored call, by the same builder the SQLite backend uses, so
both quote the same lines with the same marks (`ts_headline` would mark a document, not a speaker's line with its
time).

Concurrency: a psycopg connection pool; upserts are `INSERT … ON CONFLICT … DO UPDATE … WHERE` the stored version
is older, so the later `lastModifiedTime` wins whatever order concurrent writers commit in; a per-recording
advisory lock orders an upsert with the call-log bookkeeping of the same recording. Migrations run under an
advisory lock, so replicas starting together migrate once.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import psycopg
import psycopg.errors
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from . import queries
from .errors import LibraryError, LibraryUnavailableError, LibraryWriteError
from .postgres_connect import (
    CONNECT_TIMEOUT,
    RETRYABLE,
    Connection,
    configure,
    connect_error,
    drop_library,
    redact_url,
    unavailable,
)
from .postgres_schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION, migrate
from .postgres_text import search_sql, tsvector_parts
from .sql_reads import WIDTH, Dialect, SqlReads, call_ref
from .store import (
    CallDocument,
    CallRef,
    RecordingEntry,
    RecordingState,
    SearchPage,
    SearchQuery,
    UpsertOutcome,
)

__all__ = [
    "MIGRATIONS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "PostgresStore",
    "drop_library",
    "open_store",
    "redact_url",
    "tsvector_parts",
]

T = TypeVar("T")

POOL_MIN = 1
POOL_MAX = 8  # per process; a team's replicas together need replicas × this under max_connections
POOL_TIMEOUT = 5.0  # seconds a query waits for a connection before the user hears "not answering"
RECONNECT_WINDOW = 10.0  # seconds the pool keeps retrying a lost server in the background
RETRIES = 3  # serialization failures and deadlocks are retried; they are normal under concurrency
ZLIB_LEVEL = 2  # as the SQLite backend: level 6 made blobs 10% smaller for 2.3× the CPU


# --- values ----------------------------------------------------------------------------------------------------


def _sec(moment: datetime | None) -> datetime | None:
    """Whole UTC seconds, as the SQLite backend keeps times, so both answer with the same values."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


# --- opening ---------------------------------------------------------------------------------------------------


async def open_store(
    url: str,
    *,
    min_size: int = POOL_MIN,
    max_size: int = POOL_MAX,
    pool_timeout: float = POOL_TIMEOUT,
) -> PostgresStore:
    """Connect to the PostgreSQL library at `url` (a `postgresql://` URL), creating and migrating its schema.

    Raises LibraryUnavailableError when the server cannot be reached or refuses the credentials (the message
    never shows the password), LibrarySchemaError when a newer ringsense-mcp wrote the schema.
    """
    where = redact_url(url)
    pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] = AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        timeout=pool_timeout,
        open=False,
        configure=configure,
        check=AsyncConnectionPool.check_connection,  # a server restarted since: stale connections are replaced
        # The pool retries a lost server with doubling delays; giving up after RECONNECT_WINDOW makes the next
        # request try at once, so a returning server is used within seconds, not after minutes of backoff.
        reconnect_timeout=RECONNECT_WINDOW,
        kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT, "fallback_application_name": "ringsense-mcp"},
        name="ringsense-library",
    )
    try:
        await pool.open(wait=True, timeout=pool_timeout)
        async with pool.connection() as connection:
            await migrate(connection, where)
    except LibraryError:
        await pool.close()
        raise
    except (psycopg.Error, PoolTimeout) as error:
        await pool.close()
        cause = await connect_error(url) if isinstance(error, PoolTimeout) else error
        raise unavailable(cause, where) from None
    return PostgresStore(url, pool)


# The later lastModifiedTime wins: a stored row is replaced only when it is older; a missing time counts as the
# oldest. The conflicting row stays locked to the end of the transaction either way.
_UPSERT_CALL = """INSERT INTO calls AS c (domain, record_id, session_id, title, started_at, duration, direction,
        owner_extension_id, owner_name, owner_words, external_number, numbers, speakers, ai_score,
        sentiment, last_modified, indexed_at, source, utterances, transcript_chars)
       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
       ON CONFLICT (domain, record_id) DO UPDATE SET session_id = excluded.session_id,
        title = excluded.title, started_at = excluded.started_at, duration = excluded.duration,
        direction = excluded.direction, owner_extension_id = excluded.owner_extension_id,
        owner_name = excluded.owner_name, owner_words = excluded.owner_words,
        external_number = excluded.external_number, numbers = excluded.numbers,
        speakers = excluded.speakers, ai_score = excluded.ai_score, sentiment = excluded.sentiment,
        last_modified = excluded.last_modified, indexed_at = excluded.indexed_at,
        source = excluded.source, utterances = excluded.utterances,
        transcript_chars = excluded.transcript_chars
       WHERE coalesce(c.last_modified, '-infinity') < coalesce(excluded.last_modified, '-infinity')
       RETURNING c.id, (xmax = 0) AS inserted"""


# --- the store -------------------------------------------------------------------------------------------------

_DIALECT = Dialect(
    mark="%s",
    owner_words="c.owner_words",
    synced=(
        "SELECT extract(epoch FROM start_at)::bigint, extract(epoch FROM end_at)::bigint FROM synced ORDER BY start_at"
    ),
    month="to_char(started_at, 'YYYY-MM')",
    version="SELECT coalesce(max(version), 0) FROM schema_version",
    binary=' COLLATE "C"',
    to_db=_sec,
    time=_utc,
    day=lambda day: day,
    modified=_utc,
)


@dataclass(frozen=True)
class _Prepared:
    """A document's rows, built outside the transaction."""

    document: CallDocument
    blob: bytes
    modified: datetime | None
    started: datetime | None
    owner_words: str
    text_rows: list[tuple[Any, ...]]
    step_rows: list[tuple[Any, ...]]

    @property
    def call(self) -> CallRef:
        return self.document.call

    @classmethod
    def of(cls, document: CallDocument) -> _Prepared:
        call = document.call
        steps = [
            (s.position, s.text, s.speaker, s.speaker_side, s.start_seconds, s.evidence, s.evidence_speaker, s.due,
             s.due_date)
            for s in document.next_steps
        ]  # fmt: skip
        return cls(
            document=document,
            blob=zlib.compress(document.insights_json, ZLIB_LEVEL),
            modified=_utc(document.last_modified_time),
            started=_sec(call.started_at),
            owner_words=f" {' '.join(queries.name_words(call.owner_name))} " if call.owner_name else " ",
            text_rows=[
                (section.slot, part, queries.name_words(section.speaker), section.side, literal)
                for section in document.sections
                for part, literal in enumerate(tsvector_parts(section.text))
            ],
            step_rows=steps,
        )


def _write_error(call: CallRef, error: Exception) -> LibraryWriteError:
    return LibraryWriteError(
        f"Recording {call.record_id} ({call.domain}) could not be stored ({type(error).__name__}); the other calls "
        "of its batch were.",
        domain=call.domain,
        record_id=call.record_id,
    )


class PostgresStore(SqlReads):
    """The PostgreSQL `LibraryStore`. Make one with `open_store(url)`; close with `aclose()`."""

    backend = "postgresql"
    dialect = _DIALECT

    def __init__(self, url: str, pool: AsyncConnectionPool[Connection]) -> None:
        self.location = redact_url(url)
        self._pool = pool
        self._closed = False
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    # -- plumbing ----------------------------------------------------------------------------------------------

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        if self._closed:
            raise LibraryUnavailableError("The call library is closed.")
        async with self._pool.connection() as connection:
            yield connection

    async def _run(self, work: Callable[[Connection], Awaitable[T]], *, write: bool) -> T:
        """Run `work` on a pooled connection (in one transaction when `write`), retrying serialization failures
        and deadlocks; any other driver error becomes a LibraryUnavailableError with an actionable message."""
        for attempt in range(RETRIES):
            try:
                async with self._connection() as connection:
                    if not write:
                        return await work(connection)
                    async with connection.transaction():
                        return await work(connection)
            except RETRYABLE as error:
                if attempt == RETRIES - 1:
                    raise unavailable(error, self.location) from None
            except (psycopg.Error, PoolTimeout) as error:
                raise unavailable(error, self.location) from None
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        async def work(connection: Connection) -> list[tuple[Any, ...]]:
            return await (await connection.execute(sql, params)).fetchall()

        return await self._run(work, write=False)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._pool.close()

    # -- writes ------------------------------------------------------------------------------------------------

    @staticmethod
    async def _lock_recordings(connection: Connection, keys: Sequence[tuple[str, str]]) -> None:
        """Transaction-scoped locks on recordings, in one order, so concurrent writers of one recording queue."""
        names = sorted({f"{domain}\x1f{record_id}" for domain, record_id in keys})
        await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(%s::text[]) AS k", (names,)
        )

    async def upsert(self, document: CallDocument) -> UpsertOutcome:
        result = (await self.upsert_many([document]))[0]
        if isinstance(result, LibraryError):
            raise result
        return result

    async def upsert_many(self, documents: Sequence[CallDocument]) -> list[UpsertOutcome | LibraryWriteError]:
        # The rows are built before the transaction opens (the tsvector text is most of an upsert's CPU), so the
        # transaction holds its locks only for the round trips.
        now = _sec(self.clock())
        prepared = [_Prepared.of(document) for document in documents]

        async def work(db: Connection) -> list[UpsertOutcome | LibraryWriteError]:
            await self._lock_recordings(db, [(p.call.domain, p.call.record_id) for p in prepared])
            results: list[UpsertOutcome | LibraryWriteError] = []
            for item in prepared:
                try:
                    async with db.transaction():  # a savepoint: a refused call is undone alone
                        results.append(await self._upsert_one(db, item, now))
                except (psycopg.OperationalError, psycopg.InterfaceError):
                    raise  # retryable conflicts, a lost connection: the whole batch's fate
                except Exception as error:  # any refusal of this one call is reported, the batch goes on
                    results.append(_write_error(item.call, error))
            return results

        return await self._run(work, write=True)

    @staticmethod
    async def _upsert_one(db: Connection, item: _Prepared, now: datetime | None) -> UpsertOutcome:
        call, document = item.call, item.document
        entry = await (
            await db.execute(
                "SELECT external_number, numbers, direction FROM recordings WHERE domain = %s AND record_id = %s",
                (call.domain, call.record_id),
            )
        ).fetchone()
        external = call.external_number or (entry[0] if entry else None)
        numbers = " ".join(dict.fromkeys([*document.numbers, *((entry[1] or "").split() if entry else [])]))
        direction = call.direction or (entry[2] if entry else None)
        started = item.started
        values = (
            call.domain, call.record_id, call.session_id, call.title, started, call.duration_seconds, direction,
            call.owner_extension_id, call.owner_name, item.owner_words, external, f" {numbers} ", document.speakers,
            call.ai_score, call.sentiment, item.modified, now, document.source, document.utterances,
            document.transcript_chars,
        )  # fmt: skip
        row = await (await db.execute(_UPSERT_CALL, values)).fetchone()
        if row is None:
            stored = await (
                await db.execute(
                    "SELECT last_modified FROM calls WHERE domain = %s AND record_id = %s",
                    (call.domain, call.record_id),
                )
            ).fetchone()
            return "unchanged" if stored is not None and stored[0] == item.modified else "stale"
        call_id, inserted = row
        if not inserted:
            await db.execute("DELETE FROM call_text WHERE call_id = %s", (call_id,))
            await db.execute("DELETE FROM next_steps WHERE call_id = %s", (call_id,))
        await db.execute(
            "INSERT INTO call_json (id, insights) VALUES (%s, %s) "
            "ON CONFLICT (id) DO UPDATE SET insights = excluded.insights",
            (call_id, item.blob),
        )
        async with db.cursor() as cursor:
            await cursor.executemany(
                "INSERT INTO call_text (call_id, slot, part, who, side, doc) VALUES (%s, %s, %s, %s, %s, %s::tsvector)",
                [(call_id, *text_row) for text_row in item.text_rows],
            )
            await cursor.executemany(
                """INSERT INTO next_steps (call_id, position, text, speaker, speaker_side, start, evidence,
                    evidence_speaker, due, due_date) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                [(call_id, *step_row) for step_row in item.step_rows],
            )
        await db.execute(
            """INSERT INTO recordings (domain, record_id, session_id, started_at, direction, owner_extension_id,
                external_number, numbers, state, attempts) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'indexed', 0)
               ON CONFLICT (domain, record_id) DO UPDATE SET state = 'indexed', retry_at = NULL,
                last_error = NULL""",
            (
                call.domain, call.record_id, call.session_id, started if started is not None else now,
                direction, call.owner_extension_id, external, numbers,
            ),
        )  # fmt: skip
        return "inserted" if inserted else "updated"

    async def remove(self, domain: str, record_ids: Sequence[str]) -> int:
        async def work(db: Connection) -> int:
            await self._lock_recordings(db, [(domain, record_id) for record_id in record_ids])
            cursor = await db.execute(
                "DELETE FROM calls WHERE domain = %s AND record_id = ANY(%s)", (domain, list(record_ids))
            )
            removed = cursor.rowcount
            await db.execute(
                "DELETE FROM recordings WHERE domain = %s AND record_id = ANY(%s)", (domain, list(record_ids))
            )
            return removed

        return await self._run(work, write=True)

    async def note_recordings(self, entries: Sequence[RecordingEntry]) -> None:
        rows = [
            (
                e.domain, e.record_id, e.session_id, _sec(e.started_at), e.direction, e.owner_extension_id,
                e.external_number, " ".join(e.numbers),
            )
            for e in entries
        ]  # fmt: skip
        if not rows:
            return

        async def work(db: Connection) -> None:
            await self._lock_recordings(db, [(row[0], row[1]) for row in rows])
            async with db.cursor() as cursor:
                await cursor.executemany(
                    """INSERT INTO recordings AS r (domain, record_id, session_id, started_at, direction,
                        owner_extension_id, external_number, numbers, state)
                       VALUES (%(domain)s, %(record_id)s, %(session_id)s, %(started)s, %(direction)s, %(owner)s,
                        %(external)s, %(numbers)s,
                        CASE WHEN EXISTS (SELECT 1 FROM calls WHERE domain = %(domain)s AND record_id = %(record_id)s)
                             THEN 'indexed' ELSE 'pending' END)
                       ON CONFLICT (domain, record_id) DO UPDATE SET
                        session_id = coalesce(excluded.session_id, r.session_id), started_at = excluded.started_at,
                        direction = coalesce(excluded.direction, r.direction),
                        external_number = coalesce(excluded.external_number, r.external_number),
                        numbers = excluded.numbers""",
                    [_named(row) for row in rows],
                )
                # The call log knows the external party's number; calls indexed from events may lack it.
                await cursor.executemany(
                    """UPDATE calls SET external_number = coalesce(external_number, %(external)s),
                        numbers = CASE WHEN %(numbers)s = '' THEN numbers ELSE numbers || %(numbers)s || ' ' END,
                        direction = coalesce(direction, %(direction)s)
                       WHERE domain = %(domain)s AND record_id = %(record_id)s
                        AND strpos(numbers, ' ' || %(numbers)s || ' ') = 0""",
                    [_named(row) for row in rows],
                )

        await self._run(work, write=True)

    async def set_recording_state(
        self,
        domain: str,
        record_id: str,
        state: RecordingState,
        *,
        attempts: int,
        retry_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        async def work(db: Connection) -> None:
            await db.execute(
                "UPDATE recordings SET state = %s, attempts = %s, retry_at = %s, last_error = %s "
                "WHERE domain = %s AND record_id = %s",
                (state, attempts, _sec(retry_at), error, domain, record_id),
            )

        await self._run(work, write=True)

    async def mark_synced(self, date_from: datetime, date_to: datetime, at: datetime) -> None:
        start, end, when = _epoch(_sec(date_from)), _epoch(_sec(date_to)), _sec(at)

        async def work(db: Connection) -> None:
            # One writer at a time rewrites the merged ranges.
            await db.execute("LOCK TABLE synced IN EXCLUSIVE MODE")
            rows = await (await db.execute("SELECT start_at, end_at FROM synced")).fetchall()
            ranges = [(int(s.timestamp()), int(e.timestamp())) for s, e in rows] + [(start or 0, end or 0)]
            merged = queries.merge_ranges(ranges)
            await db.execute("DELETE FROM synced")
            async with db.cursor() as cursor:
                await cursor.executemany(
                    "INSERT INTO synced (start_at, end_at, at) VALUES (to_timestamp(%s), to_timestamp(%s), %s)",
                    [(s, e, when) for s, e in merged],
                )
            await _set(db, "last_sync", str(_epoch(when)))

        await self._run(work, write=True)

    async def note_event(self, at: datetime) -> None:
        await self._set_state("last_event", str(_epoch(_sec(at))))

    async def get_checkpoint(self, name: str) -> str | None:
        rows = await self._all("SELECT value FROM state WHERE name = %s", (f"checkpoint:{name}",))
        return rows[0][0] if rows else None

    async def set_checkpoint(self, name: str, value: str | None) -> None:
        await self._set_state(f"checkpoint:{name}", value)

    async def _set_state(self, name: str, value: str | None) -> None:
        async def work(db: Connection) -> None:
            if value is None:
                await db.execute("DELETE FROM state WHERE name = %s", (name,))
            else:
                await _set(db, name, value)

        await self._run(work, write=True)

    async def acquire_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        now = _sec(self.clock())
        assert now is not None

        async def work(db: Connection) -> bool:
            # One statement: taken when free, expired, or already ours; two racing takers cannot both win.
            row = await (
                await db.execute(
                    """INSERT INTO leases AS l (name, holder, expires) VALUES (%s, %s, %s)
                       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
                       WHERE l.holder = excluded.holder OR l.expires <= %s
                       RETURNING 1""",
                    (name, holder, _sec(now + ttl), now),
                )
            ).fetchone()
            return row is not None

        return await self._run(work, write=True)

    async def release_lease(self, name: str, holder: str) -> None:
        async def work(db: Connection) -> None:
            await db.execute("DELETE FROM leases WHERE name = %s AND holder = %s", (name, holder))

        await self._run(work, write=True)

    # -- reads (next steps, stats, coverage and stored calls: sql_reads.SqlReads) ----------------------------------

    async def search(self, query: SearchQuery) -> SearchPage:
        plan = queries.plan_search(query)
        sql, params = search_sql(plan, self.dialect)

        async def work(db: Connection) -> tuple[list[tuple[Any, ...]], dict[int, bytes]]:
            rows = await (await db.execute(sql, params)).fetchall()
            blobs: dict[int, bytes] = {}
            if plan.snippets and rows:
                # Only the page's calls are decompressed, after ranking (as in the SQLite backend).
                found = await db.execute(
                    "SELECT id, insights FROM call_json WHERE id = ANY(%s)", ([row[0] for row in rows],)
                )
                blobs = {row[0]: bytes(row[1]) for row in await found.fetchall()}
            return rows, blobs

        rows, blobs = await self._run(work, write=False)
        total = int(rows[0][-1]) if rows else 0
        hits = []
        for row in rows:
            call = json.loads(zlib.decompress(blobs[row[0]])) if row[0] in blobs else None
            hits.append(queries.hit(call_ref(row, self.dialect), float(row[WIDTH]), call, plan))
        coverage = await self.coverage(*plan.coverage_range(self.clock()))
        return queries.search_page(plan, hits, total, coverage)

    async def _size_bytes(self) -> int:
        rows = await self._all(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
            (SCHEMA,),
        )
        return int(rows[0][0])


# --- SQL building blocks ---------------------------------------------------------------------------------------


def _named(row: tuple[Any, ...]) -> dict[str, Any]:
    keys = ("domain", "record_id", "session_id", "started", "direction", "owner", "external", "numbers")
    return dict(zip(keys, row, strict=True))


async def _set(db: Connection, name: str, value: str) -> None:
    await db.execute(
        "INSERT INTO state (name, value) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (name, value),
    )
