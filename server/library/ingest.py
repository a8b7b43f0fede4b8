"""RecordingInsights → a `CallDocument` a backend can store, and the upserts that put it in the library.

Idempotent by `(domain, sourceRecordId)` + `lastModifiedTime`: the store keeps the latest version and ignores an
older one, so the two push events of one pbx call (AI Notes first, then RingSense) and a backfill of the same call
can arrive in any order and the library ends with the newest.

```python
outcome = await ingest(store, body)             # one call: an event, or a fetched call when nothing else waits
results = await ingest_many(store, bodies)      # many: one write transaction per batch of BATCH_CALLS / BATCH_BYTES
commits = GroupCommit(store)                     # many tasks (the sync's fetch workers), each with one call:
result = await commits.add(insights)             #   what arrives while a batch is written goes in the next one
```

A batch costs one commit and one new full-text index segment instead of one per call (most of a small write's
cost in SQLite). It is bounded, so a write transaction stays short and another process writing the same library
waits a fraction of a second, not seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import anyio
import pydantic_core
from pydantic import ValidationError

from server.ringsense.models import RecordingInsights
from server.ringsense.transcript import Transcript

from .due import find_due
from .errors import LibraryWriteError
from .store import CallDocument, CallRef, IndexedSection, LibraryWriter, NextStepRow, Side, UpsertOutcome

__all__ = [
    "BATCH_BYTES",
    "BATCH_CALLS",
    "MAX_SLOTS",
    "GroupCommit",
    "IngestResult",
    "build_document",
    "ingest",
    "ingest_many",
    "parse_insights",
    "speaker_names",
]

MAX_SLOTS = 255  # slot 0 = AI sections, 1…254 = one speaker each; further speakers share the last slot
_DIGITS = re.compile(r"\D+")
_EVIDENCE_TOLERANCE = 10.0  # seconds: a next step's start may fall in the pause before the line that says it
# One write transaction holds at most this many calls and this much insights JSON (before compression): 32 of the
# bench's calls hold SQLite's write lock for ~50 ms of CPU (0.1-0.3 s of wall time at a load of 9 on 2 cores),
# and larger batches save no more CPU a call (docs/benchmarks.md), only make other writers wait longer.
BATCH_CALLS = 32
BATCH_BYTES = 8 * 1024 * 1024

Raw = RecordingInsights | Mapping[str, Any] | bytes | str


def parse_insights(raw: Raw) -> RecordingInsights:
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
    raw: Raw,
    *,
    source: Literal["sync", "event"] = "sync",
    now: datetime | None = None,
) -> UpsertOutcome:
    """Upsert one recording's insights (a model from the client, or an event body). Events also move "last event".

    Raises ValueError (pydantic's ValidationError is one) for a body that is not a RecordingInsights, `LibraryError`
    from the store.
    """
    outcome = await store.upsert(_document(raw, source))
    if source == "event":
        await store.note_event(now or datetime.now(UTC))
    return outcome


@dataclass(frozen=True)
class IngestResult:
    """What became of one body given to `ingest_many`, at `index` in the input.

    `outcome` when it reached the store ("inserted", "updated", "unchanged", "stale"); otherwise `error` says why
    it was not stored (not a RecordingInsights, or refused by the database) and `outcome` is None. `record_id` is
    None only for a body too malformed to name its recording.
    """

    index: int
    record_id: str | None
    domain: str | None
    outcome: UpsertOutcome | None
    error: str | None = None

    @property
    def stored(self) -> bool:
        """True when the library now holds this version or a later one."""
        return self.outcome is not None


async def ingest_many(
    store: LibraryWriter,
    raws: Iterable[Raw],
    *,
    source: Literal["sync", "event"] = "sync",
    now: datetime | None = None,
    batch_calls: int = BATCH_CALLS,
    batch_bytes: int = BATCH_BYTES,
) -> list[IngestResult]:
    """Upsert many recordings' insights, one write transaction per batch of at most `batch_calls` calls and
    `batch_bytes` of JSON (a call larger than that goes alone). Later versions win within a batch as across
    batches. Returns one result per body, in input order: a body that is not a RecordingInsights, or that the
    database refuses, is reported there and the others are stored.

    Each batch is committed before the next is parsed: a crash loses at most the batch in flight, never one
    committed before. Raises `LibraryUnavailableError` when the store cannot be written at all (the batches before
    the failing one stay stored).
    """
    if batch_calls < 1 or batch_bytes < 1:
        raise ValueError("batch_calls and batch_bytes must be at least 1")
    results: list[IngestResult] = []
    for batch in _batches(enumerate(raws), batch_calls, batch_bytes, source, results):
        stored = await store.upsert_many([document for _, document in batch])
        for (index, document), result in zip(batch, stored, strict=True):
            call = document.call
            if isinstance(result, LibraryWriteError):
                results.append(IngestResult(index, call.record_id, call.domain, None, result.message))
            else:
                results.append(IngestResult(index, call.record_id, call.domain, result))
    results.sort(key=lambda result: result.index)
    if source == "event" and any(result.stored for result in results):
        await store.note_event(now or datetime.now(UTC))
    return results


@dataclass
class _Waiting:
    raw: Raw
    result: IngestResult | None = None
    error: BaseException | None = field(default=None, repr=False)


class GroupCommit:
    """Calls handed over by many tasks, written in batches: `await add(raw)` returns once the call is stored (or
    refused), with its `IngestResult`.

    A call handed over while the store is idle is written at once (with any handed over in the same moment);
    calls handed over while a batch is being written wait for it, and the next writer takes all of them (up to
    the batch bounds) in one transaction. So batching adds no delay to a lone call, and a burst costs one commit
    per batch instead of one per call. A result's `index` is the call's place in the batch it was written with.

    Raises what `ingest_many` raises (LibraryUnavailableError…) in every task whose call was in the failed batch.
    """

    def __init__(
        self,
        store: LibraryWriter,
        *,
        source: Literal["sync", "event"] = "sync",
        batch_calls: int = BATCH_CALLS,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        self._store = store
        self._source: Literal["sync", "event"] = source
        self._calls = batch_calls
        self._bytes = batch_bytes
        self._waiting: list[_Waiting] = []
        self._writing = anyio.Lock()

    async def add(self, raw: Raw) -> IngestResult:
        mine = _Waiting(raw)
        self._waiting.append(mine)
        async with self._writing:
            # Whoever holds the lock writes from the front of the queue until its own call is done; a call
            # written by an earlier holder is already done here.
            while mine.result is None and mine.error is None:
                batch, self._waiting = self._waiting[: self._calls], self._waiting[self._calls :]
                try:
                    results = await ingest_many(
                        self._store, [w.raw for w in batch], source=self._source, batch_calls=self._calls,
                        batch_bytes=self._bytes,
                    )  # fmt: skip
                except BaseException as error:
                    for waiting in batch:
                        waiting.error = error
                    raise
                for waiting, result in zip(batch, results, strict=True):
                    waiting.result = result
        if mine.error is not None:
            raise mine.error
        assert mine.result is not None  # the loop ends only with one of the two set
        return mine.result


def _batches(
    raws: Iterable[tuple[int, Raw]],
    calls: int,
    size: int,
    source: Literal["sync", "event"],
    failed: list[IngestResult],
) -> Iterator[list[tuple[int, CallDocument]]]:
    """Documents in batches within the bounds, built lazily (a batch is parsed only once the previous one is
    stored); bodies that do not parse go to `failed`."""
    batch: list[tuple[int, CallDocument]] = []
    batch_size = 0
    for index, raw in raws:
        try:
            document = _document(raw, source)
        except ValueError as error:  # pydantic's ValidationError, or a model that cannot be serialised
            failed.append(IngestResult(index, _record_id(raw), _domain(raw), None, _not_insights(error)))
            continue
        if batch and (len(batch) >= calls or batch_size + len(document.insights_json) > size):
            yield batch
            batch, batch_size = [], 0
        batch.append((index, document))
        batch_size += len(document.insights_json)
    if batch:
        yield batch


def _document(raw: Raw, source: Literal["sync", "event"]) -> CallDocument:
    raw_json = raw.encode() if isinstance(raw, str) else raw if isinstance(raw, bytes) else None
    return build_document(parse_insights(raw), source=source, raw_json=raw_json)


def _not_insights(error: ValueError) -> str:
    """Where and what, from pydantic's first error, without the input it quotes (call content)."""
    if isinstance(error, ValidationError):
        first = error.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        return f"not a RingSense RecordingInsights ({where}: {first['msg']})"
    if type(error) is ValueError:  # from_body's own message ("expected a JSON object, got list"): no content
        return f"not a RingSense RecordingInsights ({error})"
    return f"not storable ({type(error).__name__})"


def _record_id(raw: Raw) -> str | None:
    if isinstance(raw, RecordingInsights):
        return raw.source_record_id
    if isinstance(raw, Mapping):
        value = raw.get("sourceRecordId")
        return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
    return None


def _domain(raw: Raw) -> str | None:
    if isinstance(raw, RecordingInsights):
        return raw.domain
    if isinstance(raw, Mapping):
        value = raw.get("domain", "pbx")
        return value if isinstance(value, str) else None
    return None
