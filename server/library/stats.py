"""Call statistics: the calls of a range grouped (owner, number, direction, day, week) and totalled, with trends.

`aggregate` takes the calls a backend read and answers the same `StatsResult` for SQLite and PostgreSQL; a
trend compares the halves of the range (or, by day and week, each period with the one before).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .errors import LibraryQueryError
from .filters import aware
from .store import CallRef, Coverage, StatsQuery, StatsResult, StatsRow, Trend

__all__ = ["aggregate"]

_TREND_EPSILON = 0.25  # AI-score points: smaller moves are "flat"


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _periods(query: StatsQuery) -> list[tuple[str, str]]:
    """(key, label) of every day or week of the range, in order."""
    start, end = aware(query.date_from).date(), (aware(query.date_to) - timedelta(microseconds=1)).date()
    step = timedelta(days=1 if query.group_by == "day" else 7)
    current = start if query.group_by == "day" else _week_start(start)
    out = []
    while current <= end:
        out.append(_period(current, query.group_by))
        current += step
    return out


def _period(day: date, group_by: str) -> tuple[str, str]:
    if group_by == "day":
        return day.isoformat(), day.strftime("%a %d %b %Y")
    monday = _week_start(day)
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}", f"week of {monday.strftime('%d %b %Y')}"


def _key(call: CallRef, group_by: str) -> tuple[str, str]:
    if group_by == "owner":
        key = call.owner_extension_id or "unknown"
        return key, call.owner_name or (f"extension {key}" if key != "unknown" else "unknown owner")
    if group_by == "external_number":
        return (call.external_number or "unknown"), (call.external_number or "unknown number")
    if group_by == "direction":
        return (call.direction or "unknown"), (call.direction or "unknown direction")
    day = (call.started_at or datetime.now(UTC)).date()
    return _period(day, group_by)


@dataclass
class _Tally:
    calls: int = 0
    talk: float = 0.0
    scores: list[float] | None = None
    sentiment: Counter[str] | None = None

    def add(self, call: CallRef) -> None:
        self.calls += 1
        self.talk += call.duration_seconds or 0.0
        if call.ai_score is not None:
            self.scores = [*(self.scores or []), call.ai_score]
        if call.sentiment:
            self.sentiment = self.sentiment or Counter()
            self.sentiment[call.sentiment] += 1

    @property
    def avg(self) -> float | None:
        return round(sum(self.scores) / len(self.scores), 2) if self.scores else None


def _trend(basis: str, before: _Tally, after: _Tally) -> Trend:
    score_change = round(after.avg - before.avg, 2) if before.avg is not None and after.avg is not None else None
    calls_change = after.calls - before.calls
    if score_change is not None:
        moved = "up" if score_change > _TREND_EPSILON else "down" if score_change < -_TREND_EPSILON else "flat"
    else:
        moved = "up" if calls_change > 0 else "down" if calls_change < 0 else "flat"
    return Trend(basis=basis, calls_change=calls_change, score_change=score_change, direction=moved)  # type: ignore[arg-type]


def _row(key: str, label: str, tally: _Tally, trend: Trend | None) -> StatsRow:
    return StatsRow(
        key=key,
        label=label,
        calls=tally.calls,
        talk_seconds=round(tally.talk, 1),
        scored_calls=len(tally.scores or []),
        avg_score=tally.avg,
        sentiment=dict(tally.sentiment or {}),
        trend=trend,
    )


def aggregate(query: StatsQuery, calls: Iterable[CallRef], coverage: Coverage) -> StatsResult:
    """Group and total the calls of the range; trends by halves of the range or against the previous period."""
    if query.group_by not in ("owner", "external_number", "direction", "day", "week"):
        raise LibraryQueryError("group_by must be owner, external_number, direction, day or week.")
    middle = aware(query.date_from) + (aware(query.date_to) - aware(query.date_from)) / 2
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    halves: dict[str, tuple[_Tally, _Tally]] = defaultdict(lambda: (_Tally(), _Tally()))
    labels: dict[str, str] = {}
    total = _Tally()
    total_halves = (_Tally(), _Tally())
    for call in calls:
        key, label = _key(call, query.group_by)
        labels.setdefault(key, label)
        tallies[key].add(call)
        total.add(call)
        late = call.started_at is not None and call.started_at >= middle
        halves[key][late].add(call)
        total_halves[late].add(call)
    rows: list[StatsRow] = []
    if query.group_by in ("day", "week"):
        previous: _Tally | None = None
        for key, label in _periods(query):
            tally = tallies.get(key, _Tally())
            rows.append(_row(key, label, tally, _trend("previous", previous, tally) if previous else None))
            previous = tally
    else:
        for key in sorted(tallies, key=lambda k: (-tallies[k].calls, labels[k].lower())):
            rows.append(_row(key, labels[key], tallies[key], _trend("halves", *halves[key])))
    totals = _row("all", "all calls", total, _trend("halves", *total_halves))
    return StatsResult(group_by=query.group_by, rows=tuple(rows), totals=totals, coverage=coverage)
