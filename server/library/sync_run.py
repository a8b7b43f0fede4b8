"""What one sync run holds: its lease on the library, the progress it reports and the summary it returns.

Shared by the call-log walk (`server.library.sync`) and the fetch/store pipeline (`server.library.sync_pipeline`);
`SyncProgress` and `SyncSummary` are re-exported by `server.library.sync`.
"""

from __future__ import annotations

import inspect
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import anyio

from .store import LibraryStore

__all__ = [
    "BUSY_ELSEWHERE",
    "LEASE",
    "LEASE_TTL",
    "ProgressCallback",
    "SyncLease",
    "SyncProgress",
    "SyncSummary",
    "leased",
    "report",
]

LEASE = "sync"
LEASE_TTL = timedelta(minutes=3)  # renewed while the sync makes progress; a crashed sync frees it after this
BUSY_ELSEWHERE = "another ringsense-mcp process is syncing this library right now; it will finish the job"


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


async def report(progress: ProgressCallback | None, update: SyncProgress) -> None:
    if progress is None:
        return
    result = progress(update)
    if inspect.isawaitable(result):
        await result


class SyncLease:
    """The library's sync lease, held by this run and renewed as it makes progress."""

    def __init__(self, store: LibraryStore) -> None:
        self.store = store
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def renew(self) -> bool:
        return await self.store.acquire_lease(LEASE, self.holder, LEASE_TTL)


@asynccontextmanager
async def leased(store: LibraryStore) -> AsyncIterator[SyncLease | None]:
    """Yield the lease, or None when another process holds it."""
    lease = SyncLease(store)
    if not await lease.renew():
        yield None
        return
    try:
        yield lease
    finally:
        with anyio.CancelScope(shield=True):
            await store.release_lease(LEASE, lease.holder)
