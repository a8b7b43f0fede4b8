"""Many calls into the library at once: `ingest_many`, one write transaction per bounded batch.

```python
results = await ingest_many(store, bodies)   # one write transaction per batch of BATCH_CALLS / BATCH_BYTES
```

The sync's writer hands it every call fetched while it was writing the previous ones.

A batch costs one commit and one new full-text index segment instead of one per call (most of a small write's
cost in SQLite). It is bounded, so a write transaction stays short and another process writing the same library
waits a fraction of a second, not seconds. Later versions win inside a batch as across batches (the store upserts
a batch's documents in order); a body that is not a RecordingInsights, or that the database refuses, is reported
in its place and the others are stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import ValidationError

from server.ringsense.models import RecordingInsights

from .errors import LibraryWriteError
from .ingest import RawInsights, to_document
from .store import CallDocument, LibraryWriter, UpsertOutcome

__all__ = ["BATCH_BYTES", "BATCH_CALLS", "IngestResult", "ingest_many"]

# One write transaction holds at most this many calls and this much insights JSON (before compression): 32 of the
# bench's calls hold SQLite's write lock for ~50 ms of CPU (0.1-0.3 s of wall time at a load of 9 on 2 cores),
# and larger batches save no more CPU a call (docs/benchmarks.md), only make other writers wait longer.
BATCH_CALLS = 32
BATCH_BYTES = 8 * 1024 * 1024


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
    raws: Iterable[RawInsights],
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


def _batches(
    raws: Iterable[tuple[int, RawInsights]],
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
            document = to_document(raw, source)
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


def _not_insights(error: ValueError) -> str:
    """Where and what, from pydantic's first error, without the input it quotes (call content)."""
    if isinstance(error, ValidationError):
        first = error.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        return f"not a RingSense RecordingInsights ({where}: {first['msg']})"
    if type(error) is ValueError:  # the JSON parser's (a position) or parse_insights' ("got list"): no content
        return f"not a RingSense RecordingInsights ({error})"
    return f"not storable ({type(error).__name__})"


def _record_id(raw: RawInsights) -> str | None:
    if isinstance(raw, RecordingInsights):
        return raw.source_record_id
    if isinstance(raw, Mapping):
        value = raw.get("sourceRecordId")
        return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
    return None


def _domain(raw: RawInsights) -> str | None:
    if isinstance(raw, RecordingInsights):
        return raw.domain
    if isinstance(raw, Mapping):
        value = raw.get("domain", "pbx")
        return value if isinstance(value, str) else None
    return None
