"""Backfill and catch-up: walk the call log, fetch the insights of every recording, keep the library current.

```python
summary = await sync_range(store, client, date_from, date_to, progress=report)  # `ringsense-mcp sync`
summary = await catch_up(store, client)            # servers: on start, then periodically
summary = await sync_gap(store, client, start, end)  # the event feed, after a failed event recovery
```

- The call log (Heavy group) is read in windows; each window's recordings are noted in the store and the window
  marked synced, so coverage knows which days are complete.
- Insights (Light group) are fetched newest first by a few concurrent fetchers; the client's pacer keeps the
  requests within the group's budget, so the sync runs at the budget's pace without a 429. Fetchers hand what
  they get to one writer through a buffer, so no fetch waits for the store.
- The store is the checkpoint: every fetched call is committed as soon as the writer takes it (with the others
  fetched while it wrote, in one transaction), so a crash loses nothing stored, Ctrl-C stores what was fetched
  before leaving, and the next run fetches only what is missing.
- 404 RAH-3001 ("no insights") is retried with backoff while the call is young, then the recording counts as
  "not analysed" (rechecked weekly: a licence may be assigned later).
- Recordings the call log no longer lists (past retention, or deleted) are dropped from the library, but only
  after a complete, company-wide walk of the range: a partial or own-calls-only view never deletes anything.
"""

from __future__ import annotations

import inspect
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from server.ringsense import (
    AuthenticationError,
    InsightsNotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RingSenseClient,
    RingSenseError,
)
from server.ringsense.errors import ApiNotEnabledError
from server.ringsense.models import CallLogRecord, RecordingInsights

from .batches import BATCH_CALLS, ingest_many
from .ingest import ingest
from .store import LibraryStore, RecordingEntry

__all__ = [
    "DEFAULT_LOOKBACK",
    "SyncProgress",
    "SyncSummary",
    "catch_up",
    "ingest_event",
    "sync_gap",
    "sync_range",
]

DEFAULT_LOOKBACK = timedelta(days=30)  # what a server's first catch-up covers
WINDOW = timedelta(days=31)  # call-log window: the Heavy group allows 10 requests a minute, so few and large
PER_PAGE = 1000  # the call log's maximum: fewest Heavy requests
WORKERS = 8  # concurrent insight fetches; the pacer, not this number, sets the pace
# Fetched recordings waiting for the store's writer: a Light window's worth (50), so that the burst a window's
# turnover allows is fetched at once even while the writer is still busy with the previous one.
FETCHED_BUFFER = 50
STORE_ON_CANCEL = 5.0  # seconds a cancelled sync may spend storing what it already fetched
NOT_READY_BACKOFF = timedelta(minutes=2)  # first retry of a recording whose insights are not ready
MAX_BACKOFF = timedelta(hours=1)
ANALYSIS_DEADLINE = timedelta(hours=48)  # RingSense analyses within about 30 min; after this, it will not
RECHECK_NOT_ANALYSED = timedelta(days=7)
MAX_CONSECUTIVE_FAILURES = 10  # the platform is down: stop rather than mark everything failed
EDGE_MARGIN = timedelta(hours=1)  # event-fed recordings near a range's edges may belong to the next window
RETRY_HORIZON = timedelta(days=400)
LEASE = "sync"
LEASE_TTL = timedelta(minutes=3)  # renewed while the sync makes progress; a crashed sync frees it after this
LEASE_RENEW_EVERY = 10  # fetches
BUSY_ELSEWHERE = "another ringsense-mcp process is syncing this library right now; it will finish the job"

_log = logging.getLogger("server.library.sync")

_Fetched = tuple[RecordingEntry, RecordingInsights | RingSenseError]  # a recording, and its insights or why not


@dataclass(frozen=True)
class SyncProgress:
    """One step of a sync. `phase` "call log": `done` of `total` windows read; "insights": `done` of `total`
    recordings fetched. `message` is a short line for a person."""

    phase: Literal["call log", "insights"]
    done: int
    total: int
    message: str


ProgressCallback = Callable[[SyncProgress], Awaitable[None] | None]


@dataclass
class SyncSummary:
    """What a sync did. `indexed` counts recordings newly stored or updated by this run; `pending`,
    `not_analysed` and `failed` are the recordings of the range in that state when it ended; `removed` were dropped
    because the call log no longer lists them. `stopped` says why the run ended early (None: it completed)."""

    date_from: datetime
    date_to: datetime
    recordings: int = 0
    indexed: int = 0
    unchanged: int = 0
    pending: int = 0
    not_analysed: int = 0
    failed: int = 0
    removed: int = 0
    seconds: float = 0.0
    stopped: str | None = None
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = (
            f"{self.indexed} indexed, {self.unchanged} already up to date, {self.pending} pending analysis, "
            f"{self.not_analysed} not analysed, {self.failed} failed"
        )
        if self.removed:
            text += f", {self.removed} removed (no longer in the call log)"
        return text + (f" — stopped early: {self.stopped}" if self.stopped else "")


