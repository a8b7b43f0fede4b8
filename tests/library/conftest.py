"""Fixtures: a library on each backend (SQLite in a real file under tmp_path, PostgreSQL in a fresh database of a
real server on loopback), the sandbox's sample calls, and a client wired to a sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.library import postgres, sqlite
from server.library.ingest import ingest
from server.library.store import LibraryStore
from server.ringsense import JWTCredentials, RingSenseClient
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, create_sandbox_app
from server.sandbox.dataset import build_dataset
from server.sandbox.samples import Dataset, SandboxUser
from tests.postgres_server import PostgresServer, fresh_database, run_in_own_loop

SANDBOX_URL = "https://platform.sandbox.test"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="session")
def dataset(now: datetime) -> Dataset:
    """The sample account, built once: tests must not change it (`fresh_dataset` is theirs to change)."""
    return build_dataset(now)


@pytest.fixture
def fresh_dataset(now: datetime) -> Dataset:
    return build_dataset(now)


@pytest.fixture
def library_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "library.sqlite3"


BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def postgres_filled_template(postgres_server: PostgresServer, postgres_template: str, dataset: Dataset) -> str:
    """A copy of the template holding every analysed sample call, ingested once (the dataset is shared)."""
    url = postgres_server.create_database("library_filled", template=postgres_template)

    async def fill() -> None:
        store = await postgres.open_store(url)
        try:
            await _ingest_samples(store, dataset)
        finally:
            await store.aclose()

    run_in_own_loop(fill)
    return "library_filled"


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated PostgreSQL database (for the tests only that backend has)."""
    return fresh_database(request, "postgres_template")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Every test that takes a store runs on SQLite and on PostgreSQL (a real server, a fresh database)."""
    return str(request.param)


@pytest.fixture
async def store(backend: str, library_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[LibraryStore]:
    """An empty library on each backend."""
    opened: LibraryStore
    if backend == "postgres":
        opened = await postgres.open_store(fresh_database(request, "postgres_template"))
    else:
        opened = await sqlite.open_store(library_path)
    try:
        yield opened
    finally:
        await opened.aclose()


def sample_bodies(dataset: Dataset) -> dict[str, list[dict[str, Any]]]:
    """Insights bodies of the sample calls by key (a transferred call has two)."""
    return {
        call.key: [rec.insights for rec in call.recordings if rec.insights is not None]
        for call in dataset.calls
        if any(rec.insights for rec in call.recordings)
    }


async def _ingest_samples(store: LibraryStore, dataset: Dataset) -> None:
    for bodies in sample_bodies(dataset).values():
        for body in bodies:
            await ingest(store, body)


@pytest.fixture
async def filled(
    backend: str, library_path: Path, dataset: Dataset, request: pytest.FixtureRequest
) -> AsyncIterator[LibraryStore]:
    """A library holding every analysed sample call (as a sync would leave it), on each backend. PostgreSQL's
    is a copy of a database filled once per session."""
    opened: LibraryStore
    if backend == "postgres":
        opened = await postgres.open_store(fresh_database(request, "postgres_filled_template"))
    else:
        opened = await sqlite.open_store(library_path)
        await _ingest_samples(opened, dataset)
    try:
        yield opened
    finally:
        await opened.aclose()


@pytest.fixture
def platform(fresh_dataset: Dataset) -> SandboxPlatform:
    return SandboxPlatform(fresh_dataset)


@pytest.fixture
def make_client(platform: SandboxPlatform) -> Callable[..., RingSenseClient]:
    """A RingSense client talking to the sandbox in-process (ASGI), signed in as `user` (default: Dana)."""

    def make(user: SandboxUser | None = None) -> RingSenseClient:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_sandbox_app(platform)), base_url=SANDBOX_URL)
        jwt = (user or platform.dataset.users[0]).jwt
        return RingSenseClient(
            server_url=SANDBOX_URL,
            credentials=JWTCredentials(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, jwt),
            http_client=http,
            cache_ttl=0,
        )

    return make
