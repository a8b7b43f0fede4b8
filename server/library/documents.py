"""The write side of the library: what ingest hands to a backend (`CallDocument` and its indexed sections and next
steps) and the call-log bookkeeping of which recordings exist (`RecordingEntry`, `RecordingState`).

Re-exported by `server.library.store`, the library's public surface.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from .calls import CallRef, Direction, Side

__all__ = ["CallDocument", "IndexedSection", "NextStepRow", "RecordingEntry", "RecordingState", "UpsertOutcome"]

RecordingState = Literal["pending", "indexed", "not_analysed", "failed"]
UpsertOutcome = Literal["inserted", "updated", "unchanged", "stale"]


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
