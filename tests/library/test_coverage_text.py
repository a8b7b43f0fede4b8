"""How coverage is said: human durations, the unsynced parts by their dates, the age of the last sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.library.store import Coverage, DateRange

NOW = datetime(2026, 11, 30, 10, 10, tzinfo=UTC)


def _coverage(**changes: object) -> Coverage:
    fields: dict[str, object] = {
        "date_from": NOW - timedelta(days=7),
        "date_to": NOW,
        "recorded": 430,
        "indexed": 412,
        "pending": 18,
        "not_analysed": 0,
        "failed": 0,
        "last_sync": NOW - timedelta(minutes=3),
    }
    return Coverage(**{**fields, **changes})  # type: ignore[arg-type]


def test_the_issue_example_reads_as_written() -> None:
    assert _coverage().describe(NOW) == "412 of 430 recorded calls indexed; 18 pending analysis; last sync 3 min ago"


@pytest.mark.parametrize(
    ("gap", "said"),
    [
        (timedelta(seconds=40), "(40 s)"),
        (timedelta(minutes=25), "(25 min)"),
        (timedelta(hours=7), "(7 h)"),
        (timedelta(hours=7, minutes=12), "(7 h 12 min)"),
        (timedelta(hours=14, minutes=12), "(14 h)"),
        (timedelta(days=1), "(1 day)"),
        (timedelta(days=2), "(2 days)"),
        (timedelta(days=2, hours=5), "(2 days 5 h)"),
        (timedelta(days=333, hours=14), "(333 days)"),
    ],
    ids=["seconds", "minutes", "hours", "hours-and-minutes", "many-hours", "one-day", "days", "days-and-hours",
         "most-of-a-year"],
)  # fmt: skip
def test_an_unsynced_part_is_said_with_its_dates_and_a_human_duration(gap: timedelta, said: str) -> None:
    start = datetime(2026, 11, 20, tzinfo=UTC)
    text = _coverage(unsynced=(DateRange(start, start + gap),)).describe(NOW)
    assert f"call log not synced for 2026-11-20 → {_moment(start + gap)} {said}: calls there are missing" in text
    assert "0." not in text and "days of the range" not in text


def _moment(when: datetime) -> str:
    return f"{when:%Y-%m-%d}" if when.hour == when.minute == when.second == 0 else f"{when:%Y-%m-%d %H:%M} UTC"


def test_many_unsynced_parts_are_listed_up_to_three_and_summed_up() -> None:
    day = datetime(2026, 11, 1, tzinfo=UTC)
    gaps = tuple(DateRange(day + timedelta(days=2 * i), day + timedelta(days=2 * i + 1)) for i in range(5))
    text = _coverage(unsynced=gaps).describe(NOW)
    assert "2026-11-01 → 2026-11-02 (1 day), 2026-11-03 → 2026-11-04 (1 day), 2026-11-05 → 2026-11-06 (1 day)" in text
    assert "and 2 more parts (5 days in all)" in text


@pytest.mark.parametrize(
    ("age", "said"),
    [
        (timedelta(seconds=20), "last sync just now"),
        (timedelta(seconds=-30), "last sync just now"),
        (timedelta(minutes=3), "last sync 3 min ago"),
        (timedelta(hours=7, minutes=5), "last sync 7 h 5 min ago"),
        (timedelta(hours=23, minutes=59), "last sync 23 h ago"),
        (timedelta(days=1, hours=2), "last sync 1 day 2 h ago"),
        (timedelta(days=12), "last sync 12 days ago"),
    ],
    ids=["seconds", "clock-skew", "minutes", "hours", "almost-a-day", "one-day", "days"],
)
def test_the_last_sync_is_said_as_a_human_age(age: timedelta, said: str) -> None:
    assert _coverage(last_sync=NOW - age).describe(NOW).endswith(said)


def test_a_library_never_synced_says_so() -> None:
    assert _coverage(last_sync=None).describe(NOW).endswith("; never synced")


def test_one_recorded_call_is_singular() -> None:
    assert _coverage(recorded=1, indexed=1, pending=0).describe(NOW).startswith("1 of 1 recorded call indexed;")


def test_a_whole_library_coverage_says_what_was_searched_and_what_lies_before_it() -> None:
    first = datetime(2026, 10, 30, tzinfo=UTC)
    text = _coverage(date_from=first, whole_library=True).describe(NOW)
    assert text.startswith("all indexed calls, 2026-10-30 → 2026-11-30 10:10 UTC; 412 of 430 recorded calls indexed")
    assert "nothing before 2026-10-30 synced" in text


def test_an_empty_whole_library_coverage_says_the_library_holds_nothing() -> None:
    empty = _coverage(date_from=NOW, recorded=0, indexed=0, pending=0, whole_library=True, last_sync=None)
    assert empty.describe(NOW) == (
        "all indexed calls before 2026-11-30 10:10 UTC: none; 0 of 0 recorded calls indexed; never synced"
    )
