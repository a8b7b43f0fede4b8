"""The call library's store interface: what every backend (SQLite today, PostgreSQL later) implements.

Two small protocols, split by who uses them:

- `LibraryReader` — what the tools ask: `search`, `next_steps`, `stats`, `coverage`, `get_by_record`,
  `get_by_session`, `status`. Every answer about a range carries a `Coverage`, so a caller can never mistake a
  half-built library for the truth.
- `LibraryWriter` — what ingest and sync use: upsert a call (or a batch of calls in one transaction), drop calls
  gone upstream, keep the call-log bookkeeping (which recordings exist, which are pending analysis) and the sync
  checkpoints.

`LibraryStore` is both. Every method is async: a backend with a network database awaits its driver, the SQLite
backend runs its short queries in a worker thread so the server's event loop never blocks on disk.

Times are timezone-aware UTC `datetime`s. Ranges are half-open: `date_from <= recording start < date_to`.
Counts are per recording (one leg of a call): a transferred call has two recordings, each analysed on its own.

Every method raises only `LibraryError` subclasses (see `server.library.errors`): a malformed query or cursor is
a `LibraryQueryError` whose message says what to change, never a database message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from . import coverage_text

if TYPE_CHECKING:
    from server.ringsense.models import RecordingInsights

    from .errors import LibraryWriteError

__all__ = [
    "MAX_SEARCH_LIMIT",
    "MAX_SNIPPETS_PER_CALL",
    "CallDocument",
    "CallFilters",
    "CallRef",
    "Coverage",
    "DateRange",
    "Direction",
    "GroupBy",
    "IndexedSection",
    "LibraryReader",
    "LibraryStatus",
    "LibraryStore",
    "LibraryWriter",
    "MonthCoverage",
    "NextStep",
    "NextStepGroup",
    "NextStepRow",
    "NextStepsQuery",
    "NextStepsResult",
    "RecordingEntry",
    "RecordingState",
    "SearchHit",
    "SearchPage",
    "SearchQuery",
    "SectionKind",
    "Side",
    "Snippet",
    "StatsQuery",
    "StatsResult",
    "StatsRow",
    "StoredCall",
    "Trend",
    "UpsertOutcome",
]

Direction = Literal["Inbound", "Outbound"]
Side = Literal["internal", "external"]
SectionKind = Literal["transcript", "title", "summary", "highlight", "next_step", "bulleted_summary", "notes"]
GroupBy = Literal["owner", "external_number", "direction", "day", "week"]
RecordingState = Literal["pending", "indexed", "not_analysed", "failed"]
UpsertOutcome = Literal["inserted", "updated", "unchanged", "stale"]

MAX_SEARCH_LIMIT = 50
MAX_SNIPPETS_PER_CALL = 5


# --- ranges and coverage ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """A half-open UTC range: `start <= t < end`."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Coverage:
    """How complete the library is for a range. Attach it to every cross-call answer.

    `recorded` counts the recordings known in the range (from the call log, or from events); `indexed` of them are
    in the library; `pending` wait for RingSense to finish its analysis (retried with backoff); `not_analysed` were
    never analysed (RingSense gave up, or the owner has no licence); `failed` hit another error and will be retried.
    `unsynced` lists the parts of the range the call log has not been read for: calls there are unknown.
    `whole_library` is set when the caller gave no start (a search over every indexed call): the range then runs
    from the library's first known call or synced day, and nothing before it has been read.
    """

    date_from: datetime
    date_to: datetime
    recorded: int
    indexed: int
    pending: int
    not_analysed: int
    failed: int
    unsynced: tuple[DateRange, ...] = ()
    last_sync: datetime | None = None
    last_event: datetime | None = None
    whole_library: bool = False

    @property
    def complete(self) -> bool:
        """True when every recording in the range is indexed and the whole range has been synced. A whole-library
        coverage with an empty range (nothing synced, or nothing before `date_to`) knows nothing: not complete."""
        if self.whole_library and self.date_from >= self.date_to:
            return False
        return not self.unsynced and self.indexed >= self.recorded and not (self.pending or self.failed)

    def describe(self, now: datetime | None = None) -> str:
        """One sentence for a person or a model, e.g.
        "412 of 430 recorded calls indexed; 18 pending analysis; last sync 3 min ago" (see `coverage_text`)."""
        return coverage_text.describe(self, now or datetime.now(UTC))


