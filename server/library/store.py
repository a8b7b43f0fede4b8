"""The call library's store interface: what every backend (SQLite today, PostgreSQL later) implements.

Two small protocols, split by who uses them:

- `LibraryReader` — what the tools ask: `search`, `next_steps`, `stats`, `coverage`, `get_by_record`,
  `get_by_session`, `status`. Every answer about a range carries a `Coverage`, so a caller can never mistake a
  half-built library for the truth.
- `LibraryWriter` — what ingest and sync use: upsert a call (or a batch of calls in one transaction), drop calls
  gone upstream, keep the call-log bookkeeping (which recordings exist, which are pending analysis) and the sync
  checkpoints.

`LibraryStore` is both. Every method is async: a backend with a network database awaits its driver, the SQLite
backend runs its short queries in a worker thread so the server's event loop never blocks on disk.

Times are timezone-aware UTC `datetime`s. Ranges are half-open: `date_from <= recording start < date_to`.
Counts are per recording (one leg of a call): a transferred call has two recordings, each analysed on its own.

Every method raises only `LibraryError` subclasses (see `server.library.errors`): a malformed query or cursor is
a `LibraryQueryError` whose message says what to change, never a database message.

The value types live in one module per family and are re-exported here, so `server.library.store` stays the one
place to import them from: `calls` (a stored call), `coverage` (ranges, coverage, status), `answers` (search, next
steps and stats queries and results), `documents` (what ingest writes, the call-log entries).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .answers import (
    MAX_SEARCH_LIMIT,
    MAX_SNIPPETS_PER_CALL,
    CallFilters,
    GroupBy,
    NextStep,
    NextStepGroup,
    NextStepsQuery,
    NextStepsResult,
    SearchHit,
    SearchPage,
    SearchQuery,
    Snippet,
    StatsQuery,
    StatsResult,
    StatsRow,
    Trend,
)
from .calls import CallRef, Direction, SectionKind, Side, StoredCall
from .coverage import Coverage, DateRange, LibraryStatus, MonthCoverage
from .documents import CallDocument, IndexedSection, NextStepRow, RecordingEntry, RecordingState, UpsertOutcome

if TYPE_CHECKING:
    from .errors import LibraryWriteError

__all__ = [
    "MAX_SEARCH_LIMIT",
    "MAX_SNIPPETS_PER_CALL",
    "CallDocument",
    "CallFilters",
    "CallRef",
    "Coverage",
    "DateRange",
    "Direction",
    "GroupBy",
    "IndexedSection",
    "LibraryReader",
    "LibraryStatus",
    "LibraryStore",
    "LibraryWriter",
    "MonthCoverage",
    "NextStep",
    "NextStepGroup",
    "NextStepRow",
    "NextStepsQuery",
    "NextStepsResult",
    "RecordingEntry",
    "RecordingState",
    "SearchHit",
    "SearchPage",
    "SearchQuery",
    "SectionKind",
    "Side",
    "Snippet",
    "StatsQuery",
    "StatsResult",
    "StatsRow",
    "StoredCall",
    "Trend",
    "UpsertOutcome",
]


# --- the protocols ---------------------------------------------------------------------------------------------


@runtime_checkable
class LibraryReader(Protocol):
    """The queries the tools run. Each raises `LibraryQueryError` for bad arguments, `LibraryUnavailableError`
    when the store cannot answer (it retries a busy database first)."""

    async def search(self, query: SearchQuery) -> SearchPage:
        """Ranked calls matching `query.text` and `query.filters`, with snippets, a cursor and coverage."""
        ...

    async def next_steps(self, query: NextStepsQuery) -> NextStepsResult:
        """Every next step in the range, grouped by owner or call, with coverage."""
        ...

    async def stats(self, query: StatsQuery) -> StatsResult:
        """Counts, talk time, AI score and sentiment per group, with a trend and coverage."""
        ...

    async def coverage(self, date_from: datetime | None, date_to: datetime) -> Coverage:
        """How complete the library is for `[date_from, date_to)`. `date_from` None: every call the library knows
        before `date_to`, from its first known call or synced day (the answer has `whole_library` set)."""
        ...

    async def get_by_record(self, record_id: str, domain: str = "pbx") -> StoredCall | None:
        """The stored recording, or None when the library does not hold it."""
        ...

    async def get_by_session(self, session_id: str, domain: str = "pbx") -> list[StoredCall]:
        """Every stored recording of the session, oldest first; empty when the library holds none."""
        ...

    async def status(self) -> LibraryStatus:
        """Size, counts, coverage by month, last sync and last event."""
        ...


@runtime_checkable
class LibraryWriter(Protocol):
    """What ingest and sync use. Writes are short transactions; concurrent writers (another server, a `sync`)
    wait for each other instead of failing."""

    async def upsert(self, document: CallDocument) -> UpsertOutcome:
        """Store a recording. A later `last_modified_time` replaces the stored one ("updated"), the same one is
        "unchanged", an older one is ignored ("stale"). Marks the recording's entry indexed.

        Raises LibraryWriteError when the database refuses this call, LibraryUnavailableError when it cannot be
        written at all."""
        ...

    async def upsert_many(self, documents: Sequence[CallDocument]) -> list[UpsertOutcome | LibraryWriteError]:
        """Store several recordings in one transaction: one commit and one new index segment for the batch instead
        of one each, which is most of the cost of a small write. Each document is upserted as by `upsert`, in
        order, so a later document of the same recording meets the earlier one (later wins, as across batches).

        Returns one result per document, in order: its outcome, or the `LibraryWriteError` of a document the
        database refused; that one alone is rolled back, the others are stored. Raises LibraryUnavailableError when
        the batch cannot be written at all (busy past every retry, disk full): then none of it is stored.

        The batch is one write transaction, during which other writers of the library wait: callers keep it small
        (`server.library.batches.ingest_many` cuts its input by `BATCH_CALLS` and `BATCH_BYTES`)."""
        ...

    async def remove(self, domain: str, record_ids: Sequence[str]) -> int:
        """Drop recordings (gone upstream, past retention) and their entries; returns how many calls went."""
        ...

    async def note_recordings(self, entries: Sequence[RecordingEntry]) -> None:
        """Remember recordings the call log lists. New ones start `pending` (or `indexed` when already stored);
        known ones keep their state but take the call-log metadata (numbers, direction)."""
        ...

    async def recordings(
        self,
        date_from: datetime,
        date_to: datetime,
        *,
        states: Sequence[RecordingState] | None = None,
        due_before: datetime | None = None,
    ) -> list[RecordingEntry]:
        """Entries recorded in the range, optionally only in `states` and with `retry_at` before `due_before`."""
        ...

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
        """Record the outcome of fetching a recording's insights."""
        ...

    async def mark_synced(self, date_from: datetime, date_to: datetime, at: datetime) -> None:
        """The call log has been read for the whole range, at `at` (merged with the ranges synced before)."""
        ...

    async def note_event(self, at: datetime) -> None:
        """An event was ingested at `at` (shown as "last event")."""
        ...

    async def get_checkpoint(self, name: str) -> str | None:
        """A sync's saved position (opaque text), or None."""
        ...

    async def acquire_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take (or renew, for the same `holder`) the lease `name` for `ttl`; False while another holder's lease
        has not expired. Syncs hold one, so two servers sharing a library do not both spend the rate budget."""
        ...

    async def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up (only when `holder` holds it)."""
        ...

    async def set_checkpoint(self, name: str, value: str | None) -> None:
        """Save (or with None, clear) a sync's position; durable once this returns."""
        ...


@runtime_checkable
class LibraryStore(LibraryReader, LibraryWriter, Protocol):
    """A call library backend: the reader and the writer, plus `aclose()`."""

    async def aclose(self) -> None:
        """Close connections; further calls raise `LibraryUnavailableError`."""
        ...
