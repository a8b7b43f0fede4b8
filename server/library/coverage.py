"""How complete the library is: half-open UTC ranges, the `Coverage` every cross-call answer carries, and the
`LibraryStatus` the status command and resource show.

Re-exported by `server.library.store`, the library's public surface.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from . import coverage_text

__all__ = ["Coverage", "DateRange", "LibraryStatus", "MonthCoverage"]


# --- ranges and coverage ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """A half-open UTC range: `start <= t < end`."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Coverage:
    """How complete the library is for a range. Attach it to every cross-call answer.

    `recorded` counts the recordings known in the range (from the call log, or from events); `indexed` of them are
    in the library; `pending` wait for RingSense to finish its analysis (retried with backoff); `not_analysed` were
    never analysed (RingSense gave up, or the owner has no licence); `failed` hit another error and will be retried.
    `unsynced` lists the parts of the range the call log has not been read for: calls there are unknown.
    `whole_library` is set when the caller gave no start (a search over every indexed call): the range then runs
    from the library's first known call or synced day, and nothing before it has been read.
    """

    date_from: datetime
    date_to: datetime
    recorded: int
    indexed: int
    pending: int
    not_analysed: int
    failed: int
    unsynced: tuple[DateRange, ...] = ()
    last_sync: datetime | None = None
    last_event: datetime | None = None
    whole_library: bool = False

    @property
    def complete(self) -> bool:
        """True when every recording in the range is indexed and the whole range has been synced. A whole-library
        coverage with an empty range (nothing synced, or nothing before `date_to`) knows nothing: not complete."""
        if self.whole_library and self.date_from >= self.date_to:
            return False
        return not self.unsynced and self.indexed >= self.recorded and not (self.pending or self.failed)

    def describe(self, now: datetime | None = None) -> str:
        """One sentence for a person or a model, e.g.
        "412 of 430 recorded calls indexed; 18 pending analysis; last sync 3 min ago" (see `coverage_text`)."""
        return coverage_text.describe(self, now or datetime.now(UTC))


# --- status ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthCoverage:
    month: str  # "2026-11"
    recorded: int
    indexed: int
    pending: int


@dataclass(frozen=True)
class LibraryStatus:
    """What `ringsense-mcp library status` and the `ringsense://library/status` resource show."""

    backend: str  # "sqlite"
    location: str  # the database file (or a redacted URL for a server backend)
    schema_version: int
    size_bytes: int
    calls: int
    pending: int
    not_analysed: int
    failed: int
    last_sync: datetime | None
    last_event: datetime | None
    synced: tuple[DateRange, ...]
    by_month: tuple[MonthCoverage, ...]
