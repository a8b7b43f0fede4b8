"""Request parameters checked before any request is made: ids, domains, dates, phone numbers and choices.

Ids end up inside URL paths. An id such as `../../restapi/v1.0/account/~/extension` must never reach the
platform as a path, so each id is checked against a strict ASCII allow-list and then sent as exactly one
percent-encoded path segment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote

from .errors import InvalidIdError
from .models import InsightType

__all__ = [
    "DOMAINS",
    "MAX_ID_LENGTH",
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "choice_param",
    "datetime_param",
    "insight_types_param",
    "int_param",
    "path_segment",
    "phone_number_param",
    "validate_domain",
    "validate_id",
]

MAX_ID_LENGTH = 128
# The RingSense `domain` path parameter (pbx: RingEX voice, rcv: RingEX video, rcx: RingCX voice,
# nice-incontact: NICE CXone, ms-teams: Microsoft Teams video).
DOMAINS: tuple[str, ...] = ("pbx", "rcv", "rcx", "nice-incontact", "ms-teams")

MAX_PER_PAGE = 1000  # the call log's documented perPage maximum
MAX_PAGE = 100_000
_PHONE_PUNCTUATION = str.maketrans("", "", " -().")

# Real ids look like `2728084995017`, `s-a0e7b361acc0az191bec7e275z7cae070000` or
# `cbac2b78-...!us-10-dca09@us-10`: ASCII letters, digits and - _ . ! @ only.
_ID_PATTERN = re.compile(r"[A-Za-z0-9._!@-]+", re.ASCII)


def _shown(value: str) -> str:
    """A short, printable rendering of a refused value (a 10 KB string is not echoed whole)."""
    shown = ascii(value[:40])
    return shown + f"… ({len(value)} characters)" if len(value) > 40 else shown


def validate_id(value: object, *, what: str = "id") -> str:
    """Return `value` if it is a safe RingCentral id; raise `InvalidIdError` otherwise.

    Allowed: 1..MAX_ID_LENGTH ASCII letters, digits and `-`, `_`, `.`, `!`, `@`; never `.` or `..`
    sequences that a server could read as a relative path.
    """
    if not isinstance(value, str):
        raise InvalidIdError(f"The {what} must be a string, not {type(value).__name__}.")
    if not value:
        raise InvalidIdError(f"The {what} is empty; pass the id exactly as RingCentral returned it.")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidIdError(
            f"The {what} is {len(value)} characters long; RingCentral ids are at most {MAX_ID_LENGTH}."
        )
    if _ID_PATTERN.fullmatch(value) is None:
        raise InvalidIdError(
            f"The {what} {_shown(value)} contains characters an id cannot have; ids use only ASCII letters, "
            "digits and - _ . ! @ (no spaces, slashes, '%', '?', '#'). Pass the id exactly as RingCentral "
            "returned it."
        )
    if ".." in value or value == ".":
        raise InvalidIdError(f"The {what} {_shown(value)} looks like a relative path, not an id.")
    return value


def path_segment(value: str, *, what: str = "id") -> str:
    """`value`, validated and percent-encoded as exactly one URL path segment."""
    return quote(validate_id(value, what=what), safe="!@")


def validate_domain(domain: object) -> str:
    """Return `domain` if it is a RingSense domain; raise `InvalidIdError` otherwise."""
    if not isinstance(domain, str) or domain not in DOMAINS:
        shown = _shown(domain) if isinstance(domain, str) else type(domain).__name__
        raise InvalidIdError(
            f"Unknown RingSense domain {shown}; use one of {', '.join(DOMAINS)} "
            "(pbx = RingEX voice calls, the usual one)."
        )
    return domain


def insight_types_param(values: Iterable[InsightType | str] | None) -> tuple[str, ...] | None:
    """Documented insight type names (any letter case), deduplicated, in documented order; None means all."""
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    by_folded = {member.value.lower(): member for member in InsightType}
    chosen = set()
    for value in values:
        member = by_folded.get(value.strip().lower()) if isinstance(value, str) else None
        if member is None:
            raise InvalidIdError(
                f"Unknown insight type {ascii(value)[:60]}; use any of {', '.join(m.value for m in InsightType)}."
            )
        chosen.add(member)
    if not chosen:
        raise InvalidIdError("insight_types is empty; pass None for all insight types.")
    return tuple(member.value for member in InsightType if member in chosen)


def datetime_param(value: datetime, what: str) -> str:
    """`value` as RingCentral's UTC timestamp with milliseconds; a naive datetime is taken as UTC."""
    if not isinstance(value, datetime):
        raise InvalidIdError(f"{what} must be a datetime.")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def phone_number_param(value: str) -> str:
    """The call log's `phoneNumber` filter: e.164 digits **without** the `+` (the spec's form, `14155550100`).

    Accepts a leading `+` and punctuation (`+1 (415) 555-0100`) and drops them.
    """
    digits = value.translate(_PHONE_PUNCTUATION) if isinstance(value, str) else ""
    body = digits.removeprefix("+")
    if not (2 <= len(body) <= 20 and body.isascii() and body.isdigit()):
        raise InvalidIdError(
            "phone_number must be a phone number such as +14155550100 (digits, an optional leading +)."
        )
    return body


def extension_number_param(value: str) -> str:
    """A short extension number (`101`): digits only."""
    text = value.strip() if isinstance(value, str) else ""
    if not (1 <= len(text) <= 10 and text.isascii() and text.isdigit()):
        raise InvalidIdError("extension_number must be an extension number such as 101 (digits only).")
    return text


def choice_param(value: str, choices: tuple[str, ...], what: str) -> str:
    """The one of `choices` that `value` names, in any letter case."""
    folded = {choice.lower(): choice for choice in choices}
    if not isinstance(value, str) or value.strip().lower() not in folded:
        raise InvalidIdError(f"{what} must be one of {', '.join(choices)}.")
    return folded[value.strip().lower()]


def int_param(value: int, what: str, low: int, high: int) -> int:
    """`value` if it is a whole number within `low..high`."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidIdError(f"{what} must be a whole number from {low} to {high}.")
    return value
