"""Batch ingest on both backends: one transaction per bounded batch, later versions win inside a batch and across
batches, a call that fails is reported without losing the others, and the sync's writer batches what it finds
fetched."""

from __future__ import annotations

import copy
import dataclasses
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest

from server.library import LibraryStore, LibraryWriteError, SearchQuery, sqlite
from server.library.batches import BATCH_CALLS, ingest_many
from server.library.ingest import build_document, ingest, parse_insights
from server.library.store import CallDocument, UpsertOutcome
from server.library.sync import sync_range
from server.ringsense import RingSenseClient
from server.ringsense.models import RecordingInsights
from server.sandbox import SandboxPlatform
from server.sandbox.samples import Dataset

from .conftest import sample_bodies

pytestmark = pytest.mark.anyio


def _bodies(dataset: Dataset) -> list[dict[str, Any]]:
    return [body for bodies in sample_bodies(dataset).values() for body in bodies]


def _version(body: dict[str, Any], minutes: int, note: str) -> dict[str, Any]:
    """The same recording, modified `minutes` after (or before) the body's version, with a word of its own."""
    changed = copy.deepcopy(body)
    stamp = RecordingInsights.model_validate(body).last_modified_time
    assert stamp is not None
    changed["lastModifiedTime"] = (stamp + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    changed["insights"]["CallNotes"] = [{"value": note}]
    return changed


class _Watched:
    """The real store, with the batches handed to `upsert_many` written down (everything else passes through)."""

    def __init__(self, store: LibraryStore, *, hold_first: bool = False) -> None:
        self._store = store
        self._hold_first = hold_first
        self.batches: list[list[str]] = []
        self.writing = anyio.Event()  # set when the first batch reaches the store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def upsert_many(self, documents: Sequence[CallDocument]) -> list[UpsertOutcome | LibraryWriteError]:
        self.batches.append([document.call.record_id for document in documents])
        self.writing.set()
        if self._hold_first and len(self.batches) == 1:
            # Every other task runs until it waits (for its fetch, or for this write): a write that takes a while.
            await anyio.wait_all_tasks_blocked()
        return await self._store.upsert_many(documents)


async def test_a_batch_stores_every_call_and_answers_each_in_order(store: LibraryStore, dataset: Dataset) -> None:
    bodies = _bodies(dataset)
    results = await ingest_many(store, bodies)
    assert [(r.index, r.record_id, r.outcome, r.error) for r in results] == [
        (i, body["sourceRecordId"], "inserted", None) for i, body in enumerate(bodies)
    ]
    for body in bodies:
        stored = await store.get_by_record(body["sourceRecordId"], body["domain"])
        assert stored is not None and stored.insights == RecordingInsights.model_validate(body)
    assert (await store.search(SearchQuery('"technical deep dive"'))).total_calls == 1
    again = await ingest_many(store, [json.dumps(body).encode() for body in bodies])
    assert {r.outcome for r in again} == {"unchanged"}, "idempotent: the same versions again change nothing"


@pytest.mark.parametrize(
    ("order", "outcomes"),
    [
        pytest.param(("old", "new"), ["inserted", "updated"], id="old-new"),
        pytest.param(("new", "old"), ["inserted", "stale"], id="new-old"),
        pytest.param(("new", "old", "new"), ["inserted", "stale", "unchanged"], id="new-old-new"),
        pytest.param(("old", "new", "old"), ["inserted", "updated", "stale"], id="old-new-old"),
    ],
)
@pytest.mark.parametrize("batch_calls", [64, 1], ids=["one-batch", "a-batch-each"])
async def test_the_later_version_wins_inside_a_batch_and_across_batches(
    store: LibraryStore, dataset: Dataset, order: tuple[str, ...], outcomes: list[str], batch_calls: int
) -> None:
    """AI Notes' version (earlier) and RingSense's (later) of one recording, in any order, in any batching."""
    body = sample_bodies(dataset)["partner-call"][0]
    versions = {"old": _version(body, -10, "Zanzibar notes from AI Notes."), "new": _version(body, 0, "Quokka.")}
    results = await ingest_many(store, [versions[name] for name in order], batch_calls=batch_calls)
    assert [r.outcome for r in results] == outcomes
    stored = await store.get_by_record(body["sourceRecordId"])
    assert stored is not None and stored.insights == RecordingInsights.model_validate(versions["new"])
    assert (await store.search(SearchQuery("quokka"))).total_calls == 1
    assert (await store.search(SearchQuery("zanzibar"))).total_calls == 0, "the older text left the index"
    assert (await store.status()).calls == 1


async def test_a_body_that_is_not_insights_is_reported_and_the_rest_of_its_batch_is_stored(
    store: LibraryStore, dataset: Dataset
) -> None:
    good = _bodies(dataset)[:2]
    secret = "quarterly-numbers-nobody-may-see"
    results = await ingest_many(
        store, [good[0], b'{"title": "' + secret.encode() + b'"', {"sourceRecordId": "77", "title": [secret]}, good[1]]
    )
    assert [r.outcome for r in results] == ["inserted", None, None, "inserted"]
    assert (results[1].record_id, results[2].record_id, results[2].domain) == (None, "77", "pbx")
    for failed in results[1:3]:
        assert failed.error is not None and failed.error.startswith("not a RingSense RecordingInsights (")
        assert secret not in failed.error, "call content never goes into an error message"
    assert "title" in (results[2].error or ""), "the message says which field is wrong"
    assert (await store.status()).calls == 2


async def test_a_call_the_database_refuses_is_rolled_back_alone_and_reported(
    store: LibraryStore, dataset: Dataset
) -> None:
    first, refused, last = (build_document(parse_insights(body)) for body in _bodies(dataset)[:3])
    # A lone surrogate cannot be encoded for either database. Ingest never gets one this far (the JSON parser
    # refuses it, serialising a model that holds one fails first), so the document is made by hand here.
    refused = dataclasses.replace(refused, call=dataclasses.replace(refused.call, title="broken \ud800 title"))
    results = await store.upsert_many([first, refused, last])
    assert results[0] == "inserted" and results[2] == "inserted"
    error = results[1]
    assert isinstance(error, LibraryWriteError)
    assert (error.record_id, error.domain) == (refused.call.record_id, refused.call.domain)
    assert "other calls of its batch were" in error.message and "broken" not in error.message
    assert await store.get_by_record(refused.call.record_id, refused.call.domain) is None
    assert await store.get_by_record(last.call.record_id, last.call.domain) is not None
    assert (await store.status()).calls == 2
    with pytest.raises(LibraryWriteError):
        await store.upsert(refused)


def _sizes(bodies: list[bytes], bound: int) -> list[int]:
    """Batch sizes a bytes bound should give: greedy, a body larger than the bound alone."""
    sizes: list[int] = []
    used = 0
    for body in bodies:
        if sizes and used + len(body) <= bound:
            sizes[-1] += 1
            used += len(body)
        else:
            sizes.append(1)
            used = len(body)
    return sizes


@pytest.mark.parametrize("bound", ["calls", "bytes", "a-call-over-the-bytes"])
async def test_batches_are_bounded_by_calls_and_by_bytes(store: LibraryStore, dataset: Dataset, bound: str) -> None:
    bodies = [json.dumps(body).encode() for body in _bodies(dataset)]
    watched = _Watched(store)
    if bound == "calls":
        results = await ingest_many(watched, bodies, batch_calls=3)
        expected = [min(3, len(bodies) - start) for start in range(0, len(bodies), 3)]
    elif bound == "bytes":
        limit = sum(map(len, bodies)) // 4
        results = await ingest_many(watched, bodies, batch_bytes=limit)
        expected = _sizes(bodies, limit)
    else:
        limit = sorted(map(len, bodies))[len(bodies) // 2]  # half the calls are larger than a whole batch
        results = await ingest_many(watched, bodies, batch_bytes=limit)
        expected = _sizes(bodies, limit)
    assert [len(batch) for batch in watched.batches] == expected
    assert len(expected) > 1
    assert all(r.outcome == "inserted" for r in results)
    assert [record for batch in watched.batches for record in batch] == [r.record_id for r in results]


async def test_batch_bounds_below_one_are_refused(store: LibraryStore) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        await ingest_many(store, [], batch_calls=0)
    with pytest.raises(ValueError, match="at least 1"):
        await ingest_many(store, [], batch_bytes=0)


async def test_an_interrupted_batch_ingest_keeps_every_batch_committed_before(
    store: LibraryStore, dataset: Dataset
) -> None:
    """Ctrl-C while the third batch is being prepared: the first two (four calls) are in the library, and the
    same input ingested again stores only the rest."""
    bodies = _bodies(dataset)
    assert len(bodies) > 5
    with anyio.CancelScope() as scope:

        def interrupted() -> Iterator[dict[str, Any]]:
            for index, body in enumerate(bodies):
                if index == 5:
                    scope.cancel()  # the third batch (the fifth and sixth calls) is never written
                yield body

        await ingest_many(store, interrupted(), batch_calls=2)
    assert scope.cancelled_caught
    assert (await store.status()).calls == 4
    again = await ingest_many(store, bodies)
    assert [r.outcome for r in again] == ["unchanged"] * 4 + ["inserted"] * (len(bodies) - 4)


async def test_a_backfill_writes_calls_fetched_during_a_write_together_and_indexes_them_all(
    store: LibraryStore, platform: SandboxPlatform, make_client: Callable[..., RingSenseClient], now: datetime
) -> None:
    watched = _Watched(store, hold_first=True)
    async with make_client() as client:
        summary = await sync_range(watched, client, now - timedelta(days=31), now)
    written = [record for batch in watched.batches for record in batch]
    assert summary.indexed == len(written) and summary.stopped is None and not summary.errors
    assert len(watched.batches) < len(written), "calls fetched during a write shared the next transaction"
    assert max(map(len, watched.batches)) <= BATCH_CALLS
    for record_id in written:
        assert await store.get_by_record(record_id) is not None
    coverage = await store.coverage(now - timedelta(days=31), now)
    assert coverage.indexed == len(written)


async def test_a_call_the_library_refuses_during_a_backfill_is_marked_failed_and_the_others_indexed(
    library_path: Path, platform: SandboxPlatform, make_client: Callable[..., RingSenseClient], now: datetime
) -> None:
    """Whatever makes the database refuse a fetched call (here: an earlier version's stored row is damaged, and the
    recording is due for a fetch again), that call is reported and retried later, and every other call of the
    backfill is indexed."""
    recordings = [rec for call in platform.dataset.calls if call.domain == "pbx" and call.call_log
                  for rec in call.recordings if rec.insights is not None]  # fmt: skip
    damaged = recordings[0]
    assert damaged.insights is not None
    store = await sqlite.open_store(library_path)
    try:
        assert await ingest(store, _version(damaged.insights, -30, "An earlier version.")) == "inserted"
        raw = sqlite3.connect(library_path)
        raw.execute("UPDATE call_json SET insights = x'00'")
        raw.commit()
        raw.close()
        await store.set_recording_state("pbx", damaged.record_id, "pending", attempts=0)
        async with make_client() as client:
            summary = await sync_range(store, client, now - timedelta(days=31), now)
        assert summary.stopped is None
        assert summary.indexed == len(recordings) - 1
        assert len(summary.errors) == 1 and summary.errors[0].startswith(f"{damaged.record_id}: Recording ")
        coverage = await store.coverage(now - timedelta(days=31), now)
        assert (coverage.indexed, coverage.failed) == (len(recordings) - 1, 1)
        failed = await store.recordings(now - timedelta(days=31), now, states=("failed",))
        assert [(e.record_id, e.last_error, e.retry_at is not None) for e in failed] == [
            (damaged.record_id, "LibraryWriteError", True)
        ]
    finally:
        await store.aclose()
