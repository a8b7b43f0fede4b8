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

This module walks the call log and decides what is due; the fetchers, their buffer and the batching writer are in
`sync_pipeline`, and the run's lease, progress and summary in `sync_run`.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from server.ringsense import RingSenseClient
from server.ringsense.models import CallLogRecord

from .ingest import ingest
from .store import LibraryStore, RecordingEntry
from .sync_pipeline import fetch_all
from .sync_run import BUSY_ELSEWHERE, ProgressCallback, SyncLease, SyncProgress, SyncSummary, leased, report

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
EDGE_MARGIN = timedelta(hours=1)  # event-fed recordings near a range's edges may belong to the next window
RETRY_HORIZON = timedelta(days=400)

_log = logging.getLogger("server.library.sync")


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


async def _walk(
    lease: SyncLease,
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
        await report(progress, SyncProgress("call log", done, len(windows), f"call log {start:%Y-%m-%d}"))
    return listed, client.call_log_level == "account"


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
    async with leased(store) as lease:
        if lease is None:
            return SyncSummary(date_from=date_from, date_to=min(date_to, now), stopped=BUSY_ELSEWHERE)
        return await _sync_range(lease, store, client, date_from, date_to, progress, now)


async def _sync_range(
    lease: SyncLease,
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
    await fetch_all(lease, store, client, due, summary, progress, now)
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
    async with leased(store) as lease:
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
            await fetch_all(lease, store, client, older, extra, progress, now)
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
