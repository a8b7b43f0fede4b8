"""What the tools ask the library and what it answers: search, next steps and stats, each a query and its result.

Every result carries a `Coverage` (see `server.library.coverage`). Re-exported by `server.library.store`, the
library's public surface.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from .calls import CallRef, Direction, SectionKind, Side
from .coverage import Coverage

__all__ = [
    "MAX_SEARCH_LIMIT",
    "MAX_SNIPPETS_PER_CALL",
    "CallFilters",
    "GroupBy",
    "NextStep",
    "NextStepGroup",
    "NextStepsQuery",
    "NextStepsResult",
    "SearchHit",
    "SearchPage",
    "SearchQuery",
    "Snippet",
    "StatsQuery",
    "StatsResult",
    "StatsRow",
    "Trend",
]

GroupBy = Literal["owner", "external_number", "direction", "day", "week"]

MAX_SEARCH_LIMIT = 50
MAX_SNIPPETS_PER_CALL = 5


# --- search ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallFilters:
    """Filters shared by search (and, where they make sense, next steps and stats). None means "any".

    - `speaker`: words of a speaker's name ("dana", "karen halvorsen"); transcript matches are limited to what
      that speaker said (the AI sections are not attributed to one speaker, so they are left out).
    - `speaker_side`: "internal" (people of the account) or "external" (customers, partners…); same effect.
    - `phone_number`: digits, with or without "+"; matches the end of any party's number (so "0142" works).
    - `owner`: the owner's extension id, or words of the owner's name.
    - `min_score` / `max_score`: RingSense AI score, 0–10 inclusive; calls without a score are left out.
    """

    date_from: datetime | None = None
    date_to: datetime | None = None
    speaker: str | None = None
    speaker_side: Side | None = None
    direction: Direction | None = None
    phone_number: str | None = None
    owner: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    domain: str | None = None


@dataclass(frozen=True)
class SearchQuery:
    """A full-text search. `text` is the user query language (see `server.library.query`):

    words (all must appear), `"exact phrases"`, `OR` between words or phrases, `-word` / `-"phrase"` to exclude,
    `prefix*`. An empty `text` with filters lists the matching calls newest first.

    `cursor` is the `next_cursor` of the previous page of the same query; a cursor from another query is refused.
    `limit` is 1–50 calls per page; `snippets_per_call` 0–5.
    """

    text: str
    filters: CallFilters = field(default_factory=CallFilters)
    limit: int = 10
    snippets_per_call: int = 3
    cursor: str | None = None


@dataclass(frozen=True)
class Snippet:
    """A quoted piece of a call around matched words.

    `text` is plain call content (untrusted: mark it as the tools do); `marks` are `[start, end)` character offsets
    of the matched words in `text`. `text` may start or end with "…" where it was cut. `speaker` is the display
    name ("Unknown caller 1" for a speaker RingSense did not name); None for sections without a speaker.
    """

    section: SectionKind
    text: str
    marks: tuple[tuple[int, int], ...]
    speaker: str | None = None
    speaker_side: Side | None = None
    start_seconds: float | None = None

    def marked(self, before: str = "**", after: str = "**") -> str:
        """`text` with every matched span wrapped in `before`/`after`."""
        out, last = [], 0
        for start, end in self.marks:
            out += [self.text[last:start], before, self.text[start:end], after]
            last = end
        out.append(self.text[last:])
        return "".join(out)


@dataclass(frozen=True)
class SearchHit:
    """One matching call; `rank` is higher for better matches (comparable within one answer only)."""

    call: CallRef
    rank: float
    snippets: tuple[Snippet, ...]


@dataclass(frozen=True)
class SearchPage:
    """A page of ranked calls. `total_calls` counts every match; `next_cursor` is None on the last page."""

    hits: tuple[SearchHit, ...]
    total_calls: int
    next_cursor: str | None
    coverage: Coverage


# --- next steps ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NextStepsQuery:
    """Every next step of the calls recorded in `[date_from, date_to)`, grouped by owner or by call.

    `owner` narrows to one owner (extension id or words of the name). `limit` caps the next steps returned
    (the groups are cut, `truncated` says so); None returns all.
    """

    date_from: datetime
    date_to: datetime
    group_by: Literal["owner", "call"] = "owner"
    owner: str | None = None
    direction: Direction | None = None
    limit: int | None = None


@dataclass(frozen=True)
class NextStep:
    """One next step. `evidence` is the transcript line said at `start_seconds` (untrusted call content), when
    there is one. `due` is the deadline as said ("by Friday", "Thursday, June 12"), `due_date` its date when it
    could be worked out from the call's date."""

    call: CallRef
    text: str
    speaker: str | None
    speaker_side: Side | None
    start_seconds: float | None
    evidence: str | None
    evidence_speaker: str | None
    due: str | None
    due_date: date | None


@dataclass(frozen=True)
class NextStepGroup:
    """Next steps of one owner (`key` = extension id, `label` = name) or one call (`key` = record id, `label` =
    title), oldest call first."""

    key: str
    label: str
    steps: tuple[NextStep, ...]


@dataclass(frozen=True)
class NextStepsResult:
    groups: tuple[NextStepGroup, ...]
    total: int
    truncated: bool
    coverage: Coverage


# --- stats -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatsQuery:
    """Aggregates over the calls recorded in `[date_from, date_to)`, one row per `group_by` value.

    `day` and `week` (ISO weeks, Monday first) rows come in time order, including empty periods; the other
    groupings come busiest first.
    """

    date_from: datetime
    date_to: datetime
    group_by: GroupBy = "owner"
    owner: str | None = None
    direction: Direction | None = None
    phone_number: str | None = None
    domain: str | None = None


@dataclass(frozen=True)
class Trend:
    """How a group moved. `basis` "halves": the second half of the range against the first (owner, number,
    direction); "previous": this period against the one before (day, week). `score_change` is in AI-score points;
    `direction` reads the score when there is one, else the call count."""

    basis: Literal["halves", "previous"]
    calls_change: int
    score_change: float | None
    direction: Literal["up", "down", "flat"]


@dataclass(frozen=True)
class StatsRow:
    """One group. `talk_seconds` sums recording durations; `avg_score` averages the `scored_calls` that have an
    AI score; `sentiment` counts calls by RingSense sentiment (`Positive`, `Neutral`, `Negative`, others as sent)."""

    key: str
    label: str
    calls: int
    talk_seconds: float
    scored_calls: int
    avg_score: float | None
    sentiment: Mapping[str, int]
    trend: Trend | None


@dataclass(frozen=True)
class StatsResult:
    group_by: GroupBy
    rows: tuple[StatsRow, ...]
    totals: StatsRow
    coverage: Coverage
