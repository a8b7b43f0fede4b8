"""The call library's vocabulary for a stored call: who spoke, which way the call went, and the call itself.

`CallRef` is a recording's metadata as every answer lists it; `StoredCall` is a recording as the library holds it.
Re-exported by `server.library.store`, the library's public surface.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from server.ringsense.models import RecordingInsights

__all__ = ["CallRef", "Direction", "SectionKind", "Side", "StoredCall"]

Direction = Literal["Inbound", "Outbound"]
Side = Literal["internal", "external"]
SectionKind = Literal["transcript", "title", "summary", "highlight", "next_step", "bulleted_summary", "notes"]


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
