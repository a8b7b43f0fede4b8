"""Sync against the sandbox: backfill, not-ready backoff, retention, resume, permissions, the lease, catch-up."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

import anyio
import httpx
import pytest

from server.library.sqlite import SqliteStore
from server.library.store import LibraryStore
from server.library.sync import SyncProgress, catch_up, sync_gap, sync_range
from server.library.sync_pipeline import WORKERS
from server.library.sync_run import BUSY_ELSEWHERE, LEASE
from server.ringsense import JWTCredentials, RingSenseClient
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, create_sandbox_app
from server.sandbox.samples import Dataset, SampleCall, SampleRecording
from tests.library.conftest import SANDBOX_URL

pytestmark = pytest.mark.anyio


def _phone_recordings(dataset: Dataset) -> list[SampleRecording]:
    return [rec for call in dataset.calls if call.domain == "pbx" and call.call_log for rec in call.recordings]


def _call(dataset: Dataset, key: str) -> SampleCall:
    return next(call for call in dataset.calls if call.key == key)


def _insight_requests(platform: SandboxPlatform) -> list[str]:
    return [r.path.rsplit("/", 2)[-2] for r in platform.requests_to("/insights")]


async def test_a_backfill_indexes_every_analysed_call_and_counts_the_rest(
    store: SqliteStore, platform: SandboxPlatform, make_client: Callable[..., RingSenseClient], now: datetime
) -> None:
    recordings = _phone_recordings(platform.dataset)
    updates: list[SyncProgress] = []
    async with make_client() as client:
        summary = await sync_range(store, client, now - timedelta(days=31), now, progress=updates.append)
    ready = [rec for rec in recordings if rec.insights is not None]
    assert summary.recordings == len(recordings)
    assert summary.indexed == len(ready)
    assert (summary.pending, summary.not_analysed, summary.failed, summary.stopped) == (1, 0, 0, None)
    assert all(r.status != 429 for r in platform.requests)
    for rec in ready:
        assert await store.get_by_record(rec.record_id) is not None
    assert updates[-1] == SyncProgress("insights", len(recordings), len(recordings), updates[-1].message)
    assert {u.phase for u in updates} == {"call log", "insights"}
    coverage = await store.coverage(now - timedelta(days=31), now)
    assert (coverage.indexed, coverage.pending, coverage.unsynced) == (len(ready), 1, ())
    assert "1 pending analysis" in coverage.describe()


async def test_a_call_not_ready_is_retried_after_its_backoff_and_then_indexed(
    store: SqliteStore, platform: SandboxPlatform, make_client: Callable[..., RingSenseClient], now: datetime
) -> None:
    pending = _call(platform.dataset, "not-ready")
    record_id = pending.recordings[0].record_id
    async with make_client() as client:
        await sync_range(store, client, now - timedelta(days=31), now, now=now)
        platform.clear_requests()
        await sync_range(store, client, now - timedelta(days=31), now, now=now)
        assert record_id not in _insight_requests(platform), "retried before its backoff"

        donor = copy.deepcopy(_call(platform.dataset, "partner-call").recordings[0].insights)
        assert donor is not None
        donor.update(sourceRecordId=record_id, sourceSessionId=pending.session_id)
        pending.recordings[0] = SampleRecording(record_id, donor)  # RingSense has finished its analysis
        later = now + timedelta(minutes=3)
        summary = await sync_range(store, client, now - timedelta(days=31), later, now=later)
    assert _insight_requests(platform).count(record_id) == 1
    assert (summary.indexed, summary.pending) == (1, 0)
    assert await store.get_by_record(record_id) is not None


async def test_a_call_never_analysed_stops_counting_as_pending(
    store: SqliteStore, make_client: Callable[..., RingSenseClient], now: datetime
) -> None:
    days_later = now + timedelta(days=3)
    async with make_client() as client:
        summary = await sync_range(store, client, now - timedelta(days=31), now, now=days_later)
    assert (summary.pending, summary.not_analysed) == (0, 1)


async def test_calls_gone_from_the_call_log_are_dropped_from_the_library(
    store: SqliteStore, platform: SandboxPlatform, make_client: Callable[..., RingSenseClient], now: datetime
) -> None:
    gone = _call(platform.dataset, "renewal-negotiation")
    async with make_client() as client:
        await sync_range(store, client, now - timedelta(days=31), now)
        assert await store.get_by_record(gone.recordings[0].record_id) is not None
        platform.dataset.calls.remove(gone)  # past retention upstream
        summary = await sync_range(store, client, now - timedelta(days=31), now)
    assert summary.removed == 1
    assert await store.get_by_record(gone.recordings[0].record_id) is None


async def test_a_user_who_sees_only_their_own_calls_never_drops_anyone_elses(
    store: SqliteStore, platform: SandboxPlatform, make_client: Callable[..., RingSenseClient], now: datetime
) -> None:
    async with make_client() as client:
        await sync_range(store, client, now - timedelta(days=31), now)
    calls = (await store.status()).calls
    own_log_only = next(user for user in platform.dataset.users if not user.can_read_company_call_log)
    async with make_client(own_log_only) as client:
        summary = await sync_range(store, client, now - timedelta(days=31), now)
        assert client.call_log_level == "extension"
    assert summary.removed == 0 and (await store.status()).calls == calls


async def test_an_interrupted_sync_keeps_what_it_fetched_and_the_next_run_fetches_only_the_rest(
    store: SqliteStore, platform: SandboxPlatform, make_client: Callable[..., RingSenseClient], now: datetime
) -> None:
    total = len(_phone_recordings(platform.dataset))
    async with make_client() as client:
        with anyio.CancelScope() as scope:

            def interrupt(update: SyncProgress) -> None:
                if update.phase == "insights" and update.done >= 4:
                    scope.cancel()  # what Ctrl-C does to the CLI's event loop

            await sync_range(store, client, now - timedelta(days=31), now, progress=interrupt)
        assert scope.cancelled_caught
        kept = (await store.status()).calls
        assert kept >= 3
        first = len(_insight_requests(platform))
        platform.clear_requests()
        summary = await sync_range(store, client, now - timedelta(days=31), now)
    assert first + len(_insight_requests(platform)) <= total + 8  # at most the workers' requests in flight redone
    assert summary.indexed == total - 1 - kept
    assert (await store.status()).calls == total - 1
    assert await store.acquire_lease(LEASE, "someone-else", timedelta(seconds=1)), "the sync released its lease"


async def test_a_user_without_the_insights_permission_stops_the_sync_with_the_reason(
    store: SqliteStore, platform: SandboxPlatform, make_client: Callable[..., RingSenseClient], now: datetime
) -> None:
    no_insights = next(user for user in platform.dataset.users if not user.can_read_insights)
    async with make_client(no_insights) as client:
        summary = await sync_range(store, client, now - timedelta(days=31), now)
    assert summary.stopped and "ReadRingSenseInsights" in summary.stopped
    assert summary.indexed == 0
    assert no_insights.jwt not in summary.describe()


async def test_a_second_sync_waits_its_turn_while_another_holds_the_lease(
    store: SqliteStore, make_client: Callable[..., RingSenseClient], now: datetime
) -> None:
    assert await store.acquire_lease(LEASE, "other-process", timedelta(minutes=3))
    async with make_client() as client:
        summary = await sync_range(store, client, now - timedelta(days=31), now)
        assert summary.stopped == BUSY_ELSEWHERE and summary.indexed == 0
        await store.release_lease(LEASE, "other-process")
        summary = await sync_range(store, client, now - timedelta(days=31), now)
    assert summary.stopped is None and summary.indexed > 0


async def test_catch_up_covers_the_lookback_then_only_what_is_new(
    store: SqliteStore, platform: SandboxPlatform, make_client: Callable[..., RingSenseClient], now: datetime
) -> None:
    async with make_client() as client:
        first = await catch_up(store, client, lookback=timedelta(days=31), now=now)
        platform.clear_requests()
        later = now + timedelta(minutes=10)
        second = await catch_up(store, client, lookback=timedelta(days=31), now=later)
    assert first.indexed > 0 and second.indexed == 0
    assert second.date_from == now - timedelta(hours=1)
    assert len(platform.requests_to("/call-log")) == 1


async def test_a_gap_reported_by_the_event_feed_is_synced(
    store: SqliteStore, platform: SandboxPlatform, make_client: Callable[..., RingSenseClient], now: datetime
) -> None:
    call = _call(platform.dataset, "renewal-negotiation")
    started = datetime.fromisoformat(call.call_log["startTime"].replace("Z", "+00:00"))
    async with make_client() as client:
        summary = await sync_gap(store, client, started - timedelta(minutes=5), started + timedelta(minutes=5))
    assert summary.indexed >= 1
    assert await store.get_by_record(call.recordings[0].record_id) is not None


async def test_a_call_that_fails_to_fetch_is_counted_and_retried_later(
    store: SqliteStore, platform: SandboxPlatform, make_client: Callable[..., RingSenseClient], now: datetime
) -> None:
    from server.sandbox.faults import Fault

    broken = _call(platform.dataset, "partner-call").recordings[0].record_id
    platform.faults.inject(f"*/records/{broken}/insights", Fault.malformed_json(), times=None)
    async with make_client() as client:
        summary = await sync_range(store, client, now - timedelta(days=31), now, now=now)
        assert summary.failed == 1 and summary.stopped is None
        assert summary.errors and broken in summary.errors[0]
        platform.faults.clear()
        later = now + timedelta(minutes=3)
        summary = await sync_range(store, client, now - timedelta(days=31), later, now=later)
    assert (summary.indexed, summary.failed) == (1, 0)
    assert await store.get_by_record(broken) is not None


async def test_fetching_goes_on_while_the_store_is_busy_writing(
    store: LibraryStore, platform: SandboxPlatform, now: datetime
) -> None:
    # At a window's turnover every freed slot should be used at once: a fetch must never wait for the store.
    # Here the store's first write waits until the platform has answered every insights request of the sync.
    recordings = _phone_recordings(platform.dataset)
    assert len(recordings) > WORKERS  # otherwise fetch-then-store workers would fetch them all too
    answered = 0
    all_answered = anyio.Event()

    async def on_response(response: httpx.Response) -> None:
        nonlocal answered
        if "/insights" in response.request.url.path:
            answered += 1
            if answered == len(recordings):
                all_answered.set()

    class _BusyWriter:
        """The store, with its first write held until every fetch has been answered."""

        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        async def upsert(self, document: Any) -> Any:
            await all_answered.wait()
            return await store.upsert(document)

    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_sandbox_app(platform)),
        base_url=SANDBOX_URL,
        event_hooks={"response": [on_response]},
    )
    credentials = JWTCredentials(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, platform.dataset.users[0].jwt)
    async with RingSenseClient(
        server_url=SANDBOX_URL, credentials=credentials, http_client=http, cache_ttl=0
    ) as client:
        with anyio.fail_after(10):
            summary = await sync_range(
                store=cast(LibraryStore, _BusyWriter()), client=client, date_from=now - timedelta(days=31), date_to=now
            )
    assert summary.indexed == len([rec for rec in recordings if rec.insights is not None])
    assert len(_insight_requests(platform)) == len(recordings)
