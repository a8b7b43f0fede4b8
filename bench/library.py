"""The call library at size: ingest rate, size on disk, search and next-steps latency on a synthetic library.

`backend` "postgres" runs the same measures on a throwaway PostgreSQL server started for the run (on disk, like
SQLite's file; see tests/postgres_server.py), with `INGEST_TASKS` writers on its connection pool.

Ingest is measured twice, each through the product's own code: the library built from the calls' JSON bytes by
`ingest_many` (batches of `BATCH_CALLS`), and, on a fresh library, a sample of the calls as the sync stores them:
each parsed as the client parses a response, then the models handed to `ingest_many` a batch at a time (the
sync's writer takes every call fetched while it wrote), which serialises each model to store it.

Latency budgets are absolute (issue 9: search p50 ≤ 50 ms, p95 ≤ 200 ms; next steps over a month ≤ 100 ms), so
those measures report ours against the budget: ratio ≤ 1 is met. Size is against the raw transcript text of the
same calls, ingest against the 200 calls/s budget.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio

from bench.library_data import FIXED_NOW, SyntheticLibrary, iter_chunks, synthetic_calls
from bench.results import Measure, median, percentile
from server.library import CallFilters, LibraryStore, NextStepsQuery, SearchQuery, open_store
from server.library.batches import BATCH_CALLS, ingest_many
from server.ringsense.models import RecordingInsights

INGEST_TASKS = 2  # batches in flight: one is parsed while the other is written, as fetches overlap a sync's writes
SYNC_SAMPLE = 2_000  # calls ingested the sync's way, into a library of their own
# Words people search call libraries for, from the sample conversations: common to rare in this library.
WORDS = ("proposal", "pilot", "invoice", "integration", "warehouse", "discount", "renewal", "escalate")
PHRASES = ("technical deep dive", "service credit", "price increase", "data migration", "route optimization")


@dataclass(frozen=True)
class LibraryConfig:
    calls: int  # 10,000
    utterances_per_call: int  # 300
    repeats: int  # runs of each query


def _budget(name: str, values: list[float], budget: float, q: float, runs: int) -> Measure:
    ours = percentile(values, q) * 1000
    return Measure(
        name=name,
        unit="ms",
        ours=ours,
        floor=budget,
        ratio=ours / budget,
        goal=1.0,
        runs=runs,
        floor_label="the budget",
        detail={"samples_ms": [round(v * 1000, 2) for v in values]},
    )


async def _timed(
    store: LibraryStore, queries: Sequence[SearchQuery], repeats: int, cpu: list[float] | None = None
) -> list[float]:
    """Wall time of each search; `cpu` collects the process's CPU time for each (all threads), which other load on
    the machine inflates far less than wall time."""
    samples = []
    for _ in range(repeats):
        for query in queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            await store.search(query)
            samples.append(time.perf_counter() - started)
            if cpu is not None:
                cpu.append(time.process_time() - started_cpu)
    return samples


def _size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.iterdir())


async def _ingest(store: LibraryStore, library: SyntheticLibrary) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the whole process) to ingest every call's JSON bytes with `ingest_many`."""
    batches = iter_chunks(library.calls, BATCH_CALLS)

    async def worker() -> None:
        for batch in batches:
            _check(await ingest_many(store, batch))

    started, started_cpu = time.perf_counter(), time.process_time()
    async with anyio.create_task_group() as tasks:
        for _ in range(INGEST_TASKS):
            tasks.start_soon(worker)
    return time.perf_counter() - started, time.process_time() - started_cpu


async def _ingest_as_sync(store: LibraryStore, bodies: list[bytes]) -> tuple[float, float]:
    """(wall, CPU) for `bodies` stored the sync's way: each parsed as the client parses a response (`from_body`),
    the models handed to `ingest_many` a batch of BATCH_CALLS at a time, from INGEST_TASKS tasks."""
    batches = iter_chunks(bodies, BATCH_CALLS)

    async def writer() -> None:
        for batch in batches:
            _check(await ingest_many(store, [RecordingInsights.from_body(body) for body in batch]))

    started, started_cpu = time.perf_counter(), time.process_time()
    async with anyio.create_task_group() as tasks:
        for _ in range(INGEST_TASKS):
            tasks.start_soon(writer)
    return time.perf_counter() - started, time.process_time() - started_cpu


def _check(results: Sequence[Any]) -> None:
    refused = [result.error for result in results if not result.stored]
    if refused:
        raise RuntimeError(f"ingest refused {len(refused)} synthetic calls, e.g. {refused[0]}")


def _ingest_measure(name: str, calls: int, elapsed: float, cpu_seconds: float, tasks: int) -> Measure:
    rate = calls / elapsed
    return Measure(
        name=name,
        unit="calls/s",
        ours=rate,
        floor=200.0,
        ratio=rate / 200.0,
        goal=1.0,
        direction="at_least",
        floor_label="the budget",
        note=f"CPU {cpu_seconds / calls * 1000:.1f} ms a call",
        detail={"seconds": round(elapsed, 2), "cpu_seconds": round(cpu_seconds, 2), "tasks": tasks, "calls": calls},
    )


Library = tuple[Callable[[], Any], Callable[[], Any]]  # (open a store, measure its size on disk)


