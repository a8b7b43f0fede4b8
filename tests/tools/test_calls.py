"""Date ranges, phone numbers and cursors of list_recorded_calls (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tools.calls import Query, normalise_phone, resolve_range
from tools.errors import ToolFailure

NOW = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)


def test_a_bare_date_covers_the_whole_day_in_utc():
    start, end = resolve_range("2026-11-20", "2026-11-20", NOW)
    assert start == datetime(2026, 11, 20, tzinfo=UTC)
    assert (end.date(), end.hour, end.minute, end.second) == (datetime(2026, 11, 20).date(), 23, 59, 59)


def test_iso_datetimes_with_offsets_are_converted_to_utc_and_naive_ones_taken_as_utc():
    start, end = resolve_range("2026-11-20T09:00:00-05:00", "2026-11-20T18:00:00", NOW)
    assert start == datetime(2026, 11, 20, 14, tzinfo=UTC)
    assert end == datetime(2026, 11, 20, 18, tzinfo=UTC)


def test_missing_bounds_mean_the_last_seven_days():
    start, end = resolve_range(None, None, NOW)
    assert end == NOW and (end - start).days == 7


@pytest.mark.parametrize(
    ("date_from", "date_to", "message"),
    [
        ("2026-11-20", "2026-11-01", "swap them"),
        ("2026-02-30", None, "not a real date"),
        ("yesterday", None, "YYYY-MM-DD"),
        ("x" * 10_000, None, "…"),
        ("2024-01-01", "2026-01-01", "366 days"),
        ("0001-01-01", "0001-01-02", "before 2000"),
        ("1999-12-31T23:00:00Z", None, "before 2000"),
    ],
)
def test_bad_ranges_are_refused_with_a_fix(date_from, date_to, message):
    with pytest.raises(ToolFailure, match=message):
        resolve_range(date_from, date_to, NOW)


@pytest.mark.parametrize(("raw", "expected"), [("(650) 555-0142", "6505550142"), ("+1 650.555.0142", "+16505550142")])
def test_phone_numbers_are_normalised(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["555-CALL-NOW", "12", "+1 650 555 0142 ext 9", "1;DROP TABLE"])
def test_non_numbers_are_refused(raw):
    with pytest.raises(ToolFailure, match="not a phone number"):
        normalise_phone(raw)


def test_a_cursor_round_trips_its_query():
    query = Query(datetime(2026, 11, 1, tzinfo=UTC), NOW, "Inbound", "+16505550142", page=3, per_page=25)
    assert Query.decode(query.encode()) == query


@pytest.mark.parametrize(
    "cursor",
    ["", "!!!", "eyJ2IjoyfQ", "bm90IGpzb24", Query(NOW, NOW, None, None, 1, 25).encode()[:-4], "A" * 500],
)
def test_tampered_or_foreign_cursors_are_refused(cursor):
    with pytest.raises(ToolFailure, match="without cursor"):
        Query.decode(cursor)
