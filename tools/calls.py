"""list_recorded_calls: find recorded calls in a date range, with their record and session ids."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from server.ringsense.models import CallLogParty, CallLogRecord

from .deps import Deps
from .errors import ToolFailure
from .formatting import clock, iso_utc, neutralise
from .models import CallRow, Party, RecordedCallsResult

DEFAULT_RANGE_DAYS = 7
DEFAULT_CALLS_PER_PAGE = 25
MAX_CALLS_PER_PAGE = 100
MAX_RANGE_DAYS = 366
EARLIEST_YEAR = 2000  # no RingCentral call log reaches further back
Direction = Literal["Inbound", "Outbound"]
_DATE_FORMAT_HELP = "use YYYY-MM-DD (the whole day, UTC) or an ISO-8601 datetime such as 2026-11-20T14:00:00Z"
_PHONE_KEEP = re.compile(r"[\s().\-]")
_PHONE = re.compile(r"\+?\d{3,15}")


def parse_when(value: str, name: str, *, end_of_day: bool) -> datetime:
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ToolFailure(f"{name}={value!r} is not a real date: {_DATE_FORMAT_HELP}.") from None
        return _plausible(datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC), name, value)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise ToolFailure(f"{name}={shown!r} is not a date: {_DATE_FORMAT_HELP}.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _plausible(parsed.astimezone(UTC), name, value)


def _plausible(when: datetime, name: str, value: str) -> datetime:
    if when.year < EARLIEST_YEAR:
        raise ToolFailure(f"{name}={value[:40]!r} is before {EARLIEST_YEAR}: RingCentral has no calls that old.")
    return when


def resolve_range(date_from: str | None, date_to: str | None, now: datetime) -> tuple[datetime, datetime]:
    """A bare date covers the whole day; missing bounds mean the last DEFAULT_RANGE_DAYS days."""
    end = parse_when(date_to, "date_to", end_of_day=True) if date_to else now
    start = parse_when(date_from, "date_from", end_of_day=False) if date_from else end - timedelta(DEFAULT_RANGE_DAYS)
    if start > end and not date_to:  # "swap them" would point at a date_to nobody gave
        raise ToolFailure(
            f"date_from ({iso_utc(start)}) is in the future: no call is recorded there yet. Give an earlier date_from."
        )
    if start > end:
        raise ToolFailure(
            f"date_from ({iso_utc(start)}) is after date_to ({iso_utc(end)}): swap them, or give a later date_to."
        )
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise ToolFailure(
            f"The range {iso_utc(start)} – {iso_utc(end)} is longer than {MAX_RANGE_DAYS} days; "
            "RingSense keeps insights for 1 year by default. Ask for a shorter range."
        )
    return start, end


def normalise_phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    compact = _PHONE_KEEP.sub("", value.strip())
    if not _PHONE.fullmatch(compact):
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise ToolFailure(
            f"phone_number={shown!r} is not a phone number: give digits with an optional leading +, "
            "e.g. +16505550142 or (650) 555-0142."
        )
    return compact


@dataclass(frozen=True)
class Query:
    date_from: datetime
    date_to: datetime
    direction: Direction | None
    phone_number: str | None
    page: int
    per_page: int

    def encode(self) -> str:
        raw = json.dumps(
            {
                "v": 1,
                "from": iso_utc(self.date_from),
                "to": iso_utc(self.date_to),
                "dir": self.direction,
                "tel": self.phone_number,
                "page": self.page,
                "n": self.per_page,
            },
            separators=(",", ":"),
        )
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Query:
        invalid = ToolFailure(
            "This cursor is not one list_recorded_calls returned (it may be cut or altered); "
            "call again without cursor to start from the first page."
        )
        try:
            data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            if not isinstance(data, dict) or data.get("v") != 1:
                raise invalid
            query = cls(
                date_from=datetime.fromisoformat(data["from"].replace("Z", "+00:00")),
                date_to=datetime.fromisoformat(data["to"].replace("Z", "+00:00")),
                direction=data["dir"],
                phone_number=data["tel"],
                page=int(data["page"]),
                per_page=int(data["n"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, UnicodeDecodeError):
            raise invalid from None
        if query.direction not in (None, "Inbound", "Outbound") or not (1 <= query.page <= 10_000):
            raise invalid
        if not (1 <= query.per_page <= MAX_CALLS_PER_PAGE) or query.date_from > query.date_to:
            raise invalid
        if query.date_to - query.date_from > timedelta(days=MAX_RANGE_DAYS):  # a cursor is not signed
            raise invalid
        return query


def _party(party: CallLogParty | None) -> Party | None:
    if party is None:
        return None
    return Party(
        name=neutralise(party.name) if party.name else None,
        phone_number=party.phone_number,
        extension_number=party.extension_number,
    )


def _row(record: CallLogRecord) -> CallRow:
    record_ids = [recording.id for recording in record.recordings]
    return CallRow(
        start_time=iso_utc(record.start_time),
        duration=clock(record.duration) if record.duration is not None else None,
        direction=record.direction,
        from_party=_party(record.from_),
        to_party=_party(record.to),
        record_id=record_ids[0] if record_ids else None,
        record_ids=record_ids,
        session_id=record.telephony_session_id,
        result=record.result,
    )


async def list_recorded_calls(
    deps: Deps,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    direction: Direction | None = None,
    phone_number: str | None = None,
    limit: int = DEFAULT_CALLS_PER_PAGE,
    cursor: str | None = None,
) -> RecordedCallsResult:
    if cursor:
        query = Query.decode(cursor)
        explicit = {"direction": direction, "phone_number": normalise_phone(phone_number)}
        if any(v is not None and v != getattr(query, k) for k, v in explicit.items()):
            raise ToolFailure(
                "The cursor belongs to a query with other filters; pass the same filters, or none, with the cursor."
            )
        if date_from or date_to:
            start, end = resolve_range(date_from, date_to, deps.now())
            if (date_from and start != query.date_from) or (date_to and end != query.date_to):
                raise ToolFailure(
                    "The cursor belongs to a query with another date range; pass the same dates, or none, with it."
                )
    else:
        start, end = resolve_range(date_from, date_to, deps.now())
        query = Query(start, end, direction, normalise_phone(phone_number), page=1, per_page=limit)

    page = await deps.source.calls(
        date_from=query.date_from,
        date_to=query.date_to,
        direction=query.direction,
        phone_number=query.phone_number,
        per_page=query.per_page,
        page=query.page,
    )
    rows = [_row(record) for record in page.records if record.recordings]
    has_more = page.has_next
    next_cursor = (
        Query(
            query.date_from,
            query.date_to,
            query.direction,
            query.phone_number,
            query.page + 1,
            query.per_page,
        ).encode()
        if has_more
        else None
    )
    if rows:
        hint = "Pass record_id to get_insights_by_record (summary first), or session_id to get_insights_by_session."
    else:
        hint = "No recorded calls in this range and filter; try a wider date range or drop the filters."
    if has_more:
        hint += " More calls match: call again with the cursor."
    if page.level == "extension":
        hint += (
            " Only the authenticated user's own calls are listed: the user lacks company call-log access "
            "(FullCompanyCallLog)."
        )
    return RecordedCallsResult(
        date_from=iso_utc(query.date_from) or "",
        date_to=iso_utc(query.date_to) or "",
        calls=rows,
        has_more=has_more,
        cursor=next_cursor,
        level=page.level,
        data_source=deps.data_source,
        hint=hint,
    )
