from collections.abc import Iterator
from pathlib import Path

import pytest

from server.library import postgres
from tests.postgres_server import PostgresServer, run_in_own_loop, started_or_fail
from tests.redis_server import RedisServer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the session; tests keep apart by key namespace (use `private_redis` to stop it)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the session (binaries missing: every PostgreSQL test fails, saying how to
    install them). Tests keep apart by database: `tests.postgres_server.fresh_database`."""
    with started_or_fail() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """A database the call library's migrations have run in; each test's database is a copy of it."""
    url = postgres_server.create_database("library_template")

    async def migrate() -> None:
        await (await postgres.open_store(url)).aclose()

    run_in_own_loop(migrate)
    return "library_template"


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, which the test may stop and start again."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def private_data_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The per-user data directory (platformdirs honours XDG_DATA_HOME) of every in-process server is the test's
    own: no test writes a call library into the real home directory, or reads another test's."""
    home = tmp_path_factory.mktemp("xdg-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home
