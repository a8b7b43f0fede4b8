"""Fixtures: a library in a real file under tmp_path, the sandbox's sample calls, and a client wired to a sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.library.ingest import ingest
from server.library.sqlite import SqliteStore, open_store
from server.ringsense import JWTCredentials, RingSenseClient
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, create_sandbox_app
from server.sandbox.dataset import build_dataset
from server.sandbox.samples import Dataset, SandboxUser

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


@pytest.fixture
async def store(library_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await open_store(library_path)
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


@pytest.fixture
async def filled(store: SqliteStore, dataset: Dataset) -> SqliteStore:
    """The store holding every analysed sample call (as a sync would leave it)."""
    for bodies in sample_bodies(dataset).values():
        for body in bodies:
            await ingest(store, body)
    return store


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