class _Lease:
    """The library's sync lease, held by this run and renewed as it makes progress."""

    def __init__(self, store: LibraryStore) -> None:
        self.store = store
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def renew(self) -> bool:
        return await self.store.acquire_lease(LEASE, self.holder, LEASE_TTL)


@asynccontextmanager
async def _leased(store: LibraryStore) -> AsyncIterator[_Lease | None]:
    """Yield the lease, or None when another process holds it."""
    lease = _Lease(store)
    if not await lease.renew():
        yield None
        return
    try:
        yield lease
    finally:
        with anyio.CancelScope(shield=True):
            await store.release_lease(LEASE, lease.holder)


def _windows(date_from: datetime, date_to: datetime) -> list[tuple[datetime, datetime]]:
    out, start = [], date_from
    while start < date_to:
        end = min(start + WINDOW, date_to)
        out.append((start, end))
        start = end
    return out


def _entries(record: CallLogRecord) -> list[RecordingEntry]:
    """One entry per recording of a call-log record (a transferred call has one per leg)."""
    started = record.start_time or datetime.now(UTC)
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    parties = [p for leg in [record, *record.legs] for p in (leg.from_, leg.to) if p is not None]
    numbers = tuple(dict.fromkeys(d for p in parties if (d := "".join(c for c in p.phone_number or "" if c.isdigit()))))
    external = next((p.phone_number for p in parties if p.phone_number and not p.extension_id), None)
    direction = record.direction if record.direction in ("Inbound", "Outbound") else None
    entries: list[RecordingEntry] = []
    for item in [record, *record.legs]:
        if item.recording is None or any(e.record_id == item.recording.id for e in entries):
            continue
        leg_start = item.start_time or started
        entries.append(
            RecordingEntry(
                domain="pbx",
                record_id=item.recording.id,
                session_id=item.telephony_session_id or record.telephony_session_id,
                started_at=leg_start if leg_start.tzinfo else leg_start.replace(tzinfo=UTC),
                direction=direction,  # type: ignore[arg-type]  # narrowed above
                external_number=external,
                numbers=numbers,
            )
        )
    return entries


async def _report(progress: ProgressCallback | None, update: SyncProgress) -> None:
    if progress is None:
        return
    result = progress(update)
    if inspect.isawaitable(result):
        await result


def _backoff(attempts: int) -> timedelta:
    delay: timedelta = NOT_READY_BACKOFF * (2 ** max(0, attempts - 1))
    return min(delay, MAX_BACKOFF)


async def _walk(
    lease: _Lease,
    store: LibraryStore,
    client: RingSenseClient,
    date_from: datetime,
    date_to: datetime,
    progress: ProgressCallback | None,
    now: datetime,
) -> tuple[set[str], bool]:
    """Read the call log of the range; returns the record ids listed and whether the view was company-wide."""
    listed: set[str] = set()
    windows = _windows(date_from, date_to)
    for done, (start, end) in enumerate(windows, start=1):
        page = 1
        while True:
            result = await client.list_call_log(date_from=start, date_to=end, per_page=PER_PAGE, page=page)
            entries = [entry for record in result.records for entry in _entries(record)]
            listed.update(entry.record_id for entry in entries)
            await store.note_recordings(entries)
            if not result.has_next:
                break
            page += 1
        await store.mark_synced(start, end, now)
        await lease.renew()
        await _report(progress, SyncProgress("call log", done, len(windows), f"call log {start:%Y-%m-%d}"))
    return listed, client.call_log_level == "account"


