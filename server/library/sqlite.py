"""The SQLite backend of the call library: the store and its writes (its connections are in `sqlite_connect.py`).

On disk (see docs/library.md): `calls` (one narrow row per recording), `call_json` (its insights JSON,
zlib-compressed, apart so that scans of `calls` stay small), a contentless FTS5 table `call_text` (the index only:
one row per call for its AI sections and one per speaker for the transcript, rowid = call id × 256 + slot),
`next_steps`, `recordings` (what the call log says exists, and whether it is indexed, pending analysis, not
analysed or failed), `synced` (call-log ranges read) and `state` (checkpoints, last sync, last event).

The SQL is in four places: the schema and its migrations in `sqlite_schema.py`, the search statement in
`sqlite_text.py`, the reads both backends share in `sql_reads.py` (next steps, stats, coverage, stored calls,
status), and the writes here.

Concurrency: WAL, a busy timeout, `BEGIN IMMEDIATE` for every write, short transactions, and a retry on top, so
two servers and a `sync` can share one file. Queries run in a worker thread: one connection reads, another writes,
so a long sync never holds up a search.
"""

from __future__ import annotations

import heapq
import sqlite3
import time
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import pydantic_core

from . import queries
from .errors import LibraryError, LibraryUnavailableError, LibraryWriteError
from .ingest import build_document, parse_insights
from .sql_reads import CALL_COLUMNS, Dialect, SqlReads, call_ref
from .sqlite_connect import BUSY_TIMEOUT_MS, SqliteConnection, busy, open_sync
from .sqlite_schema import MIGRATIONS, SCHEMA_VERSION
from .sqlite_text import SLOT_BITS, search_sql
from .store import (
    CallDocument,
    RecordingEntry,
    RecordingState,
    SearchPage,
    SearchQuery,
    UpsertOutcome,
)

__all__ = ["BUSY_TIMEOUT_MS", "MIGRATIONS", "SCHEMA_VERSION", "SqliteStore", "open_store"]

T = TypeVar("T")

BUSY_RETRY_TOTAL = 30.0  # then our retries, in seconds, before a user hears "busy"
ZLIB_LEVEL = 2  # level 6 made blobs 10% smaller for 2.3× the CPU (docs/benchmarks.md): ingest speed matters more


