"""RecordingInsights → a `CallDocument` a backend can store, and the upsert that puts it in the library.

Idempotent by `(domain, sourceRecordId)` + `lastModifiedTime`: the store keeps the latest version and ignores an
older one, so the two push events of one pbx call (AI Notes first, then RingSense) and a backfill of the same call
can arrive in any order and the library ends with the newest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from server.ringsense.models import RecordingInsights

from .due import find_due
from .store import CallDocument, CallRef, IndexedSection, LibraryWriter, NextStepRow, Side, UpsertOutcome

__all__ = ["MAX_SLOTS", "build_document", "ingest", "parse_insights", "speaker_names"]

MAX_SLOTS = 255  # slot 0 = AI sections, 1…254 = one speaker each; further speakers share the last slot
_DIGITS = re.compile(r"\D+")
_EVIDENCE_TOLERANCE = 10.0  # seconds: a next step's start may fall in the pause before the line that says it


def parse_insights(raw: RecordingInsights | Mapping[str, Any] | bytes | str) -> RecordingInsights:
    """A `RecordingInsights` from a model, a JSON object (an event body) or JSON text.

    Raises pydantic's ValidationError when the body is not a RecordingInsights at all.
    """
    if isinstance(raw, RecordingInsights):
        return raw
    if isinstance(raw, bytes | str):
        return RecordingInsights.model_validate_json(raw)
    return RecordingInsights.model_validate(raw)


def speaker_names(insights: RecordingInsights) -> dict[str, tuple[str, bool, Side]]:
    """speaker id → (display name, named?, side). Unnamed speakers are "Unknown caller N" in order of appearance,
    never a guess; ids the transcript uses but `speakerInfo` omits are added the same way."""
    names: dict[str, tuple[str, bool, Side]] = {}
    unknown = 0
    for info in insights.speaker_info:
        name = (info.name or "").strip()
        side: Side = "internal" if info.is_internal else "external"
        if not name:
            unknown += 1
            names[info.speaker_id] = (f"Unknown caller {unknown}", False, side)
        else:
            names[info.speaker_id] = (name, True, side)
    for unit in insights.insights.transcript:
        key = unit.speaker_id or "(none)"
        if key not in names:
            unknown += 1
            names[key] = (f"Unknown caller {unknown}", False, "external")
    return names


def _digits(number: str | None) -> str | None:
    digits = _DIGITS.sub("", number or "")
    return digits or None


def _score(insights: RecordingInsights) -> float | None:
    for unit in insights.insights.ai_score:
        try:
            value = float(unit.value)
        except ValueError:
            continue
        if 0 <= value <= 100:
            return value
    return None


def _ai_text(insights: RecordingInsights) -> str:
    parts = [insights.title]
    body = insights.insights
    parts += [unit.value for unit in body.summary]
    parts += [unit.value for unit in body.highlights]
    parts += [unit.value for unit in body.next_steps]
    parts += [unit.value for unit in body.bulleted_summary]
    parts += [unit.value for unit in body.call_notes]
    return "\n".join(part for part in parts if part)


def _evidence(insights: RecordingInsights, start: float | None) -> tuple[str | None, str | None]:
    """The transcript line said at `start` (or just after it): (text, speaker id)."""
    if start is None:
        return None, None
    best = None
    for unit in insights.insights.transcript:
        if unit.start <= start < unit.end:
            return unit.text, unit.speaker_id
        if start <= unit.start <= start + _EVIDENCE_TOLERANCE and (best is None or unit.start < best.start):
            best = unit
    return (best.text, best.speaker_id) if best is not None else (None, None)


def build_document(
    insights: RecordingInsights, *, source: Literal["sync", "event"] = "sync", raw_json: bytes | None = None
) -> CallDocument:
    """Everything a backend stores for one recording: metadata, indexed text by speaker, next steps, the JSON.

    `raw_json` is the body `insights` was parsed from, when there is one: it is stored as sent (parsing it again
    gives the same model), which saves serialising the model; otherwise the model's own JSON is stored.
    """
    names = speaker_names(insights)
    slots: dict[str, int] = {}
    lines: dict[int, list[str]] = {}
    transcript_chars = 0
    for unit in insights.insights.transcript:
        key = unit.speaker_id or "(none)"
        slot = slots.get(key)
        if slot is None:
            slot = slots[key] = min(len(slots) + 1, MAX_SLOTS - 1)
        lines.setdefault(slot, []).append(unit.text)
        transcript_chars += len(unit.text)
    sections = [IndexedSection(0, _ai_text(insights))]
    by_slot: dict[int, list[str]] = {}
    for key, slot in slots.items():
        by_slot.setdefault(slot, []).append(key)
    for slot, keys in by_slot.items():
        sides = {names[key][2] for key in keys}
        speaker = " ".join(names[key][0] for key in keys if names[key][1])
        side: Side | None = sides.pop() if len(sides) == 1 else None
        sections.append(IndexedSection(slot, "\n".join(lines[slot]), speaker=speaker, side=side))

    owner = insights.owner_extension_id
    owner_name = next(
        (info.name for info in insights.speaker_info if owner and info.extension_id == owner and info.name), None
    )
    numbers = tuple(dict.fromkeys(d for info in insights.speaker_info if (d := _digits(info.phone_number))))
    external = next(
        (info.phone_number for info in insights.speaker_info if not info.is_internal and info.phone_number), None
    )
    started = insights.recording_start_time
    if started is not None and started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    direction = insights.call_direction if insights.call_direction in ("Inbound", "Outbound") else None
    sentiment = next((unit.value for unit in insights.insights.sentiment if unit.value), None)
    duration = insights.recording_duration_ms / 1000 if insights.recording_duration_ms is not None else None

    steps: list[NextStepRow] = []
    said_on = started.date() if started else None
    for position, step in enumerate(insights.insights.next_steps):
        said_by = names.get(step.speaker_id) if step.speaker_id else None
        evidence, evidence_speaker = _evidence(insights, step.start)
        due, due_date = find_due(step.value, said_on)
        steps.append(
            NextStepRow(
                position=position,
                text=step.value,
                speaker=said_by[0] if said_by else None,
                speaker_side=said_by[2] if said_by else None,
                start_seconds=step.start,
                evidence=evidence,
                evidence_speaker=names[evidence_speaker or "(none)"][0] if evidence is not None else None,
                due=due,
                due_date=due_date,
            )
        )

    call = CallRef(
        record_id=insights.source_record_id,
        session_id=insights.source_session_id,
        domain=insights.domain,
        title=insights.title,
        started_at=started,
        duration_seconds=duration,
        direction=direction,  # type: ignore[arg-type]  # narrowed just above
        owner_extension_id=owner,
        owner_name=owner_name,
        external_number=external,
        ai_score=_score(insights),
        sentiment=sentiment,
    )
    modified = insights.last_modified_time
    if modified is not None and modified.tzinfo is None:
        modified = modified.replace(tzinfo=UTC)
    return CallDocument(
        call=call,
        last_modified_time=modified,
        insights_json=raw_json if raw_json is not None else insights.model_dump_json(by_alias=True).encode(),
        sections=tuple(sections),
        next_steps=tuple(steps),
        numbers=numbers,
        speakers=" ".join(name for name, named, _ in names.values() if named),
        utterances=len(insights.insights.transcript),
        transcript_chars=transcript_chars,
        source=source,
    )


async def ingest(
    store: LibraryWriter,
    raw: RecordingInsights | Mapping[str, Any] | bytes | str,
    *,
    source: Literal["sync", "event"] = "sync",
    now: datetime | None = None,
) -> UpsertOutcome:
    """Upsert one recording's insights (a model from the client, or an event body). Events also move "last event".

    Raises pydantic's ValidationError for a body that is not a RecordingInsights, `LibraryError` from the store.
    """
    raw_json = raw.encode() if isinstance(raw, str) else raw if isinstance(raw, bytes) else None
    document = build_document(parse_insights(raw), source=source, raw_json=raw_json)
    outcome = await store.upsert(document)
    if source == "event":
        await store.note_event(now or datetime.now(UTC))
    return outcome