# --- calls -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallRef:
    """A stored recording's metadata: enough to list it and to drill in with `record_id` / `session_id`.

    `owner_name` and `external_number` may be None (not in the insights, and the call log was not read for it).
    `ai_score` is RingSense's 0–10 score as a number (None when absent or not numeric).
    """

    record_id: str
    session_id: str | None
    domain: str
    title: str
    started_at: datetime | None
    duration_seconds: float | None
    direction: Direction | None
    owner_extension_id: str | None
    owner_name: str | None
    external_number: str | None
    ai_score: float | None
    sentiment: str | None


@dataclass(frozen=True)
class StoredCall:
    """One recording as the library holds it: the exact `RecordingInsights` the API sent, rebuilt from disk."""

    call: CallRef
    insights: RecordingInsights
    last_modified_time: datetime | None
    indexed_at: datetime
    source: Literal["sync", "event"]


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


# --- status ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthCoverage:
    month: str  # "2026-11"
    recorded: int
    indexed: int
    pending: int


@dataclass(frozen=True)
class LibraryStatus:
    """What `ringsense-mcp library status` and the `ringsense://library/status` resource show."""

    backend: str  # "sqlite"
    location: str  # the database file (or a redacted URL for a server backend)
    schema_version: int
    size_bytes: int
    calls: int
    pending: int
    not_analysed: int
    failed: int
    last_sync: datetime | None
    last_event: datetime | None
    synced: tuple[DateRange, ...]
    by_month: tuple[MonthCoverage, ...]


# --- the write side: what ingest hands to a backend ------------------------------------------------------------


@dataclass(frozen=True)
class IndexedSection:
    """Text a backend indexes for full-text search, with who said it.

    `slot` 0 holds the AI sections and the title (no speaker); slots 1… hold one speaker's transcript each
    (`speaker` = the words of the name, `side` internal/external), with lines separated by newlines.
    """

    slot: int
    text: str
    speaker: str = ""
    side: Side | None = None


@dataclass(frozen=True)
class NextStepRow:
    """A next step as ingest extracted it (see `NextStep` for the meaning of the fields)."""

    position: int
    text: str
    speaker: str | None
    speaker_side: Side | None
    start_seconds: float | None
    evidence: str | None
    evidence_speaker: str | None
    due: str | None
    due_date: date | None


@dataclass(frozen=True)
class CallDocument:
    """One recording ready to store, built by `server.library.ingest` from a `RecordingInsights`.

    `insights_json` is the JSON the model was parsed from, or the model's own JSON (a backend may compress it);
    `RecordingInsights.model_validate_json` rebuilds the same model from it. `numbers` are the digits of every
    party's phone number (for the phone filter).
    """

    call: CallRef
    last_modified_time: datetime | None
    insights_json: bytes
    sections: tuple[IndexedSection, ...]
    next_steps: tuple[NextStepRow, ...]
    numbers: tuple[str, ...]
    speakers: str  # every speaker's name, for the owner/speaker filters
    utterances: int
    transcript_chars: int
    source: Literal["sync", "event"]


@dataclass(frozen=True)
class RecordingEntry:
    """A recording the call log (or an event) says exists, and where the library stands with it."""

    domain: str
    record_id: str
    session_id: str | None
    started_at: datetime
    direction: Direction | None = None
    owner_extension_id: str | None = None
    external_number: str | None = None
    numbers: tuple[str, ...] = ()
    state: RecordingState = "pending"
    attempts: int = 0
    retry_at: datetime | None = None
    last_error: str | None = None


# --- the protocols ---------------------------------------------------------------------------------------------