def _ts(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _dt(seconds: int | float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


_DIALECT = Dialect(
    mark="?",
    owner_words="name_words(c.owner_name)",
    synced="SELECT start, end FROM synced ORDER BY start",
    month="strftime('%Y-%m', started_at, 'unixepoch')",
    version="PRAGMA user_version",
    binary="",
    to_db=_ts,
    time=_dt,
    day=lambda text: date.fromisoformat(text) if text else None,
    modified=lambda text: datetime.fromisoformat(text) if text else None,  # ISO-8601, as written by upsert
)


def _write_error(document: CallDocument, error: Exception) -> LibraryWriteError:
    call = document.call
    return LibraryWriteError(
        f"Recording {call.record_id} ({call.domain}) could not be stored ({type(error).__name__}); the other calls "
        "of its batch were.",
        domain=call.domain,
        record_id=call.record_id,
    )


async def open_store(path: Path) -> SqliteStore:
    """Open (creating and migrating as needed) the library at `path`.

    Raises LibrarySchemaError for a file from a newer version or not a library, LibraryUnavailableError when the
    file cannot be opened.
    """
    try:
        writer, reader = await anyio.to_thread.run_sync(open_sync, path)
    except OSError as error:
        raise LibraryUnavailableError(
            f"The call library at {path} cannot be opened ({error.strerror or type(error).__name__}). Check the "
            "directory's permissions, or set RINGSENSE_DATA_DIR to another directory."
        ) from None
    return SqliteStore(path, writer, reader)


class SqliteStore(SqlReads):
    """The SQLite `LibraryStore`. Make one with `open_store(path)`; close with `aclose()`."""

    backend = "sqlite"
    dialect = _DIALECT

    def __init__(self, path: Path, writer: SqliteConnection, reader: SqliteConnection) -> None:
        self.path = path
        self.location = str(path)
        self._writer = writer
        self._reader = reader
        self._closed = False
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    # -- plumbing ----------------------------------------------------------------------------------------------

    async def _run(self, connection: SqliteConnection, work: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
        if self._closed:
            raise LibraryUnavailableError("The call library is closed.")
        return await anyio.to_thread.run_sync(self._blocking, connection, work, write, limiter=connection.limiter)

    def _blocking(self, connection: SqliteConnection, work: Callable[[sqlite3.Connection], T], write: bool) -> T:
        deadline = time.monotonic() + BUSY_RETRY_TOTAL
        delay = 0.05
        while True:
            try:
                with connection.lock:
                    db = connection.db
                    if not write:
                        return work(db)
                    db.execute("BEGIN IMMEDIATE")
                    try:
                        result = work(db)
                    except BaseException:
                        db.execute("ROLLBACK")
                        raise
                    db.execute("COMMIT")
                    return result
            except sqlite3.OperationalError as error:
                if not busy(error) or time.monotonic() + delay > deadline:
                    raise self._unavailable(error) from None
                time.sleep(delay)  # in a worker thread: the event loop keeps running
                delay = min(delay * 2, 1.0)
            except LibraryError:
                raise
            except sqlite3.Error as error:
                raise self._unavailable(error) from None

    def _unavailable(self, error: sqlite3.Error) -> LibraryUnavailableError:
        if isinstance(error, sqlite3.OperationalError) and busy(error):
            return LibraryUnavailableError(
                "The call library stayed busy (another ringsense-mcp is writing to it); try again in a moment."
            )
        if isinstance(error, sqlite3.OperationalError) and "disk" in str(error).lower():
            return LibraryUnavailableError("The call library cannot be written: the disk is full or read-only.")
        return LibraryUnavailableError(
            f"The call library at {self.path} could not answer ({type(error).__name__}). If it persists, rebuild it: "
            "`ringsense-mcp library forget`, then `ringsense-mcp sync`."
        )

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await anyio.to_thread.run_sync(self._writer.close)
        await anyio.to_thread.run_sync(self._reader.close)

    # -- writes ------------------------------------------------------------------------------------------------

    @staticmethod
    def _index(db: sqlite3.Connection, call_id: int, document: CallDocument, *, delete: bool = False) -> None:
        rows = [
            (*(("delete",) if delete else ()), (call_id << SLOT_BITS) | s.slot, s.text, s.speaker, s.side or "")
            for s in document.sections
        ]
        if delete:
            db.executemany("INSERT INTO call_text (call_text, rowid, text, who, side) VALUES (?, ?, ?, ?, ?)", rows)
        else:
            db.executemany("INSERT INTO call_text (rowid, text, who, side) VALUES (?, ?, ?, ?)", rows)

    @staticmethod
    def _unindex(db: sqlite3.Connection, call_id: int, blob: bytes) -> None:
        """Remove a call's rows from the contentless index: FTS5 needs the exact text it indexed, rebuilt here
        from the stored JSON by the same code that built it."""
        old = build_document(parse_insights(zlib.decompress(blob)))
        SqliteStore._index(db, call_id, old, delete=True)

    async def upsert(self, document: CallDocument) -> UpsertOutcome:
        result = (await self.upsert_many([document]))[0]
        if isinstance(result, LibraryError):
            raise result
        return result

    async def upsert_many(self, documents: Sequence[CallDocument]) -> list[UpsertOutcome | LibraryWriteError]:
        now = _ts(self.clock()) or 0

        def work(db: sqlite3.Connection) -> list[UpsertOutcome | LibraryWriteError]:
            results: list[UpsertOutcome | LibraryWriteError] = []
            for document in documents:
                # A savepoint per call: one the database refuses is undone alone, the rest of the batch commits.
                db.execute("SAVEPOINT call")
                try:
                    results.append(self._upsert_one(db, document, now))
                except sqlite3.OperationalError:
                    raise  # busy, disk full, I/O: the whole transaction's fate (retried, or nothing of it stored)
                except Exception as error:  # any refusal of this one call is reported, the batch goes on
                    db.execute("ROLLBACK TO call")
                    results.append(_write_error(document, error))
                db.execute("RELEASE call")
            return results

        return await self._run(self._writer, work, write=True)

    @classmethod
    def _upsert_one(cls, db: sqlite3.Connection, document: CallDocument, now: int) -> UpsertOutcome:
        call = document.call
        modified = document.last_modified_time.isoformat() if document.last_modified_time else ""
        started = _ts(call.started_at)
        row = db.execute(
            "SELECT c.id, c.last_modified, j.insights FROM calls c JOIN call_json j ON j.id = c.id "
            "WHERE c.domain = ? AND c.record_id = ?",
            (call.domain, call.record_id),
        ).fetchone()
        if row is not None:
            # ISO-8601 UTC strings of one format compare in time order.
            if modified < row[1]:
                return "stale"
            if modified == row[1]:
                return "unchanged"
            cls._unindex(db, row[0], row[2])
            db.execute("DELETE FROM calls WHERE id = ?", (row[0],))
        # Compressed here, in the worker thread: zlib releases the GIL, so it overlaps the next batch's parsing.
        blob = zlib.compress(document.insights_json, ZLIB_LEVEL)
        entry = db.execute(
            "SELECT external_number, numbers, direction FROM recordings WHERE domain = ? AND record_id = ?",
            (call.domain, call.record_id),
        ).fetchone()
        external = call.external_number or (entry[0] if entry else None)
        numbers = " ".join(dict.fromkeys([*document.numbers, *((entry[1] or "").split() if entry else [])]))
        direction = call.direction or (entry[2] if entry else None)
        cursor = db.execute(
            """INSERT INTO calls (domain, record_id, session_id, title, started_at, duration, direction,
                owner_extension_id, owner_name, external_number, numbers, speakers, ai_score, sentiment,
                last_modified, indexed_at, source, utterances, transcript_chars)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                call.domain, call.record_id, call.session_id, call.title, started, call.duration_seconds,
                direction, call.owner_extension_id, call.owner_name, external, f" {numbers} ",
                document.speakers, call.ai_score, call.sentiment, modified, now, document.source,
                document.utterances, document.transcript_chars,
            ),
        )  # fmt: skip
        call_id = int(cursor.lastrowid or 0)
        db.execute("INSERT INTO call_json (id, insights) VALUES (?, ?)", (call_id, blob))
        cls._index(db, call_id, document)
        db.executemany(
            """INSERT INTO next_steps (call_id, position, text, speaker, speaker_side, start, evidence,
                evidence_speaker, due, due_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (
                    call_id, s.position, s.text, s.speaker, s.speaker_side, s.start_seconds, s.evidence,
                    s.evidence_speaker, s.due, s.due_date.isoformat() if s.due_date else None,
                )
                for s in document.next_steps
            ],
        )  # fmt: skip
        db.execute(
            """INSERT INTO recordings (domain, record_id, session_id, started_at, direction, owner_extension_id,
                external_number, numbers, state, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'indexed', 0)
               ON CONFLICT (domain, record_id) DO UPDATE SET state = 'indexed', retry_at = NULL,
                last_error = NULL""",
            (
                call.domain, call.record_id, call.session_id, started if started is not None else now,
                direction, call.owner_extension_id, external, numbers,
            ),
        )  # fmt: skip
        return "updated" if row is not None else "inserted"

    async def remove(self, domain: str, record_ids: Sequence[str]) -> int:
        def work(db: sqlite3.Connection) -> int:
            removed = 0
            for record_id in record_ids:
                row = db.execute(
                    "SELECT c.id, j.insights FROM calls c JOIN call_json j ON j.id = c.id "
                    "WHERE c.domain = ? AND c.record_id = ?",
                    (domain, record_id),
                ).fetchone()
                if row is not None:
                    self._unindex(db, row[0], row[1])
                    db.execute("DELETE FROM calls WHERE id = ?", (row[0],))
                    removed += 1
                db.execute("DELETE FROM recordings WHERE domain = ? AND record_id = ?", (domain, record_id))
            return removed

        return await self._run(self._writer, work, write=True)

    async def note_recordings(self, entries: Sequence[RecordingEntry]) -> None:
        rows = [
            (
                e.domain, e.record_id, e.session_id, _ts(e.started_at), e.direction, e.owner_extension_id,
                e.external_number, " ".join(e.numbers),
            )
            for e in entries
        ]  # fmt: skip

        def work(db: sqlite3.Connection) -> None:
            db.executemany(
                """INSERT INTO recordings (domain, record_id, session_id, started_at, direction, owner_extension_id,
                    external_number, numbers, state)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
                    CASE WHEN EXISTS (SELECT 1 FROM calls WHERE domain = ?1 AND record_id = ?2)
                         THEN 'indexed' ELSE 'pending' END)
                   ON CONFLICT (domain, record_id) DO UPDATE SET
                    session_id = coalesce(excluded.session_id, session_id), started_at = excluded.started_at,
                    direction = coalesce(excluded.direction, direction),
                    external_number = coalesce(excluded.external_number, external_number),
                    numbers = excluded.numbers""",
                rows,
            )
            # The call log knows the external party's number; calls indexed from events may lack it.
            db.executemany(
                """UPDATE calls SET external_number = coalesce(external_number, ?3), direction = coalesce(direction, ?4)
                   WHERE domain = ?1 AND record_id = ?2""",
                [(r[0], r[1], r[6], r[4]) for r in rows],
            )
            db.executemany(
                "UPDATE calls SET numbers = numbers || ?3 || ' ' "
                "WHERE domain = ?1 AND record_id = ?2 AND instr(numbers, ' ' || ?3 || ' ') = 0",
                [(r[0], r[1], r[7]) for r in rows if r[7]],
            )

        await self._run(self._writer, work, write=True)

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
        def work(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE recordings SET state = ?, attempts = ?, retry_at = ?, last_error = ? "
                "WHERE domain = ? AND record_id = ?",
                (state, attempts, _ts(retry_at), error, domain, record_id),
            )

        await self._run(self._writer, work, write=True)

    async def mark_synced(self, date_from: datetime, date_to: datetime, at: datetime) -> None:
        start, end, when = _ts(date_from), _ts(date_to), _ts(at)

        def work(db: sqlite3.Connection) -> None:
            ranges = [(s, e) for s, e in db.execute("SELECT start, end FROM synced")] + [(start, end)]
            merged = queries.merge_ranges(ranges)
            db.execute("DELETE FROM synced")
            db.executemany("INSERT INTO synced (start, end, at) VALUES (?, ?, ?)", [(s, e, when) for s, e in merged])
            db.execute("INSERT OR REPLACE INTO state (name, value) VALUES ('last_sync', ?)", (str(when),))

        await self._run(self._writer, work, write=True)

    async def note_event(self, at: datetime) -> None:
        await self._set_state("last_event", str(_ts(at)))

    async def get_checkpoint(self, name: str) -> str | None:
        return await self._get_state(f"checkpoint:{name}")

    async def set_checkpoint(self, name: str, value: str | None) -> None:
        await self._set_state(f"checkpoint:{name}", value)

    async def acquire_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        now = self.clock()
        expires = _ts(now + ttl)

        def work(db: sqlite3.Connection) -> bool:
            row = db.execute("SELECT holder, expires FROM leases WHERE name = ?", (name,)).fetchone()
            if row is not None and row[0] != holder and row[1] > _ts(now):
                return False
            db.execute(
                "INSERT OR REPLACE INTO leases (name, holder, expires) VALUES (?, ?, ?)", (name, holder, expires)
            )
            return True

        return await self._run(self._writer, work, write=True)

    async def release_lease(self, name: str, holder: str) -> None:
        def work(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

        await self._run(self._writer, work, write=True)

    async def _get_state(self, name: str) -> str | None:
        def work(db: sqlite3.Connection) -> str | None:
            row = db.execute("SELECT value FROM state WHERE name = ?", (name,)).fetchone()
            return row[0] if row else None

        return await self._run(self._reader, work, write=False)

    async def _set_state(self, name: str, value: str | None) -> None:
        def work(db: sqlite3.Connection) -> None:
            if value is None:
                db.execute("DELETE FROM state WHERE name = ?", (name,))
            else:
                db.execute("INSERT OR REPLACE INTO state (name, value) VALUES (?, ?)", (name, value))

        await self._run(self._writer, work, write=True)

    # -- reads (next steps, stats, coverage and stored calls: sql_reads.SqlReads) ----------------------------------

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return await self._run(self._reader, lambda db: db.execute(sql, params).fetchall(), write=False)

    async def search(self, query: SearchQuery) -> SearchPage:
        plan = queries.plan_search(query)
        sql, params = search_sql(plan, self.dialect)

        def work(db: sqlite3.Connection) -> tuple[list[tuple[Any, ...]], int, dict[int, float], dict[int, bytes]]:
            matches = db.execute(sql, params).fetchall()
            # Best score first (bm25: lower is better), then newest, then the id for a stable order across pages.
            best = heapq.nsmallest(plan.offset + plan.limit, matches, key=lambda m: (m[1], -(m[2] or 0), m[0]))
            page = best[plan.offset :]
            scores = {m[0]: m[1] for m in page}
            ids = list(scores)
            if not ids:
                return [], len(matches), scores, {}
            marks = ", ".join("?" * len(ids))
            rows = db.execute(f"SELECT {CALL_COLUMNS} FROM calls c WHERE c.id IN ({marks})", ids).fetchall()
            rows.sort(key=lambda row: ids.index(row[0]))
            blobs: dict[int, bytes] = {}
            if plan.snippets:
                # Only the page's calls are decompressed, and only after ranking.
                blobs = dict(db.execute(f"SELECT id, insights FROM call_json WHERE id IN ({marks})", ids).fetchall())
            return rows, len(matches), scores, blobs

        rows, total, scores, blobs = await self._run(self._reader, work, write=False)
        hits = []
        for row in rows:
            # pydantic-core's JSON parser (Rust) reads a call about twice as fast as `json.loads`.
            call = pydantic_core.from_json(zlib.decompress(blobs[row[0]])) if row[0] in blobs else None
            hits.append(queries.hit(call_ref(row, self.dialect), -scores[row[0]], call, plan))
        coverage = await self.coverage(*plan.coverage_range(self.clock()))
        return queries.search_page(plan, hits, total, coverage)

    async def _size_bytes(self) -> int:
        files = (self.path, self.path.with_name(self.path.name + "-wal"))
        return sum(file.stat().st_size for file in files if file.exists())
