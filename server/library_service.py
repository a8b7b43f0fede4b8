"""The server's call library: opened on first use, kept current by a background sync, shared by every handler.

```python
service = LibraryService(settings.library)
async with service.running(client):        # catch-up soon after start, then every SYNC_EVERY; logs to stderr
    store = await service.reader()          # the tools' queries
    await service.settle(start, end, wait_seconds=20, progress=report)   # wait for a running sync of a range
```

Start-up never waits for the library: nothing of `server.library`'s SQLite side is imported, and no file is opened,
until the first catch-up or the first tool that needs it. The server enters `running` only once it connects, after
its client's handshake (`server.runtime`), so it starts the first catch-up at once (`start_delay=0`). Two servers
and a `ringsense-mcp sync` share one library: the sync lease lets one of them sync at a time, the others skip their
turn (see `server.library.sync`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio

from server.config import LibrarySettings
from server.ringsense.errors import RingSenseError
from tools.formatting import iso_utc
from tools.library import Progress

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from server.library import LibraryStore
    from server.library.sync import SyncProgress, SyncSummary
    from server.ringsense import RingSenseClient
    from server.ringsense.events import Gap, InsightsEvent

__all__ = ["SYNC_EVERY", "LibraryService"]

SYNC_EVERY = 15 * 60.0  # seconds between catch-ups: new calls appear within a quarter of an hour without events
START_DELAY = 1.0  # seconds: the first catch-up waits for the client's handshake to be answered
CATCH_UP_DAYS = 31  # a first catch-up covers whole UTC days back to this many days ago ("this month", "last 30 days")

_log = logging.getLogger(__name__)


def _catch_up_start(now: datetime) -> datetime:
    """Midnight UTC, CATCH_UP_DAYS days before `now`: where a first catch-up starts (later ones resume)."""
    return datetime.combine(now.date() - timedelta(days=CATCH_UP_DAYS), datetime.min.time(), UTC)


@dataclass
class _Run:
    """A sync in progress: its range and its progress, with an event set (and replaced) on every change."""

    date_from: datetime
    date_to: datetime
    kind: str
    done: float = 0.0
    total: float | None = None
    message: str = "starting"
    changed: anyio.Event = field(default_factory=anyio.Event)
    _phase: str = ""
    _phase_done: int = 0
    _offset: float = 0.0

    def overlaps(self, date_from: datetime, date_to: datetime) -> bool:
        return date_from < self.date_to and date_to > self.date_from

    def update(self, step: SyncProgress) -> None:
        # MCP progress must only grow: a phase that starts over (catch-up's second insights pass) adds on.
        if step.phase == self._phase and step.done < self._phase_done:
            self._offset = self.done
        self._phase, self._phase_done = step.phase, step.done
        self.done = self._offset + step.done
        self.total = self._offset + step.total if step.phase == "insights" else None
        self.message = f"library sync: {step.message}"
        self.notify()

    def notify(self) -> None:
        changed, self.changed = self.changed, anyio.Event()
        changed.set()


class LibraryService:
    """The call library of one server process: the `tools.library.LibraryAccess` the tools use.

    `sync_every` None runs no periodic sync (only `sync_now`); `start_delay` delays the first catch-up (None:
    `settings.catch_up_delay`, else START_DELAY).
    """

    def __init__(
        self,
        settings: LibrarySettings,
        *,
        sync_every: float | None = SYNC_EVERY,
        start_delay: float | None = None,
    ) -> None:
        if not settings.enabled:
            raise ValueError("LibraryService needs the library on")
        self.settings = settings
        self.sync_every = sync_every
        if start_delay is None:
            start_delay = settings.catch_up_delay if settings.catch_up_delay is not None else START_DELAY
        self.start_delay = start_delay
        self._store: LibraryStore | None = None
        self._opening = anyio.Lock()
        self._run: _Run | None = None
        self._client: RingSenseClient | None = None  # while running: what event gaps are caught up with
        self._tasks: TaskGroup | None = None
        self._sync_lock = anyio.Lock()
        self.last_summary: SyncSummary | None = None
        self.last_error: str | None = None
        self.last_finished: datetime | None = None

    async def reader(self) -> LibraryStore:
        """The open library; raises `LibraryUnavailableError`/`LibrarySchemaError` when it cannot be opened."""
        if self._store is not None:
            return self._store
        # Imported on first use, like everything of the library: it stays out of the server's cold start.
        from server.library import LibraryUnavailableError, open_store

        async with self._opening:
            if self._store is None:
                path = self.settings.path  # resolved here: platformdirs stays out of the cold start
                assert path is not None  # enabled, checked in __init__
                try:
                    url = self.settings.database_url  # set: the library is in PostgreSQL, shared by replicas
                    self._store = await open_store(
                        path,
                        database_url=url.get_secret_value() if url else None,
                        pool_timeout=self.settings.pool_timeout,
                    )
                except OSError as err:  # the directory cannot be made or the file read: say what to change
                    raise LibraryUnavailableError(
                        f"The call library at {path} cannot be opened ({err.strerror or type(err).__name__}). "
                        "Check RINGSENSE_DATA_DIR and its permissions."
                    ) from err
            return self._store

    async def settle(
        self, date_from: datetime, date_to: datetime, *, wait_seconds: float, progress: Progress | None = None
    ) -> None:
        with anyio.move_on_after(wait_seconds):
            reported = -1.0
            while (run := self._run) is not None and run.overlaps(date_from, date_to):
                if progress is not None and run.done > reported:
                    reported = run.done
                    await progress(run.done, run.total, run.message)
                await run.changed.wait()

    async def sync_now(
        self, client: RingSenseClient, date_from: datetime | None = None, date_to: datetime | None = None
    ) -> SyncSummary | None:
        """A catch-up (no range) or a sync of `[date_from, date_to)` widened by an hour each side (a gap the event
        feed missed). Failures are logged and kept in `last_error`, never raised; returns None after a failure."""
        # Imported here, not at module level: the sync and SQLite code stay out of the server's cold start.
        from server.library import LibraryError
        from server.library.sync import catch_up, sync_gap

        async with self._sync_lock:
            now = datetime.now(UTC)
            kind = "catch-up" if date_from is None else "gap"
            start = date_from if date_from is not None else _catch_up_start(now)
            scheduled, run = self._run, _Run(start, date_to or now, kind)
            self._run = run
            if scheduled is not None:  # the first catch-up, announced at start: its waiters now follow this run
                scheduled.notify()
            try:
                store = await self.reader()
                if date_from is None:
                    summary = await catch_up(store, client, lookback=now - start, progress=run.update, now=now)
                else:
                    summary = await sync_gap(store, client, date_from, date_to or now, progress=run.update)
            except (LibraryError, RingSenseError) as err:
                self.last_error = err.message
                _log.warning("call library %s failed: %s", kind, err.message)
                return None
            finally:
                self._run = None
                self.last_finished = datetime.now(UTC)
                run.notify()
            self.last_summary, self.last_error = summary, None
            _log.info("call library %s: %s", kind, summary.describe())
            return summary

    async def on_event(self, item: InsightsEvent | Gap) -> None:
        """A live-events sink: store an event's insights (AI Notes, then RingSense: the later `lastModifiedTime`
        wins); for a gap (a failed event recovery), catch its window up from the call log in the background.
        Failures are logged, never raised: the feed goes on."""
        from server.library import LibraryError
        from server.ringsense.events import Gap

        if isinstance(item, Gap):
            if self._tasks is None or self._client is None:
                _log.warning("events may be missing since %s; run `ringsense-mcp sync` to catch up", item.since)
                return
            _log.info("events may be missing from %s to %s (%s): catching up", item.since, item.until, item.reason)
            if self._run is None:  # announced at once, so a tool asking about the window waits for the catch-up
                self._run = _Run(item.since, item.until, "gap", message="library sync: starting")
            self._tasks.start_soon(self.sync_now, self._client, item.since, item.until)
            return
        try:
            outcome = await self.ingest_event(item.insights)
        except LibraryError as err:
            _log.warning("call library: an event could not be stored: %s", err.message)
            return
        except ValueError as err:  # insights the library cannot hold (e.g. text that is not Unicode); never quoted
            _log.warning(
                "call library: the event for record %r could not be stored (%s); the next sync fetches it again",
                item.insights.source_record_id,
                type(err).__name__,
            )
            return
        _log.debug("call library: event for record %s %s", item.insights.source_record_id, outcome)

    async def ingest_event(self, body: object) -> str:
        """Upsert the insights a push event carried (the later `lastModifiedTime` wins); returns the outcome.

        Raises pydantic's ValidationError for a body that is not RecordingInsights, `LibraryError` from the store.
        """
        from server.library.sync import ingest_event

        return await ingest_event(await self.reader(), body)

    async def _periodic(self, client: RingSenseClient) -> None:
        await anyio.sleep(self.start_delay)
        while True:
            try:
                await self.sync_now(client)
            except Exception:  # a fault of ours must not take the server down with it: log it, try again later
                _log.exception("call library sync failed unexpectedly")
                self.last_error = "the sync failed unexpectedly; the server logged the details"
            if self.sync_every is None:
                return
            await anyio.sleep(self.sync_every)

    @asynccontextmanager
    async def running(self, client: RingSenseClient, *, background: bool = True) -> AsyncIterator[LibraryService]:
        """Run the background catch-ups (when `background`) while the block runs; close the library after."""
        try:
            async with anyio.create_task_group() as tasks:
                self._client, self._tasks = client, tasks
                if background:
                    # Announced now, so a tool asked before the first catch-up starts waits for it too.
                    now = datetime.now(UTC)
                    self._run = _Run(_catch_up_start(now), now, "catch-up", message="library sync: starting")
                    tasks.start_soon(self._periodic, client)
                try:
                    yield self
                finally:
                    tasks.cancel_scope.cancel()
        finally:
            self._run, self._client, self._tasks = None, None, None
            if self._store is not None:
                with anyio.CancelScope(shield=True):
                    await self._store.aclose()
                self._store = None

    async def status(self) -> dict[str, Any]:
        """What `ringsense://library/status` shows; raises `LibraryError` when the library cannot be read."""
        store = await self.reader()
        status = await store.status()
        run = self._run
        return {
            "location": status.location,
            "backend": status.backend,
            "schema_version": status.schema_version,
            "size_bytes": status.size_bytes,
            "calls_indexed": status.calls,
            "pending_analysis": status.pending,
            "not_analysed": status.not_analysed,
            "failed": status.failed,
            "last_sync": iso_utc(status.last_sync),
            "last_event": iso_utc(status.last_event),
            "synced_ranges": [{"from": iso_utc(r.start), "to": iso_utc(r.end)} for r in status.synced],
            "by_month": [
                {"month": m.month, "recorded": m.recorded, "indexed": m.indexed, "pending": m.pending}
                for m in status.by_month
            ],
            "sync_running": None if run is None else {"kind": run.kind, "progress": run.message},
            "last_sync_result": self.last_summary.describe() if self.last_summary else None,
            "last_sync_error": self.last_error,
            "note": "A local copy of call content. Delete it with `ringsense-mcp library forget`.",
        }
