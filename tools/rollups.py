"""list_next_steps and call_stats: roll-ups across every call of a range, from the call library."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import zip_longest
from typing import TYPE_CHECKING, Literal

from .calls import MAX_RANGE_DAYS, normalise_phone, resolve_range
from .deps import Deps
from .errors import ToolFailure
from .formatting import clock, iso_utc, neutralise
from .library import LIBRARY_DATA_SOURCE, Progress, coverage_info, half_open, library_errors, reader_for
from .library_models import CallStatsResult, NextStepsResult, OwnerTotal, StatsRowOut, StepGroup, StepItem

if TYPE_CHECKING:
    from server.library import NextStep, NextStepGroup, StatsRow
    from server.library.store import Direction, GroupBy

DEFAULT_STEPS_PER_PAGE = 40  # about 4,000 tokens with coverage: a roll-up a model can read in one turn
MAX_STEPS_PER_PAGE = 200
MAX_STEPS_CURSOR_CHARS = 200
StepsDetail = Literal["concise", "full"]


# --- list_next_steps -------------------------------------------------------------------------------------------


def _range(date_from: str | None, date_to: str | None, now: datetime) -> tuple[datetime, datetime]:
    start, end = resolve_range(date_from, date_to, now)
    return start, half_open(end)


def _fingerprint(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class _Position:
    """Where a page of next steps starts: the range is kept in the cursor, so a default `date_to` ("now") does not
    move between pages."""

    offset: int
    date_from: datetime
    date_to: datetime

    def encode(self, fingerprint: str) -> str:
        raw = json.dumps(
            {"o": self.offset, "a": iso_utc(self.date_from), "b": iso_utc(self.date_to), "f": fingerprint},
            separators=(",", ":"),
        ).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str, fingerprint: str) -> _Position:
        stale = ToolFailure(
            "This cursor does not belong to these arguments (or is damaged): repeat the same group_by and owner "
            "with the cursor of the previous page, or leave cursor out to start again."
        )
        if len(cursor) > MAX_STEPS_CURSOR_CHARS:
            raise stale
        try:
            data = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii") + b"=="))
            if not isinstance(data, dict) or data.get("f") != fingerprint:
                raise stale
            position = cls(
                data["o"],
                datetime.fromisoformat(data["a"].replace("Z", "+00:00")),
                datetime.fromisoformat(data["b"].replace("Z", "+00:00")),
            )
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeError, binascii.Error):
            raise stale from None
        offset = position.offset
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 1 or position.date_from.tzinfo is None:
            raise stale
        if not timedelta(0) < position.date_to - position.date_from <= timedelta(days=MAX_RANGE_DAYS):
            raise stale  # a cursor is not signed: hold it to the limits of a fresh query
        return position


def _due(step: NextStep) -> str | None:
    if step.due and step.due_date:
        return f"{neutralise(step.due)} ({step.due_date.isoformat()})"
    return neutralise(step.due) if step.due else None


def _item(step: NextStep, detail: StepsDetail) -> StepItem:
    day = f"{step.call.started_at:%Y-%m-%d} " if step.call.started_at else ""
    return StepItem(
        text=neutralise(step.text),
        speaker=neutralise(step.speaker) if step.speaker else None,
        at=clock(step.start_seconds),
        due=_due(step),
        call=day + neutralise(step.call.title),
        record_id=step.call.record_id,
        evidence=neutralise(step.evidence) if detail == "full" and step.evidence else None,
    )


def _order(groups: Sequence[NextStepGroup], group_by: str) -> list[tuple[NextStepGroup, NextStep]]:
    """The order steps are paged in. By owner, the owners take turns (each one's oldest call first), so the first
    page already shows what everyone promised; by call, call after call."""
    if group_by != "owner":
        return [(group, step) for group in groups for step in group.steps]
    turns = zip_longest(*([(group, step) for step in group.steps] for group in groups))
    return [pair for turn in turns for pair in turn if pair is not None]


def _owner(group: NextStepGroup) -> OwnerTotal:
    return OwnerTotal(
        key=group.key,
        label=neutralise(group.label),
        steps=len(group.steps),
        calls=len({step.call.record_id for step in group.steps}),
        due_dated=sum(step.due is not None for step in group.steps),
    )


async def list_next_steps(
    deps: Deps,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    group_by: Literal["owner", "call"] = "owner",
    owner: str | None = None,
    direction: Direction | None = None,
    detail: StepsDetail = "concise",
    limit: int = DEFAULT_STEPS_PER_PAGE,
    cursor: str | None = None,
    progress: Progress | None = None,
) -> NextStepsResult:
    """Every next step of the calls recorded in the range, grouped, paged, with coverage.

    Raises ToolFailure: the library is off, bad dates or cursor, or arguments the library refuses.
    """
    from server.library import NextStepsQuery  # lazy: the library stays out of the cold start

    now = deps.now()
    fingerprint = _fingerprint(group_by, owner, direction)
    if cursor:
        position = _Position.decode(cursor, fingerprint)
        start, end, offset = position.date_from, position.date_to, position.offset
        if date_from or date_to:
            asked_from, asked_to = _range(date_from, date_to, now)
            if (date_from and asked_from != start) or (date_to and asked_to != end):
                raise ToolFailure(
                    "The cursor belongs to another date range; pass the same dates, or none, with the cursor."
                )
    else:
        start, end = _range(date_from, date_to, now)
        offset = 0
    reader = await reader_for(deps.library, start, end, progress)
    async with library_errors():
        result = await reader.next_steps(
            NextStepsQuery(date_from=start, date_to=end, group_by=group_by, owner=owner, direction=direction)
        )
    if offset > result.total:
        raise ToolFailure(f"The cursor is past the end: {result.total} next steps in this range. Start again.")
    page = _order(result.groups, group_by)[offset : offset + limit]
    groups: dict[str, StepGroup] = {}
    for group, step in page:
        if group.key not in groups:
            groups[group.key] = StepGroup(
                key=group.key, label=neutralise(group.label), total=len(group.steps), steps=[]
            )
        groups[group.key].steps.append(_item(step, detail))
    owners = [_owner(group) for group in result.groups] if group_by == "owner" else None
    end_offset = offset + len(page)
    next_cursor = _Position(end_offset, start, end).encode(fingerprint) if end_offset < result.total else None
    coverage = coverage_info(result.coverage, now)
    hint = (
        "Each step names its call: get_insights_by_record(record_id) for the context, render_transcript(record_id, "
        "start_seconds) for the exact words."
        if page
        else "No next steps on the calls of this range; try a wider range or drop the filters."
    )
    if next_cursor:
        hint += f" {result.total - end_offset} more next steps: pass cursor with the same arguments."
    if not coverage.complete:
        hint += " The library is not complete for this range (see coverage): say so when answering."
    return NextStepsResult(
        date_from=iso_utc(start) or "",
        date_to=iso_utc(end) or "",
        group_by=group_by,
        total=result.total,
        owners=owners,
        groups=list(groups.values()),
        cursor=next_cursor,
        coverage=coverage,
        data_source=LIBRARY_DATA_SOURCE,
        hint=hint,
    )


# --- call_stats ------------------------------------------------------------------------------------------------


def _trend(row: StatsRow) -> str | None:
    trend = row.trend
    if trend is None:
        return None
    against = "second half vs first" if trend.basis == "halves" else "vs the previous period"
    parts = [f"{trend.calls_change:+d} calls"]
    if trend.score_change is not None:
        parts.append(f"score {trend.score_change:+.1f}")
    return f"{trend.direction}: {', '.join(parts)} ({against})"


def _row(row: StatsRow) -> StatsRowOut:
    return StatsRowOut(
        key=neutralise(row.key),
        label=neutralise(row.label),
        calls=row.calls,
        talk_time=clock(row.talk_seconds) or "00:00",
        avg_score=round(row.avg_score, 1) if row.avg_score is not None else None,
        scored_calls=row.scored_calls,
        sentiment=dict(row.sentiment),
        trend=_trend(row),
    )


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def _table(rows: list[StatsRowOut], totals: StatsRowOut, group_by: str) -> str:
    lines = [
        f"| {group_by} | calls | talk time | avg AI score | sentiment (+/=/-) | trend |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in [*rows, totals]:
        mood = "/".join(str(row.sentiment.get(k, 0)) for k in ("Positive", "Neutral", "Negative"))
        score = f"{row.avg_score:.1f}" if row.avg_score is not None else "–"
        lines.append(
            f"| {_cell(row.label)} | {row.calls} | {row.talk_time} | {score} | {mood} | {_cell(row.trend or '')} |"
        )
    return "\n".join(lines)


async def call_stats(
    deps: Deps,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    group_by: GroupBy = "owner",
    owner: str | None = None,
    direction: Direction | None = None,
    phone_number: str | None = None,
    domain: str | None = None,
    progress: Progress | None = None,
) -> CallStatsResult:
    """Counts, talk time, AI score and sentiment per group with a trend, as rows and a markdown table.

    Raises ToolFailure: the library is off, bad dates or number, or arguments the library refuses.
    """
    from server.library import StatsQuery  # lazy: the library stays out of the cold start

    now = deps.now()
    start, end = _range(date_from, date_to, now)
    reader = await reader_for(deps.library, start, end, progress)
    async with library_errors():
        result = await reader.stats(
            StatsQuery(
                date_from=start,
                date_to=end,
                group_by=group_by,
                owner=owner,
                direction=direction,
                phone_number=normalise_phone(phone_number),
                domain=domain,
            )
        )
    rows = [_row(row) for row in result.rows]
    totals = _row(result.totals)
    coverage = coverage_info(result.coverage, now)
    hint = "Show the table as is. search_calls or list_next_steps with the same dates drill into the calls."
    if not coverage.complete:
        hint += " The library is not complete for this range (see coverage): say so when answering."
    return CallStatsResult(
        date_from=iso_utc(start) or "",
        date_to=iso_utc(end) or "",
        group_by=group_by,
        rows=rows,
        totals=totals,
        table=_table(rows, totals, group_by),
        coverage=coverage,
        data_source=LIBRARY_DATA_SOURCE,
        hint=hint,
    )
