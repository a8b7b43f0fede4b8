"""A process that uses a library file, for the multi-process tests: `python -m tests.library.worker ROLE PATH N`.

Roles: `writer` ingests N synthetic calls (ids unique to the process) and prints `indexed K` after each commit;
`batch-writer` does the same in batches of `BATCH_CALLS` (one transaction each, as a sync under load writes);
`reader` runs N searches and status reads; `sync` runs a full sync against an in-process sandbox. Every role first
waits (bounded) for `PATH.go` to exist, so that the processes start together.
"""

from __future__ import annotations

import copy
import itertools
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx

from server.library import SearchQuery
from server.library.batches import BATCH_CALLS, ingest_many
from server.library.ingest import ingest
from server.library.sqlite import open_store
from server.library.sync import sync_range
from server.ringsense import JWTCredentials, RingSenseClient
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, create_sandbox_app
from server.sandbox.dataset import build_dataset

START_TIMEOUT = 30.0


def _wait_for_go(path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not path.with_name(path.name + ".go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.01)


def _bodies(count: int) -> Iterator[dict[str, Any]]:
    template = next(rec.insights for call in build_dataset().calls for rec in call.recordings if rec.insights)
    for index in range(count):
        body = copy.deepcopy(template)
        body["sourceRecordId"] = f"{os.getpid()}{index:06d}"
        body["sourceSessionId"] = f"s-{os.getpid()}-{index}"
        # Outside the month the `sync` role walks: the call log does not list these, so that sync would rightly
        # drop them as gone upstream.
        body["recordingStartTime"] = "2026-01-15T10:00:00Z"
        yield body


async def _writer(path: Path, count: int) -> None:
    store = await open_store(path)
    try:
        for index, body in enumerate(_bodies(count)):
            await ingest(store, body)
            print(f"indexed {index + 1}", flush=True)
    finally:
        await store.aclose()


async def _batch_writer(path: Path, count: int) -> None:
    store = await open_store(path)
    bodies = _bodies(count)
    done = 0
    try:
        while batch := list(itertools.islice(bodies, BATCH_CALLS)):
            results = await ingest_many(store, batch)
            if not all(result.stored for result in results):
                raise SystemExit(f"refused: {[result.error for result in results if not result.stored]}")
            done += len(batch)
            print(f"indexed {done}", flush=True)
    finally:
        await store.aclose()


async def _reader(path: Path, count: int) -> None:
    store = await open_store(path)
    try:
        for _ in range(count):
            await store.search(SearchQuery("proposal OR pilot", limit=5))
            await store.status()
    finally:
        await store.aclose()


async def _sync(path: Path) -> None:
    platform = SandboxPlatform()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_sandbox_app(platform)), base_url="https://s.test")
    credentials = JWTCredentials(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, platform.dataset.users[0].jwt)
    store = await open_store(path)
    try:
        async with RingSenseClient(server_url="https://s.test", credentials=credentials, http_client=http) as client:
            from datetime import UTC, datetime, timedelta

            now = datetime.now(UTC)
            summary = await sync_range(store, client, now - timedelta(days=31), now)
            print(f"sync {summary.describe()}", flush=True)
    finally:
        await store.aclose()


def main() -> None:
    role, path, count = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    _wait_for_go(path)
    if role == "writer":
        anyio.run(_writer, path, count)
    elif role == "batch-writer":
        anyio.run(_batch_writer, path, count)
    elif role == "reader":
        anyio.run(_reader, path, count)
    else:
        anyio.run(_sync, path)


if __name__ == "__main__":
    main()