async def _fetch_all(
    lease: _Lease,
    store: LibraryStore,
    client: RingSenseClient,
    due: list[RecordingEntry],
    summary: SyncSummary,
    progress: ProgressCallback | None,
    now: datetime,
) -> None:
    """Fetch the insights of `due` (newest first) with `WORKERS` concurrent requests and store each as it arrives.

    Fetching and storing are separate tasks joined by a buffer: a fetcher never waits for the store's writer, so
    when the Light window turns over, every slot it frees is used at once, and the writer catches up behind.
    (Fetch-then-store in each worker let the one writer set the pace: at each turnover, the requests went out
    one ingest apart, and a backfill ended seconds after the budget allowed.)
    """
    queue = iter(sorted(due, key=lambda e: e.started_at, reverse=True))  # newest first: what people ask about
    send, receive = anyio.create_memory_object_stream[_Fetched](FETCHED_BUFFER)

    async def fetcher(send: MemoryObjectSendStream[_Fetched]) -> None:
        async with send:
            for entry in queue:
                if summary.stopped:
                    return
                try:
                    result: RecordingInsights | RingSenseError = await client.get_record_insights(
                        entry.record_id, domain=entry.domain
                    )
                except (AuthenticationError, ApiNotEnabledError, PermissionDeniedError, RateLimitedError) as error:
                    # The user or the app cannot read insights at all (RAH-3005, CMN-401…), or the platform asked
                    # for a pause longer than the client waits: no other call would fare better now.
                    summary.stopped = summary.stopped or error.message
                    return
                except RingSenseError as error:  # this recording's own trouble (RAH-3001 included): recorded below
                    result = error
                try:
                    await send.send((entry, result))
                except anyio.BrokenResourceError:  # the writer stopped on a store failure, which it raises
                    return

    try:
        async with anyio.create_task_group() as tasks:
            async with send:
                for _ in range(min(WORKERS, len(due))):
                    tasks.start_soon(fetcher, send.clone())
            await _store_fetched(lease, store, receive, len(due), summary, progress, now)
    except ExceptionGroup as group:  # a store failure: raise it as itself
        raise group.exceptions[0] from None


async def _store_fetched(
    lease: _Lease,
    store: LibraryStore,
    receive: MemoryObjectReceiveStream[_Fetched],
    total: int,
    summary: SyncSummary,
    progress: ProgressCallback | None,
    now: datetime,
) -> None:
    """The one writer: store each fetched recording (or its failure) in the order the fetches ended. The calls
    fetched while it was writing are stored together, in one transaction (up to `BATCH_CALLS`): a lone call waits
    for nothing, and a burst costs one commit per batch instead of one per call.

    Once the sync has stopped (failures in a row, the lease taken over), what was already fetched is still stored:
    those requests are spent, and storing is idempotent. When cancelled (Ctrl-C), it stores what is already
    fetched before leaving, for at most `STORE_ON_CANCEL` seconds, so the next run does not fetch it again.
    """
    done = 0
    consecutive_failures = 0

    async def store_batch(fetched: list[_Fetched]) -> None:
        nonlocal done, consecutive_failures
        calls: list[tuple[RecordingEntry, RecordingInsights]] = []
        for entry, result in fetched:
            attempts = entry.attempts + 1
            if isinstance(result, InsightsNotFoundError):
                young = now - entry.started_at < ANALYSIS_DEADLINE
                await store.set_recording_state(
                    entry.domain, entry.record_id, "pending" if young else "not_analysed", attempts=attempts,
                    retry_at=now + (_backoff(attempts) if young else RECHECK_NOT_ANALYSED),
                )  # fmt: skip
                consecutive_failures = 0
            elif isinstance(result, RingSenseError):
                consecutive_failures += 1
                summary.errors.append(f"{entry.record_id}: {result.message}")
                await store.set_recording_state(
                    entry.domain, entry.record_id, "failed", attempts=attempts, retry_at=now + _backoff(attempts),
                    error=type(result).__name__,
                )  # fmt: skip
                if consecutive_failures >= MAX_CONSECUTIVE_FAILURES and not summary.stopped:
                    summary.stopped = f"{consecutive_failures} fetches in a row failed; last: {result.message}"
            else:
                consecutive_failures = 0
                calls.append((entry, result))
        stored = await ingest_many(store, [insights for _, insights in calls], source="sync") if calls else []
        for (entry, _), outcome in zip(calls, stored, strict=True):
            if outcome.outcome in ("inserted", "updated"):
                summary.indexed += 1
            elif outcome.outcome is not None:
                summary.unchanged += 1
            else:  # the database refused this call alone (the rest of its batch is stored): retried later
                attempts = entry.attempts + 1
                summary.errors.append(f"{entry.record_id}: {outcome.error}")
                await store.set_recording_state(
                    entry.domain, entry.record_id, "failed", attempts=attempts, retry_at=now + _backoff(attempts),
                    error="LibraryWriteError",
                )  # fmt: skip
        done += len(fetched)

    async with receive:
        try:
            async for first in receive:
                before = done
                await store_batch([first, *_ready(receive, BATCH_CALLS - 1)])
                renew = done // LEASE_RENEW_EVERY > before // LEASE_RENEW_EVERY
                if renew and not summary.stopped and not await lease.renew():
                    summary.stopped = BUSY_ELSEWHERE  # our lease lapsed and another sync took over: leave it the work
                await _report(progress, SyncProgress("insights", done, total, f"insights {done}/{total}"))
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True), anyio.move_on_after(STORE_ON_CANCEL):
                while batch := _ready(receive, BATCH_CALLS):
                    await store_batch(batch)
            raise


