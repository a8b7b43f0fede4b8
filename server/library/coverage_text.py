"""How a `Coverage` is said to a person or a model: the range, the counts, what is not synced, how old the sync is.

Durations are human and exact enough to act on: "45 s", "3 min", "7 h 12 min", "2 days 5 h", "12 days" — never a
fraction of a day. A time with a time of day is shown to the minute, in UTC; a midnight is shown as its date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time
from typing import Protocol

__all__ = ["ago", "describe", "duration", "moment"]


# What the wording reads of a `store.Coverage` and its `DateRange`s: described here, not imported, because the
# store's Coverage.describe calls this module.
class _Span(Protocol):
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...


class _Coverage(Protocol):
    @property
    def date_from(self) -> datetime: ...
    @property
    def date_to(self) -> datetime: ...
    @property
    def recorded(self) -> int: ...
    @property
    def indexed(self) -> int: ...
    @property
    def pending(self) -> int: ...
    @property
    def not_analysed(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def unsynced(self) -> Sequence[_Span]: ...
    @property
    def last_sync(self) -> datetime | None: ...
    @property
    def whole_library(self) -> bool: ...


MAX_GAPS_LISTED = 3  # more unsynced parts than this are summed up: the sentence must stay one line


def _unit(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def duration(seconds: float) -> str:
    """A length of time, rounded down: one unit, or two while the first is under 10 ("7 h 12 min", "14 h")."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min"
    if whole < 86400:
        hours, minutes = divmod(whole // 60, 60)
        return f"{hours} h" + (f" {minutes} min" if minutes and hours < 10 else "")
    days, hours = divmod(whole // 3600, 24)
    return _unit(days, "day") + (f" {hours} h" if hours and days < 10 else "")


def ago(when: datetime, now: datetime) -> str:
    """How long before `now`: "just now" under a minute (or for a time ahead of `now`), else "3 min ago"."""
    seconds = (now - when).total_seconds()
    return "just now" if seconds < 60 else f"{duration(seconds)} ago"


def moment(when: datetime) -> str:
    """A UTC date ("2026-11-03") at midnight, else the date and time to the minute ("2026-11-03 14:05 UTC")."""
    when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return f"{when:%Y-%m-%d}" if when.time() == time(0) else f"{when:%Y-%m-%d %H:%M} UTC"


def _span(gap: _Span) -> str:
    return f"{moment(gap.start)} → {moment(gap.end)} ({duration((gap.end - gap.start).total_seconds())})"


def _unsynced(gaps: Sequence[_Span]) -> str:
    listed = ", ".join(_span(gap) for gap in gaps[:MAX_GAPS_LISTED])
    if len(gaps) > MAX_GAPS_LISTED:
        total = sum((gap.end - gap.start).total_seconds() for gap in gaps)
        listed += f" and {len(gaps) - MAX_GAPS_LISTED} more parts ({duration(total)} in all)"
    return f"call log not synced for {listed}: calls there are missing"


def describe(coverage: _Coverage, now: datetime) -> str:
    """One line, e.g. "412 of 430 recorded calls indexed; 18 pending analysis; last sync 3 min ago". A coverage of
    the whole library (a search without a start) first says what that is: "all indexed calls, 2026-10-30 → …"."""
    parts = []
    if coverage.whole_library:
        if coverage.date_from >= coverage.date_to:
            parts.append(f"all indexed calls before {moment(coverage.date_to)}: none")
        else:
            parts.append(f"all indexed calls, {moment(coverage.date_from)} → {moment(coverage.date_to)}")
    parts.append(f"{coverage.indexed} of {_unit(coverage.recorded, 'recorded call')} indexed")
    if coverage.pending:
        parts.append(f"{coverage.pending} pending analysis")
    if coverage.not_analysed:
        parts.append(f"{coverage.not_analysed} not analysed by RingSense")
    if coverage.failed:
        parts.append(f"{coverage.failed} failed (will retry)")
    if coverage.unsynced:
        parts.append(_unsynced(coverage.unsynced))
    if coverage.whole_library and coverage.date_from < coverage.date_to:
        parts.append(f"nothing before {moment(coverage.date_from)} synced")
    parts.append(f"last sync {ago(coverage.last_sync, now)}" if coverage.last_sync else "never synced")
    return "; ".join(parts)