@runtime_checkable
class LibraryReader(Protocol):
    """The queries the tools run. Each raises `LibraryQueryError` for bad arguments, `LibraryUnavailableError`
    when the store cannot answer (it retries a busy database first)."""

    async def search(self, query: SearchQuery) -> SearchPage:
        """Ranked calls matching `query.text` and `query.filters`, with snippets, a cursor and coverage."""
        ...

    async def next_steps(self, query: NextStepsQuery) -> NextStepsResult:
        """Every next step in the range, grouped by owner or call, with coverage."""
        ...

    async def stats(self, query: StatsQuery) -> StatsResult:
        """Counts, talk time, AI score and sentiment per group, with a trend and coverage."""
        ...

    async def coverage(self, date_from: datetime | None, date_to: datetime) -> Coverage:
        """How complete the library is for `[date_from, date_to)`. `date_from` None: every call the library knows
        before `date_to`, from its first known call or synced day (the answer has `whole_library` set)."""
        ...

    async def get_by_record(self, record_id: str, domain: str = "pbx") -> StoredCall | None:
        """The stored recording, or None when the library does not hold it."""
        ...

    async def get_by_session(self, session_id: str, domain: str = "pbx") -> list[StoredCall]:
        """Every stored recording of the session, oldest first; empty when the library holds none."""
        ...

    async def status(self) -> LibraryStatus:
        """Size, counts, coverage by month, last sync and last event."""
        ...


@runtime_checkable
class LibraryWriter(Protocol):
    """What ingest and sync use. Writes are short transactions; concurrent writers (another server, a `sync`)
    wait for each other instead of failing."""

    async def upsert(self, document: CallDocument) -> UpsertOutcome:
        """Store a recording. A later `last_modified_time` replaces the stored one ("updated"), the same one is
        "unchanged", an older one is ignored ("stale"). Marks the recording's entry indexed.

        Raises LibraryWriteError when the database refuses this call, LibraryUnavailableError when it cannot be
        written at all."""
        ...

    async def upsert_many(self, documents: Sequence[CallDocument]) -> list[UpsertOutcome | LibraryWriteError]:
        """Store several recordings in one transaction: one commit and one new index segment for the batch instead
        of one each, which is most of the cost of a small write. Each document is upserted as by `upsert`, in
        order, so a later document of the same recording meets the earlier one (later wins, as across batches).

        Returns one result per document, in order: its outcome, or the `LibraryWriteError` of a document the
        database refused; that one alone is rolled back, the others are stored. Raises LibraryUnavailableError when
        the batch cannot be written at all (busy past every retry, disk full): then none of it is stored.

        The batch is one write transaction, during which other writers of the library wait: callers keep it small
        (`server.library.batches.ingest_many` cuts its input by `BATCH_CALLS` and `BATCH_BYTES`)."""
        ...

    async def remove(self, domain: str, record_ids: Sequence[str]) -> int:
        """Drop recordings (gone upstream, past retention) and their entries; returns how many calls went."""
        ...

    async def note_recordings(self, entries: Sequence[RecordingEntry]) -> None:
        """Remember recordings the call log lists. New ones start `pending` (or `indexed` when already stored);
        known ones keep their state but take the call-log metadata (numbers, direction)."""
        ...

    async def recordings(
        self,
        date_from: datetime,
        date_to: datetime,
        *,
        states: Sequence[RecordingState] | None = None,
        due_before: datetime | None = None,
    ) -> list[RecordingEntry]:
        """Entries recorded in the range, optionally only in `states` and with `retry_at` before `due_before`."""
        ...

    async def set_recording_state(
        self,
        domain: str,
        record_id: str,
        state: RecordingState,
        *,
        attempts: int,
        retry_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        """Record the outcome of fetching a recording's insights."""
        ...

    async def mark_synced(self, date_from: datetime, date_to: datetime, at: datetime) -> None:
        """The call log has been read for the whole range, at `at` (merged with the ranges synced before)."""
        ...

    async def note_event(self, at: datetime) -> None:
        """An event was ingested at `at` (shown as "last event")."""
        ...

    async def get_checkpoint(self, name: str) -> str | None:
        """A sync's saved position (opaque text), or None."""
        ...

    async def acquire_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take (or renew, for the same `holder`) the lease `name` for `ttl`; False while another holder's lease
        has not expired. Syncs hold one, so two servers sharing a library do not both spend the rate budget."""
        ...

    async def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up (only when `holder` holds it)."""
        ...

    async def set_checkpoint(self, name: str, value: str | None) -> None:
        """Save (or with None, clear) a sync's position; durable once this returns."""
        ...


@runtime_checkable
class LibraryStore(LibraryReader, LibraryWriter, Protocol):
    """A call library backend: the reader and the writer, plus `aclose()`."""

    async def aclose(self) -> None:
        """Close connections; further calls raise `LibraryUnavailableError`."""
        ...
