"""The schema moves forward from every earlier version, keeps the data, and refuses what it cannot read."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from server.library import LibrarySchemaError, SearchQuery
from server.library.ingest import ingest
from server.library.sqlite import MIGRATIONS, SCHEMA_VERSION, open_store
from server.sandbox.samples import Dataset

from .conftest import sample_bodies

pytestmark = pytest.mark.anyio


def _version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


# How to turn a current library back into one at each earlier version (the inverse of MIGRATIONS[version:]).
_BACK_TO: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: lambda db: db.executescript("DROP TABLE leases; DROP INDEX calls_owner;"),
}


def test_every_migration_has_a_way_back_for_its_test() -> None:
    assert set(_BACK_TO) == set(range(1, SCHEMA_VERSION))
    assert len(MIGRATIONS) == SCHEMA_VERSION


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
async def test_a_library_from_an_earlier_version_is_migrated_with_its_calls(
    tmp_path: Path, dataset: Dataset, version: int
) -> None:
    path = tmp_path / "library.sqlite3"
    store = await open_store(path)
    for body in sample_bodies(dataset)["sales-discovery"]:
        await ingest(store, body)
    await store.aclose()
    db = sqlite3.connect(path)
    for back in sorted((v for v in _BACK_TO if v >= version), reverse=True):
        _BACK_TO[back](db)
    db.execute(f"PRAGMA user_version = {version}")
    db.close()

    store = await open_store(path)
    try:
        assert _version(path) == SCHEMA_VERSION
        page = await store.search(SearchQuery('"technical deep dive"'))
        assert page.total_calls == 1
        assert await store.acquire_lease("probe", "me", timedelta(seconds=5))
    finally:
        await store.aclose()


@pytest.mark.parametrize("make", ["missing", "empty"])
async def test_a_new_library_starts_at_the_current_version(tmp_path: Path, make: str) -> None:
    path = tmp_path / "library.sqlite3"
    if make == "empty":
        path.touch()
    store = await open_store(path)
    await store.aclose()
    assert _version(path) == SCHEMA_VERSION


async def test_a_library_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.close()
    with pytest.raises(LibrarySchemaError, match="newer ringsense-mcp") as caught:
        await open_store(path)
    assert "library forget" in caught.value.message
    assert _version(path) == SCHEMA_VERSION + 5


async def test_a_file_that_is_not_a_library_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    path.write_bytes(b"this is not a database, it is a grocery list" * 100)
    with pytest.raises(LibrarySchemaError, match="not a ringsense-mcp call library"):
        await open_store(path)


async def test_two_processes_opening_a_new_library_together_migrate_it_once(tmp_path: Path) -> None:
    import anyio

    path = tmp_path / "library.sqlite3"
    stores = []

    async def open_one() -> None:
        stores.append(await open_store(path))

    async with anyio.create_task_group() as tasks:
        for _ in range(4):
            tasks.start_soon(open_one)
    for store in stores:
        await store.aclose()
    assert _version(path) == SCHEMA_VERSION
