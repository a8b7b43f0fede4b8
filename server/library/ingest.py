"""RecordingInsights → a `CallDocument` a backend can store, and the upsert that puts one in the library.

Idempotent by `(domain, sourceRecordId)` + `lastModifiedTime`: the store keeps the latest version and ignores an
older one, so the two push events of one pbx call (AI Notes first, then RingSense) and a backfill of the same call
can arrive in any order and the library ends with the newest. Many calls at once: `server.library.batches`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import pydantic_core

from server.ringsense.models import RecordingInsights
from server.ringsense.transcript import Transcript

from .due import find_due
from .store import CallDocument, CallRef, IndexedSection, LibraryWriter, NextStepRow, Side, UpsertOutcome

__all__ = ["MAX_SLOTS", "RawInsights", "build_document", "ingest", "parse_insights", "speaker_names", "to_document"]

MAX_SLOTS = 255  # slot 0 = AI sections, 1…254 = one speaker each; further speakers share the last slot
_DIGITS = re.compile(r"\D+")
_EVIDENCE_TOLERANCE = 10.0  # seconds: a next step's start may fall in the pause before the line that says it

RawInsights = RecordingInsights | Mapping[str, Any] | bytes | str


def parse_insights(raw: RawInsights) -> RecordingInsights:
    """A `RecordingInsights` from a model, a JSON object (an event body) or JSON text.

    JSON text is parsed once by pydantic-core and the result validated, as the client parses a response
    (`RecordingInsights.from_body`, which also records the body's size for its cache): about a quarter less CPU
    than `model_validate_json` on the bench's calls.
    Raises ValueError when the body is not a RecordingInsights at all (pydantic's ValidationError is one).
    """
    if isinstance(raw, RecordingInsights):
        return raw
    if isinstance(raw, bytes | str):
        data = pydantic_core.from_json(raw)
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        return RecordingInsights.model_validate(data)
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
    # The id column, not the lines: a tuple per line cost more than the rest of this function.
    for speaker_id in dict.fromkeys(insights.insights.transcript.speaker_ids):
        key = speaker_id or "(none)"
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


def _evidence(transcript: Transcript, start: float | None) -> tuple[str | None, str | None]:
    """The transcript line said at `start` (or just after it): (text, speaker id)."""
    if start is None:
        return None, None
    best = -1
    best_start = 0.0
    for index, (line_start, line_end) in enumerate(zip(transcript.starts, transcript.ends, strict=True)):
        if line_start <= start < line_end:
            return transcript.texts[index], transcript.speaker_ids[index]
        if start <= line_start <= start + _EVIDENCE_TOLERANCE and (best < 0 or line_start < best_start):
            best, best_start = index, line_start
    return (transcript.texts[best], transcript.speaker_ids[best]) if best >= 0 else (None, None)


def build_document(
    insights: RecordingInsights, *, source: Literal["sync", "event"] = "sync", raw_json: bytes | None = None
) -> CallDocument:
    """Everything a backend stores for one recording: metadata, indexed text by speaker, next steps, the JSON.

    `raw_json` is the body `insights` was parsed from, when there is one: it is stored as sent (parsing it again
    gives the same model), which saves serialising the model; otherwise the model's own JSON is stored.
    """
    names = speaker_names(insights)
    transcript = insights.insights.transcript
    slots: dict[str, int] = {}
    lines: dict[int, list[str]] = {}
    # The text of a slot must be exactly what earlier versions indexed (deleting from the contentless index needs
    # it): lines in transcript order. Grouped from the columns when each speaker has a slot of their own (no tuple
    # per line); line by line when speakers share one (None and "", or more speakers than slots).
    said: dict[str | None, list[str]] = {}
    for speaker_id, text in zip(transcript.speaker_ids, transcript.texts, strict=True):
        lines_of = said.get(speaker_id)
        if lines_of is None:
            lines_of = said[speaker_id] = []
        lines_of.append(text)
    if len(said) < MAX_SLOTS and not (None in said and "" in said):
        for number, (speaker_id, texts) in enumerate(said.items(), start=1):
            slots[speaker_id or "(none)"] = number
            lines[number] = texts
    else:
        for speaker_id, text in zip(transcript.speaker_ids, transcript.texts, strict=True):
            key = speaker_id or "(none)"
            shared = slots.get(key)
            if shared is None:
                shared = slots[key] = min(len(slots) + 1, MAX_SLOTS - 1)
            lines.setdefault(shared, []).append(text)
    transcript_chars = sum(map(len, transcript.texts))
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
        evidence, evidence_speaker = _evidence(transcript, step.start)
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
        utterances=len(transcript),
        transcript_chars=transcript_chars,
        source=source,
    )


async def ingest(
    store: LibraryWriter,
    raw: RawInsights,
    *,
    source: Literal["sync", "event"] = "sync",
    now: datetime | None = None,
) -> UpsertOutcome:
    """Upsert one recording's insights (a model from the client, or an event body). Events also move "last event".

    Raises ValueError (pydantic's ValidationError is one) for a body that is not a RecordingInsights, `LibraryError`
    from the store.
    """
    outcome = await store.upsert(to_document(raw, source))
    if source == "event":
        await store.note_event(now or datetime.now(UTC))
    return outcome


def to_document(raw: RawInsights, source: Literal["sync", "event"] = "sync") -> CallDocument:
    """`build_document` of a body in any form `parse_insights` takes; JSON text is stored as sent.

    Raises ValueError (pydantic's ValidationError is one) for a body that is not a RecordingInsights, and for a
    model that cannot be written as JSON.
    """
    raw_json = raw.encode() if isinstance(raw, str) else raw if isinstance(raw, bytes) else None
    return build_document(parse_insights(raw), source=source, raw_json=raw_json)
