"""Synced ranges and coverage: which parts of a date range the library holds, and what it holds of them.

Ranges are ``[start, end)`` pairs of epoch seconds. `coverage` turns a backend's counts, synced ranges and sync
state into the `Coverage` every cross-call answer carries, gaps included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from .filters import aware
from .store import Coverage, DateRange

__all__ = ["coverage", "merge_ranges", "subtract_ranges"]


def _from_epoch(seconds: int | str | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(int(seconds), UTC)


def coverage(
    date_from: datetime | None,
    date_to: datetime,
    *,
    counts: Mapping[str, int],
    synced: Sequence[tuple[int, int]],
    state: Mapping[str, str],
    first_recording: int | None = None,
) -> Coverage:
    """The coverage of `[date_from, date_to)` from what a backend read: recordings of the range by state, the
    synced ranges (epoch seconds, in order), the `state` table's `last_sync`/`last_event`, and, for `date_from`
    None (the whole library), the start of its first recording. The whole library's range starts at its first
    known call or synced day, so its gaps are only those inside what the library knows."""
    end = int(aware(date_to).timestamp())
    if date_from is None:
        known = [synced[0][0]] if synced else []
        known += [first_recording] if first_recording is not None else []
        start = min([*known, end])
        # Nothing known before date_to: an empty range, exactly (not "date_to cut to the second → date_to").
        shown_from = datetime.fromtimestamp(start, UTC) if start < end else date_to
    else:
        start = int(aware(date_from).timestamp())
        shown_from = date_from
    gaps = subtract_ranges((start, end), synced)
    return Coverage(
        date_from=shown_from,
        date_to=date_to,
        recorded=sum(counts.values()),
        indexed=counts.get("indexed", 0),
        pending=counts.get("pending", 0),
        not_analysed=counts.get("not_analysed", 0),
        failed=counts.get("failed", 0),
        unsynced=tuple(DateRange(datetime.fromtimestamp(s, UTC), datetime.fromtimestamp(e, UTC)) for s, e in gaps),
        last_sync=_from_epoch(state.get("last_sync")),
        last_event=_from_epoch(state.get("last_event")),
        whole_library=date_from is None,
    )


def merge_ranges(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching [start, end) ranges merged, in order."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(r for r in ranges if r[0] < r[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def subtract_ranges(wanted: tuple[int, int], covered: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of `wanted` no range of `covered` includes."""
    gaps = []
    cursor, end = wanted
    for start, stop in merge_ranges(covered):
        if stop <= cursor or start >= end:
            continue
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, stop)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps
