"""The fetch/store pipeline of a sync: concurrent fetchers of insights, a bounded buffer, and the one batching
writer that stores what they fetched (or records why not, with a retry time).

`fetch_all` is what `server.library.sync` calls once it knows which recordings are due.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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
from server.ringsense.models import RecordingInsights

from .batches import BATCH_CALLS, ingest_many
from .store import LibraryStore, RecordingEntry
from .sync_run import BUSY_ELSEWHERE, ProgressCallback, SyncLease, SyncProgress, SyncSummary, report

__all__ = ["WORKERS", "fetch_all"]

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
LEASE_RENEW_EVERY = 10  # fetches

_Fetched = tuple[RecordingEntry, RecordingInsights | RingSenseError]  # a recording, and its insights or why not


def _backoff(attempts: int) -> timedelta:
    delay: timedelta = NOT_READY_BACKOFF * (2 ** max(0, attempts - 1))
    return min(delay, MAX_BACKOFF)


async def fetch_all(
    lease: SyncLease,
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
    lease: SyncLease,
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
                await report(progress, SyncProgress("insights", done, total, f"insights {done}/{total}"))
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
