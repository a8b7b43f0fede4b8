"""Deadlines said in a next step ("by Friday, November 20", "within three business days"), found and dated.

Only English phrasing RingSense writes in next steps is recognised; anything else leaves the deadline empty rather
than guessed.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

__all__ = ["find_due"]

_WEEKDAYS = {name.lower(): index for index, name in enumerate(calendar.day_name)}
_MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}

_WEEKDAY = "|".join(_WEEKDAYS)
_MONTH = "|".join(_MONTHS)
_LEAD = r"(?:(?:by|on|before|until|due|next|this)\s+)?"
_PATTERNS = (
    (
        "weekday_date",
        re.compile(rf"\b{_LEAD}(?P<weekday>{_WEEKDAY}),?\s+(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})\b", re.I),
    ),
    ("date", re.compile(rf"\b{_LEAD}(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b", re.I)),
    ("iso", re.compile(r"\b(?:(?:by|on|before|until|due)\s+)?(?P<iso>\d{4}-\d{2}-\d{2})\b", re.I)),
    ("weekday", re.compile(rf"\b{_LEAD}(?P<weekday>{_WEEKDAY})\b", re.I)),
    ("relative_day", re.compile(r"\b(?:by\s+)?(?P<word>today|tonight|tomorrow)\b", re.I)),
    ("end_of", re.compile(r"\b(?:by\s+)?(?:the\s+)?end\s+of\s+(?:the\s+)?(?P<unit>day|week|month)\b", re.I)),
    ("within_hour", re.compile(r"\bwithin\s+the\s+hour\b", re.I)),
    (
        "within",
        re.compile(
            rf"\bwithin\s+(?P<count>\d+|{'|'.join(_NUMBERS)})\s+(?P<business>business\s+)?(?P<unit>days?|weeks?)\b",
            re.I,
        ),
    ),
    ("next_week", re.compile(r"\bnext\s+week\b", re.I)),
)


def _next_occurrence(month: int, day: int, after: date) -> date | None:
    for year in (after.year, after.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= after:
            return candidate
    return None


def _add_business_days(start: date, days: int) -> date:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def _resolve(kind: str, match: re.Match[str], said_on: date) -> date | None:
    groups = match.groupdict()
    if kind in ("weekday_date", "date"):
        return _next_occurrence(_MONTHS[groups["month"].lower()], int(groups["day"]), said_on)
    if kind == "iso":
        try:
            return date.fromisoformat(groups["iso"])
        except ValueError:
            return None
    if kind == "weekday":
        ahead = (_WEEKDAYS[groups["weekday"].lower()] - said_on.weekday()) % 7 or 7
        return said_on + timedelta(days=ahead)
    if kind == "relative_day":
        return said_on + timedelta(days=1 if groups["word"].lower() == "tomorrow" else 0)
    if kind == "within_hour":
        return said_on
    if kind == "end_of":
        unit = groups["unit"].lower()
        if unit == "day":
            return said_on
        if unit == "week":
            return said_on + timedelta(days=(4 - said_on.weekday()) % 7)
        return said_on.replace(day=calendar.monthrange(said_on.year, said_on.month)[1])
    if kind == "within":
        raw = groups["count"].lower()
        count = int(raw) if raw.isdigit() else _NUMBERS[raw]
        if groups["unit"].lower().startswith("week"):
            return said_on + timedelta(weeks=count)
        return _add_business_days(said_on, count) if groups["business"] else said_on + timedelta(days=count)
    if kind == "next_week":
        return said_on + timedelta(days=7 - said_on.weekday())
    return None


def find_due(text: str, said_on: date | None) -> tuple[str | None, date | None]:
    """The deadline phrase in `text` and its date, worked out from `said_on` (the call's date); (None, None) when
    no deadline is said. The date is None when the phrase is found but `said_on` is unknown."""
    for kind, pattern in _PATTERNS:
        match = pattern.search(text)
        if match:
            phrase = match.group(0).strip()
            return phrase, _resolve(kind, match, said_on) if said_on is not None else None
    return None, None
