"""Next steps, stats and coverage over the sample calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.library import LibraryQueryError, NextStepsQuery, StatsQuery
from server.library.sqlite import SqliteStore
from server.library.store import RecordingEntry
from server.sandbox.samples import Dataset

from .conftest import sample_bodies

pytestmark = pytest.mark.anyio


def _month(now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(days=31), now + timedelta(minutes=1)


async def test_next_steps_are_grouped_by_owner_with_evidence_and_deadlines(
    filled: SqliteStore, dataset: Dataset, now: datetime
) -> None:
    result = await filled.next_steps(NextStepsQuery(*_month(now)))
    expected = sum(len(body["insights"].get("NextSteps") or []) for b in sample_bodies(dataset).values() for body in b)
    assert result.total == expected and not result.truncated
    by_owner = {group.label: group for group in result.groups}
    marcus = by_owner["Marcus Oyelaran"]
    assert all(step.call.owner_name == "Marcus Oyelaran" for step in marcus.steps)
    proposal = next(step for step in marcus.steps if step.text.startswith("Marcus to send a proposal"))
    assert proposal.due == "by Saturday, November 7"
    assert proposal.due_date is not None and proposal.due_date.month == 11 and proposal.due_date.day == 7
    assert proposal.evidence and proposal.evidence_speaker and proposal.start_seconds is not None
    assert proposal.call.record_id and proposal.call.session_id


async def test_next_steps_by_call_keep_call_order(filled: SqliteStore, now: datetime) -> None:
    result = await filled.next_steps(NextStepsQuery(*_month(now), group_by="call"))
    starts = [group.steps[0].call.started_at for group in result.groups]
    assert starts == sorted(starts)
    assert all(group.key == group.steps[0].call.record_id for group in result.groups)


async def test_next_steps_can_be_capped_and_say_so(filled: SqliteStore, now: datetime) -> None:
    result = await filled.next_steps(NextStepsQuery(*_month(now), limit=3))
    assert sum(len(group.steps) for group in result.groups) == 3
    assert result.truncated and result.total > 3


async def test_next_steps_of_one_owner(filled: SqliteStore, now: datetime) -> None:
    result = await filled.next_steps(NextStepsQuery(*_month(now), owner="sofia"))
    assert [group.label for group in result.groups] == ["Sofia Lindqvist"]


@pytest.mark.parametrize("group_by", ["owner", "external_number", "direction", "day", "week"])
async def test_stats_count_every_call_once_whatever_the_grouping(
    filled: SqliteStore, now: datetime, group_by: str
) -> None:
    result = await filled.stats(StatsQuery(*_month(now), group_by=group_by))  # type: ignore[arg-type]
    status = await filled.status()
    assert sum(row.calls for row in result.rows) == result.totals.calls == status.calls
    assert result.totals.talk_seconds == pytest.approx(sum(row.talk_seconds for row in result.rows), abs=1)
    assert result.totals.avg_score is not None and 0 <= result.totals.avg_score <= 10


async def test_daily_stats_include_empty_days_and_trend_against_the_day_before(
    filled: SqliteStore, now: datetime
) -> None:
    start, end = _month(now)
    result = await filled.stats(StatsQuery(start, end, group_by="day"))
    assert len(result.rows) == (end.date() - start.date()).days + 1
    assert result.rows[0].trend is None
    assert all(row.trend is not None and row.trend.basis == "previous" for row in result.rows[1:])


async def test_owner_stats_trend_compares_the_halves_of_the_range(filled: SqliteStore, now: datetime) -> None:
    result = await filled.stats(StatsQuery(*_month(now), group_by="owner"))
    for row in result.rows:
        assert row.trend is not None and row.trend.basis == "halves"
        assert sum(row.sentiment.values()) <= row.calls
    assert [row.calls for row in result.rows] == sorted((row.calls for row in result.rows), reverse=True)


@pytest.mark.parametrize(
    "query",
    [
        StatsQuery(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
        StatsQuery(datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
        StatsQuery(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC), group_by="color"),  # type: ignore[arg-type]
    ],
    ids=["reversed", "too-long", "unknown-grouping"],
)
async def test_bad_stats_ranges_and_groupings_are_refused(filled: SqliteStore, query: StatsQuery) -> None:
    with pytest.raises(LibraryQueryError):
        await filled.stats(query)


async def test_coverage_counts_known_recordings_and_unsynced_days(store: SqliteStore, now: datetime) -> None:
    start, end = now - timedelta(days=10), now
    entries = [RecordingEntry("pbx", f"r{i}", f"s{i}", now - timedelta(days=i + 1)) for i in range(5)]
    await store.note_recordings(entries)
    await store.set_recording_state("pbx", "r0", "not_analysed", attempts=3)
    await store.set_recording_state("pbx", "r1", "failed", attempts=1)
    await store.mark_synced(now - timedelta(days=4), now, at=now)
    coverage = await store.coverage(start, end)
    assert (coverage.recorded, coverage.indexed, coverage.pending, coverage.not_analysed, coverage.failed) == (
        5, 0, 3, 1, 1,
    )  # fmt: skip
    assert len(coverage.unsynced) == 1 and coverage.unsynced[0].end == now - timedelta(days=4)
    assert not coverage.complete
    text = coverage.describe(now + timedelta(minutes=3))
    assert text.startswith("0 of 5 recorded calls indexed; 3 pending analysis; 1 not analysed by RingSense")
    gap = f"{start:%Y-%m-%d %H:%M} UTC → {now - timedelta(days=4):%Y-%m-%d %H:%M} UTC (6 days)"
    assert f"call log not synced for {gap}: calls there are missing" in text and text.endswith("last sync 3 min ago")


async def test_coverage_of_a_fully_synced_and_indexed_range_is_complete(filled: SqliteStore, now: datetime) -> None:
    start, end = _month(now)
    await filled.mark_synced(start, end, at=now)
    coverage = await filled.coverage(start, end)
    assert coverage.complete and coverage.indexed == coverage.recorded > 0


async def test_coverage_without_a_start_describes_the_whole_library_and_its_gaps(
    store: SqliteStore, now: datetime
) -> None:
    """A search without date_from reaches every call: its coverage runs from the first call the library knows, with
    only the gaps inside that, never a year of guessed range."""
    days = [20, 10, 3]
    await store.note_recordings([RecordingEntry("pbx", f"r{d}", f"s{d}", now - timedelta(days=d)) for d in days])
    await store.mark_synced(now - timedelta(days=12), now - timedelta(days=5), at=now)
    await store.mark_synced(now - timedelta(days=4), now, at=now)
    coverage = await store.coverage(None, now)
    assert coverage.whole_library and coverage.date_from == now - timedelta(days=20) and coverage.recorded == 3
    assert [(gap.start, gap.end) for gap in coverage.unsynced] == [
        (now - timedelta(days=20), now - timedelta(days=12)),
        (now - timedelta(days=5), now - timedelta(days=4)),
    ]
    assert coverage.describe(now).startswith(f"all indexed calls, {now - timedelta(days=20):%Y-%m-%d %H:%M} UTC → ")


async def test_coverage_without_a_start_starts_at_the_first_synced_day_when_it_is_older(
    store: SqliteStore, now: datetime
) -> None:
    await store.note_recordings([RecordingEntry("pbx", "r1", "s1", now - timedelta(days=2))])
    await store.mark_synced(now - timedelta(days=31), now, at=now)
    coverage = await store.coverage(None, now)
    assert coverage.date_from == now - timedelta(days=31) and coverage.unsynced == () and coverage.complete is False


async def test_coverage_of_an_empty_library_without_a_start_is_empty(store: SqliteStore, now: datetime) -> None:
    coverage = await store.coverage(None, now)
    assert coverage.whole_library and coverage.date_from == coverage.date_to == now and coverage.recorded == 0
    assert not coverage.complete, "a library that knows nothing is not a complete answer"
    assert coverage.describe(now).startswith("all indexed calls before")
