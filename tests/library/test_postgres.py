"""What only the PostgreSQL backend has: migrations in a shared database, replicas writing at once, a server that
goes away and comes back, and tsvector's limits. Every other library test runs on it too (see conftest)."""

from __future__ import annotations

import copy
import dataclasses
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import anyio
import psycopg
import pytest
from pydantic import SecretStr

from server.library import LibrarySchemaError, LibraryUnavailableError, SearchQuery, open_store
from server.library import postgres as pg
from server.library import postgres_text as fts
from server.library.ingest import ingest
from server.ringsense.models import RecordingInsights
from server.sandbox.samples import Dataset
from tests.postgres_server import PostgresServer

from .conftest import sample_bodies

pytestmark = pytest.mark.anyio

PASSWORD = "s3cret-canary-pw"  # a canary: it must never appear in a message


@pytest.fixture
def empty_database(postgres_server: PostgresServer) -> Iterator[str]:
    """A database the library has never seen (no schema at all)."""
    name = f"empty_{random.randrange(1 << 30)}"
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.drop_database(name)


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as connection:
        return connection.execute(sql.encode()).fetchall()


def _version(body: dict[str, Any], minutes: int, summary: str) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    stamp = RecordingInsights.model_validate(body).last_modified_time
    assert stamp is not None
    changed["lastModifiedTime"] = (stamp + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    changed["insights"]["Summary"] = [{"value": summary, "start": 0, "end": 1}]
    return changed


async def test_a_new_database_is_migrated_to_the_current_schema_once(empty_database: str) -> None:
    first = await pg.open_store(empty_database)
    await first.aclose()
    again = await pg.open_store(empty_database)
    status = await again.status()
    await again.aclose()
    assert status.schema_version == pg.SCHEMA_VERSION and status.backend == "postgresql"
    versions = _rows(empty_database, "SELECT version FROM ringsense.schema_version ORDER BY version")
    assert versions == [(n,) for n in range(1, pg.SCHEMA_VERSION + 1)]


async def test_replicas_starting_together_migrate_a_new_database_once(empty_database: str) -> None:
    stores: list[pg.PostgresStore] = []

    async def start() -> None:
        stores.append(await pg.open_store(empty_database))

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tasks:
            for _ in range(4):
                tasks.start_soon(start)
    for store in stores:
        await store.aclose()
    assert _rows(empty_database, "SELECT count(*) FROM ringsense.schema_version") == [(pg.SCHEMA_VERSION,)]


async def test_a_schema_written_by_a_newer_version_is_refused_and_left_alone(empty_database: str) -> None:
    await (await pg.open_store(empty_database)).aclose()
    with psycopg.connect(empty_database, autocommit=True) as connection:
        connection.execute("INSERT INTO ringsense.schema_version VALUES (99, now())")
    with pytest.raises(LibrarySchemaError, match="newer ringsense-mcp"):
        await pg.open_store(empty_database)
    assert _rows(empty_database, "SELECT max(version) FROM ringsense.schema_version") == [(99,)]


async def test_the_library_shares_a_database_without_touching_other_tables(empty_database: str) -> None:
    with psycopg.connect(empty_database, autocommit=True) as connection:
        connection.execute("CREATE TABLE public.calls (other_app text)")
        connection.execute("INSERT INTO public.calls VALUES ('theirs')")
    store = await pg.open_store(empty_database)
    await store.aclose()
    assert _rows(empty_database, "SELECT * FROM public.calls") == [("theirs",)]


async def test_concurrent_writers_on_two_replicas_keep_the_latest_version(postgres_url: str, dataset: Dataset) -> None:
    """Versions of one call arrive in a shuffled order through two pools at once: the latest is kept, and only
    its text is searchable."""
    body = sample_bodies(dataset)["partner-call"][0]
    versions = [_version(body, minutes, f"Version marker{minutes:02d} agreed.") for minutes in range(1, 13)]
    random.Random(5).shuffle(versions)
    replicas = [await pg.open_store(postgres_url), await pg.open_store(postgres_url)]
    outcomes: list[str] = []
    try:
        with anyio.fail_after(60):
            async with anyio.create_task_group() as tasks:
                for index, version in enumerate(versions):

                    async def write(store: pg.PostgresStore = replicas[index % 2], raw: Any = version) -> None:
                        outcomes.append(await ingest(store, raw))

                    tasks.start_soon(write)
        stored = await replicas[0].get_by_record(body["sourceRecordId"])
        assert stored is not None
        assert stored.insights.insights.summary[0].value == "Version marker12 agreed."
        assert outcomes.count("inserted") == 1 and "unchanged" not in outcomes
        assert (await replicas[1].search(SearchQuery("marker12"))).total_calls == 1
        for older in range(1, 12):
            assert (await replicas[1].search(SearchQuery(f"marker{older:02d}"))).total_calls == 0
        assert (await replicas[0].status()).calls == 1
    finally:
        for replica in replicas:
            await replica.aclose()


async def test_a_lease_goes_to_exactly_one_of_many_racing_takers(postgres_url: str) -> None:
    stores = [await pg.open_store(postgres_url) for _ in range(2)]
    won: list[str] = []
    try:
        async with anyio.create_task_group() as tasks:
            for index in range(10):

                async def take(holder: str = f"replica-{index}") -> None:
                    if await stores[int(holder[-1]) % 2].acquire_lease("sync", holder, timedelta(minutes=3)):
                        won.append(holder)

                tasks.start_soon(take)
    finally:
        for store in stores:
            await store.aclose()
    assert len(won) == 1


async def test_a_stopped_server_gives_an_actionable_error_and_the_store_recovers_when_it_returns(
    postgres_server: PostgresServer, postgres_url: str, dataset: Dataset
) -> None:
    postgres_server.execute(f"ALTER USER postgres PASSWORD '{PASSWORD}'")
    url = postgres_url.replace("postgres@", f"postgres:{PASSWORD}@")
    store = await pg.open_store(url, pool_timeout=2.0)
    try:
        await ingest(store, sample_bodies(dataset)["partner-call"][0])
        with postgres_server.stopped():
            for attempt in (store.search(SearchQuery("renewal")), store.status()):
                with anyio.fail_after(20), pytest.raises(LibraryUnavailableError) as caught:
                    await attempt
                message = caught.value.message
                assert "not answering" in message and "RINGSENSE_DATABASE_URL" in message
                assert "single call keep working" in message
                assert PASSWORD not in message and "psycopg" not in message.lower()
            with anyio.fail_after(20), pytest.raises(LibraryUnavailableError) as refused:
                await pg.open_store(url, pool_timeout=1.0)
            assert PASSWORD not in refused.value.message and "not answering" in refused.value.message
        with anyio.fail_after(30):  # the pool's next connection attempt comes within seconds
            while True:
                try:
                    page = await store.search(SearchQuery("partner OR renewal OR the"))
                    break
                except LibraryUnavailableError:
                    await anyio.sleep(0.5)
        assert page.total_calls == 1
        assert PASSWORD not in store.location and "127.0.0.1" in store.location
    finally:
        await store.aclose()
        postgres_server.execute("ALTER USER postgres PASSWORD NULL")


@pytest.mark.parametrize(
    ("change", "advice"),
    [
        (lambda url: url.rsplit("/", 1)[0] + "/no_such_db", "the database does not exist"),
        (lambda url: url.replace("postgres@", "nobody@"), "refused the user name or password"),
    ],
    ids=["missing-database", "unknown-user"],
)
async def test_a_wrong_url_says_what_to_fix(postgres_url: str, change: Any, advice: str) -> None:
    with anyio.fail_after(20), pytest.raises(LibraryUnavailableError) as caught:
        await pg.open_store(change(postgres_url), pool_timeout=1.0)
    assert advice in caught.value.message


async def test_the_factory_opens_postgresql_when_given_a_url(postgres_url: str) -> None:
    store = await open_store(database_url=postgres_url)
    try:
        assert isinstance(store, pg.PostgresStore)
    finally:
        await store.aclose()


async def test_a_long_monologue_is_indexed_in_parts_and_a_phrase_across_a_cut_is_found(
    store: Any, dataset: Dataset, backend: str
) -> None:
    """Longer than tsvector's limits (16,383 positions, 256 per word) on PostgreSQL; the same answers on both."""
    body = copy.deepcopy(sample_bodies(dataset)["partner-call"][0])
    filler = ["the"] * (fts.PART_WORDS - fts.PART_OVERLAP - 1)
    speaker = body["speakerInfo"][0]["speakerId"]
    lines = [" ".join(filler), "zebra crossing", " ".join(["the"] * 20_000), "quokka ending"]
    body["insights"]["Transcript"] = [
        {"speakerId": speaker, "text": text, "start": float(i), "end": float(i) + 0.5} for i, text in enumerate(lines)
    ]
    assert await ingest(store, body) == "inserted"
    for query in ('"zebra crossing"', '"the zebra"', '"the quokka ending"', "quok*"):
        assert (await store.search(SearchQuery(query))).total_calls == 1, query
    assert (await store.search(SearchQuery('"crossing zebra"'))).total_calls == 0


def test_a_text_becomes_overlapping_tsvector_parts_of_folded_words() -> None:
    text = " ".join(f"w{i}" for i in range(fts.PART_WORDS + 10)) + " Café"
    parts = fts.tsvector_parts(text)
    assert len(parts) == 2
    assert "'w0':1" in parts[0] and "'cafe'" in parts[1] and "Café" not in parts[1]
    assert f"'w{fts.PART_WORDS - fts.PART_OVERLAP}':1" in parts[1], "the next part starts inside the overlap"
    assert fts.tsvector_parts("'; DROP TABLE calls; --") == ["'drop':1 'table':2 'calls':3"]
    assert fts.tsvector_parts("x" * 3000 + " fine") == ["'fine':1"], "a word over PostgreSQL's limit is left out"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://ringsense:pw@db.internal:5432/calls?sslmode=require",
            "postgresql://ringsense@db.internal:5432/calls",
        ),
        ("postgres://db/calls", "postgres://db/calls"),
        ("postgresql://u:p@[::1]:6543/x", "postgresql://u@[::1]:6543/x"),
    ],
)
def test_a_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert pg.redact_url(url) == shown