def _ready(receive: MemoryObjectReceiveStream[_Fetched], limit: int) -> list[_Fetched]:
    """Up to `limit` fetched recordings already waiting in the buffer (none when it is empty or closed)."""
    ready: list[_Fetched] = []
    while len(ready) < limit:
        try:
            ready.append(receive.receive_nowait())
        except (anyio.WouldBlock, anyio.EndOfStream):
            break
    return ready


async def sync_range(
    store: LibraryStore,
    client: RingSenseClient,
    date_from: datetime,
    date_to: datetime,
    *,
    progress: ProgressCallback | None = None,
    now: datetime | None = None,
) -> SyncSummary:
    """Bring the library up to date for recordings made in `[date_from, date_to)`; see the module docstring.

    Raises `RingSenseError` when the call log cannot be read at all (credentials, permission), `LibraryError` from
    the store; per-recording failures are counted in the summary instead. Cancellation (Ctrl-C) leaves everything
    fetched so far in the library.
    """
    now = now or datetime.now(UTC)
    async with _leased(store) as lease:
        if lease is None:
            return SyncSummary(date_from=date_from, date_to=min(date_to, now), stopped=BUSY_ELSEWHERE)
        return await _sync_range(lease, store, client, date_from, date_to, progress, now)


async def _sync_range(
    lease: _Lease,
    store: LibraryStore,
    client: RingSenseClient,
    date_from: datetime,
    date_to: datetime,
    progress: ProgressCallback | None,
    now: datetime,
) -> SyncSummary:
    started = time.monotonic()
    date_to = min(date_to, now)
    summary = SyncSummary(date_from=date_from, date_to=date_to)
    if date_from >= date_to:
        return summary
    listed, company_wide = await _walk(lease, store, client, date_from, date_to, progress, now)
    summary.recordings = len(listed)
    known = await store.recordings(date_from + EDGE_MARGIN, date_to - EDGE_MARGIN)
    gone = [e.record_id for e in known if e.domain == "pbx" and e.record_id not in listed]
    if gone and company_wide:
        summary.removed = await store.remove("pbx", gone)
        _log.info("dropped %d recordings the call log no longer lists", len(gone))
    due = await store.recordings(date_from, date_to, states=("pending", "failed", "not_analysed"), due_before=now)
    await _fetch_all(lease, store, client, due, summary, progress, now)
    await _count(store, summary, date_from, date_to)
    summary.seconds = round(time.monotonic() - started, 2)
    return summary


async def _count(store: LibraryStore, summary: SyncSummary, date_from: datetime, date_to: datetime) -> None:
    coverage = await store.coverage(date_from, date_to)
    summary.pending, summary.not_analysed, summary.failed = coverage.pending, coverage.not_analysed, coverage.failed


async def catch_up(
    store: LibraryStore,
    client: RingSenseClient,
    *,
    lookback: timedelta = DEFAULT_LOOKBACK,
    progress: ProgressCallback | None = None,
    now: datetime | None = None,
) -> SyncSummary:
    """Sync from where the library's newest synced range ends (an hour of overlap), or `lookback` on first use,
    to now; then retry every recording whose retry is due, however old."""
    now = now or datetime.now(UTC)
    status = await store.status()
    ends = [r.end for r in status.synced if r.end > now - lookback]
    start = max(ends) - EDGE_MARGIN if ends else now - lookback
    async with _leased(store) as lease:
        if lease is None:
            return SyncSummary(date_from=start, date_to=now, stopped=BUSY_ELSEWHERE)
        summary = await _sync_range(lease, store, client, start, now, progress, now)
        if summary.stopped is not None:
            return summary
        older = await store.recordings(
            now - RETRY_HORIZON, start, states=("pending", "failed", "not_analysed"), due_before=now
        )
        if older:
            extra = SyncSummary(date_from=now - RETRY_HORIZON, date_to=start)
            await _fetch_all(lease, store, client, older, extra, progress, now)
            summary.indexed += extra.indexed
            summary.unchanged += extra.unchanged
            summary.stopped = extra.stopped
    return summary


async def sync_gap(
    store: LibraryStore,
    client: RingSenseClient,
    start: datetime,
    end: datetime,
    *,
    progress: ProgressCallback | None = None,
) -> SyncSummary:
    """Catch up a window the event feed may have missed (after a failed event recovery): the range widened by an
    hour each side, since insights arrive well after a call starts."""
    return await sync_range(store, client, start - EDGE_MARGIN, end + EDGE_MARGIN, progress=progress)


async def ingest_event(store: LibraryStore, body: object, *, now: datetime | None = None) -> str:
    """Upsert the `RecordingInsights` body of a RingSense push event; returns the upsert outcome.

    Raises pydantic's ValidationError for a body that is not a RecordingInsights, `LibraryError` from the store.
    """
    return await ingest(store, body, source="event", now=now)  # type: ignore[arg-type]  # validated by ingest
