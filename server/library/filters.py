"""Argument checks shared by the library's queries: date ranges, phone numbers, names, and call filters.

Every check raises `LibraryQueryError` with a message that says what to change, so both backends refuse bad
input the same way before any SQL runs. Also the small normalisations the backends' SQL relies on (folded name
words, LIKE escaping).
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta

from .errors import LibraryQueryError
from .query import fold, words
from .store import CallFilters

__all__ = [
    "DIRECTIONS",
    "EPOCH",
    "MAX_RANGE_DAYS",
    "SIDES",
    "aware",
    "check_filters",
    "check_range",
    "like_escape",
    "name_words",
    "phone_digits",
    "spaced_name_words",
]

MAX_RANGE_DAYS = 400  # RingSense keeps a year; a wider range is a mistake, not a question
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the lower bound of a range without one
DIRECTIONS = ("Inbound", "Outbound")
SIDES = ("internal", "external")


def aware(moment: datetime) -> datetime:
    """`moment`, read as UTC when it is naive."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def check_range(date_from: datetime, date_to: datetime) -> None:
    """Raise LibraryQueryError unless `date_from < date_to` and the range is at most MAX_RANGE_DAYS."""
    if aware(date_from) >= aware(date_to):
        raise LibraryQueryError("date_from must be earlier than date_to.")
    if aware(date_to) - aware(date_from) > timedelta(days=MAX_RANGE_DAYS):
        raise LibraryQueryError(
            f"The range is longer than {MAX_RANGE_DAYS} days; RingSense keeps about a year. Ask for a shorter range."
        )


def phone_digits(number: str) -> str:
    """The digits of a phone-number filter; raises LibraryQueryError for one with fewer than 3 digits."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 3 or len(digits) > 15:
        raise LibraryQueryError(
            "phone_number needs 3 to 15 digits (a full number such as +16505550142, or its last digits)."
        )
    return digits


def name_words(name: str) -> list[str]:
    """Folded words of a person's name, for owner and speaker filters."""
    return [fold(word) for word in words(name)]


@functools.lru_cache(maxsize=4096)  # a team has few owners; a filter calls this once per row
def spaced_name_words(name: str | None) -> str:
    """A name's folded words between spaces (" jose nunez o brien "), so `LIKE '% word%'` finds a word's start."""
    return f" {' '.join(name_words(name))} " if name else " "


def like_escape(text: str) -> str:
    """`text` with LIKE's wildcards and its escape character escaped (for `LIKE ? ESCAPE '\\'`)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def check_filters(filters: CallFilters) -> None:
    """Raise LibraryQueryError for the first filter a search or a roll-up cannot use, saying what to change."""
    if filters.date_from is not None and filters.date_to is not None:
        check_range(filters.date_from, filters.date_to)
    if filters.direction is not None and filters.direction not in DIRECTIONS:
        raise LibraryQueryError("direction must be Inbound or Outbound.")
    if filters.speaker_side is not None and filters.speaker_side not in SIDES:
        raise LibraryQueryError("speaker_side must be internal or external.")
    for name, value in (("min_score", filters.min_score), ("max_score", filters.max_score)):
        if value is not None and not 0 <= value <= 10:
            raise LibraryQueryError(f"{name} must be between 0 and 10 (RingSense AI scores are 0–10).")
    if filters.min_score is not None and filters.max_score is not None and filters.min_score > filters.max_score:
        raise LibraryQueryError("min_score must not be greater than max_score.")
    if filters.phone_number is not None:
        phone_digits(filters.phone_number)
    if filters.speaker is not None and not name_words(filters.speaker):
        raise LibraryQueryError("speaker must contain a name (letters), e.g. Dana or Karen Halvorsen.")
    if filters.owner is not None and not filters.owner.strip():
        raise LibraryQueryError("owner must be an extension id or a name.")
    if (filters.speaker is not None and len(filters.speaker) > 100) or (filters.owner and len(filters.owner) > 100):
        raise LibraryQueryError("speaker and owner are names: at most 100 characters.")
