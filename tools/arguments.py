"""The tools' arguments as a model sees them: each one defined once, its limits taken from the tools' constants.

`server/mcp_tools.py` builds every tool's input schema from these aliases (the signature is the schema), so a
limit changes in one place and the schema follows.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field

from server.ringsense.params import MAX_ID_LENGTH

from .calls import DEFAULT_CALLS_PER_PAGE, MAX_CALLS_PER_PAGE, Direction
from .models import Detail, Section, TranscriptFormat
from .rollups import DEFAULT_STEPS_PER_PAGE, MAX_STEPS_PER_PAGE
from .search import DEFAULT_SEARCH_LIMIT, MAX_QUERY_CHARS, MAX_SEARCH_LIMIT
from .transcript import (
    DEFAULT_MAX_CHARS,
    DEFAULT_PAGE_TURNS,
    MAX_MAX_CHARS,
    MAX_OFFSET,
    MAX_PAGE_TURNS,
    MAX_SECONDS,
    MAX_SPEAKER_CHARS,
    MAX_SPEAKERS,
    MIN_MAX_CHARS,
)

__all__ = [
    "DEFAULT_CALLS_PER_PAGE",
    "DEFAULT_MAX_CHARS",
    "DEFAULT_PAGE_TURNS",
    "DEFAULT_SEARCH_LIMIT",
    "DEFAULT_STEPS_PER_PAGE",
    "AnyDomain",
    "CallsPerPage",
    "Cursor",
    "DateFrom",
    "DateTo",
    "DetailArg",
    "DirectionArg",
    "Domain",
    "EndSeconds",
    "ExtensionId",
    "FormatArg",
    "MaxChars",
    "MaxScore",
    "MergeTurns",
    "MinScore",
    "NameFilter",
    "Offset",
    "OptionalRecordId",
    "OptionalSessionId",
    "PageTurns",
    "PhoneNumber",
    "RecordId",
    "SearchFrom",
    "SearchLimit",
    "SearchText",
    "Sections",
    "SessionId",
    "SpeakerSide",
    "Speakers",
    "StartSeconds",
    "StatsGroupBy",
    "StepsDetail",
    "StepsGroupBy",
    "StepsPerPage",
    "Timestamps",
]

MAX_DATE_CHARS = 40  # the longest ISO-8601 datetime with fractions and an offset is 32
MAX_PHONE_CHARS = 32
MAX_CURSOR_CHARS = 512  # list_recorded_calls' cursors are under 200
MAX_EXTENSION_ID_CHARS = 64

Domain = Annotated[
    Literal["pbx", "rcv", "rcx", "nice-incontact", "ms-teams"],
    Field(description="pbx = RingEX voice (default), rcv = RingEX video, rcx = RingCX, nice-incontact, ms-teams."),
]

# -- check_permission

ExtensionId = Annotated[
    str | None,
    Field(
        max_length=MAX_EXTENSION_ID_CHARS,
        description="Check access to this extension's calls (targetExtensionId). Omit for the authenticated user.",
    ),
]

# -- list_recorded_calls

DateFrom = Annotated[
    str | None,
    Field(
        max_length=MAX_DATE_CHARS,
        description="Start: YYYY-MM-DD (whole day, UTC) or ISO-8601 datetime. Default: 7 days before date_to.",
    ),
]
DateTo = Annotated[
    str | None,
    Field(
        max_length=MAX_DATE_CHARS,
        description="End: YYYY-MM-DD (includes that whole day) or ISO datetime. Default: now.",
    ),
]
DirectionArg = Annotated[Direction | None, Field(description="Only inbound or only outbound calls.")]
PhoneNumber = Annotated[
    str | None, Field(max_length=MAX_PHONE_CHARS, description="Only calls with this number, e.g. +16505550142.")
]
CallsPerPage = Annotated[int, Field(ge=1, le=MAX_CALLS_PER_PAGE, description="Calls per page.")]
Cursor = Annotated[
    str | None, Field(max_length=MAX_CURSOR_CHARS, description="The cursor of the previous page, to continue.")
]

# -- get_insights_by_record / get_insights_by_session

RecordId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        description="Recording id (call-log recording.id / RingSense sourceRecordId), e.g. '2728084995017'. "
        "Get it from list_recorded_calls.",
    ),
]
SessionId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        description="Telephony session id (call-log telephonySessionId / RingSense sourceSessionId), "
        "e.g. 's-a0e7b361acc0az191bec7e275z7cae070000'. Get it from list_recorded_calls.",
    ),
]
Sections = Annotated[
    list[Section] | None,
    Field(
        max_length=len(get_args(Section)),
        description="Which sections to fetch and return. Default: everything except the transcript "
        "(summary, bulleted_summary, highlights, next_steps, ai_score, sentiment, call_notes, other, "
        "transcript_stats). Add 'transcript' for the first page of the transcript inline.",
    ),
]
DetailArg = Annotated[
    Detail,
    Field(description="concise (default) caps long lists; full returns every item with exact seconds."),
]

# -- render_transcript

OptionalRecordId = Annotated[str | None, Field(min_length=1, max_length=MAX_ID_LENGTH, description="One recording.")]
OptionalSessionId = Annotated[
    str | None, Field(min_length=1, max_length=MAX_ID_LENGTH, description="Every recording of a session.")
]
FormatArg = Annotated[
    TranscriptFormat,
    Field(
        description=(
            "compact (default): a line per turn, speakers as short labels named in the page's legend, [m:ss] on the "
            "first turn and then every 30 s or more. text: full name and [m:ss] on every line. markdown, srt, vtt, "
            "json: every turn's start (json: and end) in seconds."
        )
    ),
]
MergeTurns = Annotated[bool, Field(description="Merge consecutive lines of one speaker into turns.")]
Timestamps = Annotated[bool, Field(description="Show timestamps (compact/text/markdown/json).")]
Speakers = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=MAX_SPEAKER_CHARS)]] | None,
    Field(max_length=MAX_SPEAKERS, description="Only these speakers (names, case-insensitive, partial match)."),
]
StartSeconds = Annotated[float | None, Field(ge=0, le=MAX_SECONDS, description="Only turns after this.")]
EndSeconds = Annotated[float | None, Field(gt=0, le=MAX_SECONDS, description="Only turns before this.")]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET, description="First turn of the page (next_offset).")]
PageTurns = Annotated[int, Field(ge=1, le=MAX_PAGE_TURNS, description="Turns per page at most.")]
MaxChars = Annotated[
    int,
    Field(ge=MIN_MAX_CHARS, le=MAX_MAX_CHARS, description="Characters per page at most; pages end between turns."),
]

# -- search_calls / list_next_steps / call_stats (the call library)

MAX_NAME_CHARS = 100

SearchText = Annotated[
    str,
    Field(
        max_length=MAX_QUERY_CHARS,
        description='Words (all must appear), "a phrase", a OR b, -word, prefix*. Empty: filters only.',
    ),
]
NameFilter = Annotated[str | None, Field(max_length=MAX_NAME_CHARS, description="A name or extension id.")]
SpeakerSide = Annotated[
    Literal["internal", "external"] | None,
    Field(description="Only what our people (internal) or the other party (external) said."),
]
MinScore = Annotated[float | None, Field(ge=0, le=10, description="Lowest AI score (0-10).")]
MaxScore = Annotated[float | None, Field(ge=0, le=10, description="Highest AI score (0-10).")]
AnyDomain = Annotated[
    Literal["pbx", "rcv", "rcx", "nice-incontact", "ms-teams"] | None,
    Field(description="Only this domain."),
]
SearchLimit = Annotated[int, Field(ge=1, le=MAX_SEARCH_LIMIT, description="Calls per page.")]
StepsGroupBy = Annotated[Literal["owner", "call"], Field(description="By call owner or by call.")]
StepsDetail = Annotated[Literal["concise", "full"], Field(description="full adds the transcript line.")]
StepsPerPage = Annotated[int, Field(ge=1, le=MAX_STEPS_PER_PAGE, description="Next steps per page.")]
StatsGroupBy = Annotated[
    Literal["owner", "external_number", "direction", "day", "week"], Field(description="One row per this.")
]
SearchFrom = Annotated[
    str | None,
    Field(max_length=MAX_DATE_CHARS, description="Start: YYYY-MM-DD or ISO datetime. Default: every indexed call."),
]