async def test_with_postgresql_down_the_library_tools_say_so_and_single_call_tools_keep_working(
    postgres_server: PostgresServer, postgres_url: str, platform: Any, tmp_path: Any
) -> None:
    """The whole server (MCP surface, in memory) with its library in PostgreSQL, and that server stopped."""
    from mcp import Client

    from server.app import build_server
    from server.config import load_settings
    from server.sandboxed import client_for
    from tests.server.conftest import error_text, find_call

    postgres_server.execute(f"ALTER USER postgres PASSWORD '{PASSWORD}'")
    url = postgres_url.replace("postgres@", f"postgres:{PASSWORD}@")
    sandboxed = load_settings({"RINGSENSE_DATA_DIR": str(tmp_path)}, sandbox=True)
    # --sandbox never uses a database URL (sample calls stay out of a team's database): set it here directly.
    # A short wait for a connection: each of the three library reads below waits it out once (5 s by default).
    library = dataclasses.replace(sandboxed.library, database_url=SecretStr(url), pool_timeout=1.0)
    settings = dataclasses.replace(sandboxed, library=library)
    server = build_server(settings, client_factory=lambda: client_for(platform))
    record_id = find_call(platform, "sales-discovery").recordings[0].record_id
    try:
        with postgres_server.stopped(), anyio.fail_after(90):
            async with Client(server) as client:
                search = await client.call_tool("search_calls", {"query": "QuickBooks"})
                insights = await client.call_tool("get_insights_by_record", {"record_id": record_id})
        message = error_text(search)
        assert "PostgreSQL" in message and "not answering" in message and "RINGSENSE_DATABASE_URL" in message
        assert PASSWORD not in message and "psycopg" not in message.lower()
        assert not insights.is_error and insights.structured_content["data_source"] == "sandbox sample data"
    finally:
        postgres_server.execute("ALTER USER postgres PASSWORD NULL")