@asynccontextmanager
async def _libraries(backend: str) -> AsyncIterator[Callable[[str], Library]]:
    """A maker of fresh, empty libraries on `backend`, each named."""
    if backend == "postgres":
        # Imported here: the bench runs without PostgreSQL unless asked to measure it.
        import psycopg

        from tests.postgres_server import PostgresServer

        server = await anyio.to_thread.run_sync(lambda: PostgresServer.start(in_memory=False))
        try:

            def database(name: str) -> Library:
                url = server.create_database(name)

                async def size() -> int:
                    # After a bulk load autovacuum analyses the tables within a minute or so; the bench does not wait.
                    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
                        await connection.execute("VACUUM ANALYZE")
                    store = await open_store(database_url=url)
                    try:
                        return (await store.status()).size_bytes
                    finally:
                        await store.aclose()

                return (lambda: open_store(database_url=url)), size

            yield database
        finally:
            await anyio.to_thread.run_sync(server.stop)
        return
    with tempfile.TemporaryDirectory(prefix="ringsense-bench-") as tmp:

        def file(name: str) -> Library:
            directory = Path(tmp) / name
            directory.mkdir()

            async def file_size() -> int:
                return _size(directory)

            return (lambda: open_store(directory / "library.sqlite3")), file_size

        yield file


async def measure_library(
    config: LibraryConfig, progress: Callable[[str], None], backend: str = "sqlite"
) -> list[Measure]:
    library = synthetic_calls(config.calls, config.utterances_per_call)
    progress(f"library: {config.calls:,} calls, {library.utterances:,} utterances generated")
    on = "" if backend == "sqlite" else ", PostgreSQL"
    async with _libraries(backend) as fresh:
        opener, measure_size = fresh("bench")
        store = await opener()
        try:
            elapsed, cpu_seconds = await _ingest(store, library)
        finally:
            await store.aclose()
        size = await measure_size()
        progress(f"library: ingest ({backend})")
        sample = library.calls[: min(SYNC_SAMPLE, len(library.calls))]
        sync_store = await fresh("bench_sync")[0]()
        try:
            sync_elapsed, sync_cpu = await _ingest_as_sync(sync_store, sample)
        finally:
            await sync_store.aclose()
        progress(f"library: ingest the sync's way ({backend})")
        store = await opener()
        try:
            month = CallFilters(date_from=FIXED_NOW - timedelta(days=30), date_to=FIXED_NOW)
            words = [*WORDS, *(w.capitalize() for w in library.rare_words[:4])]
            single = [SearchQuery(word) for word in words]
            phrases = [SearchQuery(f'"{phrase}"') for phrase in PHRASES]
            filtered = [
                *(SearchQuery(word, CallFilters(date_from=month.date_from, date_to=month.date_to, direction="Inbound"))
                  for word in words[:4]),
                *(SearchQuery(word, CallFilters(speaker_side="external")) for word in words[4:8]),
                *(SearchQuery(word, CallFilters(min_score=7)) for word in words[8:]),
            ]  # fmt: skip
            await _timed(store, single[:2], 1)  # warm the page cache, as a running server's would be
            cpu: dict[str, list[float]] = {"single words": [], "phrases": [], "filtered": []}
            single_t = await _timed(store, single, config.repeats, cpu["single words"])
            phrase_t = await _timed(store, phrases, config.repeats, cpu["phrases"])
            filtered_t = await _timed(store, filtered, config.repeats, cpu["filtered"])
            steps_t = []
            for _ in range(config.repeats * 3):
                started = time.perf_counter()
                result = await store.next_steps(NextStepsQuery(FIXED_NOW - timedelta(days=30), FIXED_NOW))
                steps_t.append(time.perf_counter() - started)
            progress(f"library: queries ({backend})")
        finally:
            await store.aclose()
    runs = config.repeats
    measures = [
        _ingest_measure(
            f"Library ingest from fetched JSON ({config.calls:,} calls{on})",
            config.calls,
            elapsed,
            cpu_seconds,
            INGEST_TASKS,
        ),
        _ingest_measure(
            f"Library ingest as the sync does ({len(sample):,} client-parsed calls{on})",
            len(sample),
            sync_elapsed,
            sync_cpu,
            INGEST_TASKS,
        ),
        Measure(
            name=f"Library size on disk ({library.utterances:,} utterances{on})",
            unit="bytes",
            ours=size,
            floor=library.transcript_chars,
            ratio=size / library.transcript_chars,
            goal=1.5,
            floor_label="raw transcript text",
        ),
    ]
    for label, samples in (("single words", single_t), ("phrases", phrase_t), ("filtered", filtered_t)):
        for q, budget in ((50, 50.0), (95, 200.0)):
            measure = _budget(f"`search` p{q}, {label} ({config.calls:,} calls{on})", samples, budget, q, runs)
            measure.detail["cpu_ms"] = round(percentile(cpu[label], q) * 1000, 2)
            measure.note = f"CPU {measure.detail['cpu_ms']:.0f} ms"
            measures.append(measure)
    steps_name = f"`next_steps` over a month ({result.total:,} steps, p50{on})"
    steps = _budget(steps_name, steps_t, 100.0, 50, config.repeats * 3)
    steps.detail["median_ms"] = round(median(steps_t) * 1000, 2)
    measures.append(steps)
    return measures
