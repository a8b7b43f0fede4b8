"""A throwaway PostgreSQL server on loopback, for the library tests and the bench (`bench library --backend postgres`).

```python
with PostgresServer.start() as server:          # initdb into a temp dir, pg_ctl start on a free 127.0.0.1 port
    url = server.create_database("t1")          # postgresql://postgres@127.0.0.1:PORT/t1
    with server.stopped():                      # the server is down inside the block, back up after it
        ...
```

The binaries come from `RINGSENSE_PG_BINDIR`, else the newest `/usr/lib/postgresql/*/bin` (Debian's layout), else
the directory of `pg_ctl` on PATH. `initdb` refuses to run as root, so as root the cluster belongs to the
`postgres` user that Debian's package creates, in a temp dir that user owns. fsync is off: the data is thrown away.
When the binaries are missing, `PostgresUnavailable` says how to install them.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import psycopg
import pytest

__all__ = ["INSTALL_HINT", "PostgresServer", "PostgresUnavailable", "find_bindir"]

INSTALL_HINT = (
    "PostgreSQL's server binaries (initdb, pg_ctl, postgres) were not found. Install them with "
    "`apt-get install -y postgresql` (Debian/Ubuntu; .ci/run does this), or point RINGSENSE_PG_BINDIR at the "
    "directory that holds them."
)
START_TIMEOUT = 30  # seconds pg_ctl waits for the server to accept connections
PORT_ATTEMPTS = 3
_TOOLS = ("initdb", "pg_ctl", "postgres")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries, or the throwaway server would not start; the message says what to do."""


def find_bindir() -> Path:
    """The directory holding initdb, pg_ctl and postgres; raises PostgresUnavailable with INSTALL_HINT."""
    candidates: list[Path] = []
    if configured := os.environ.get("RINGSENSE_PG_BINDIR"):
        candidates.append(Path(configured))
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += versions
    if found := shutil.which("pg_ctl"):
        candidates.append(Path(found).resolve().parent)
    for directory in candidates:
        if all((directory / tool).is_file() for tool in _TOOLS):
            return directory
    raise PostgresUnavailable(INSTALL_HINT)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A running throwaway cluster. `url(db)` is its connection URL; `stop()` ends it and deletes its files."""

    bindir: Path
    root: Path
    port: int
    owner: pwd.struct_passwd | None  # who runs it (None: the current, unprivileged user)
    _admin: psycopg.Connection[Any] | None = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        ids = {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []} if self.owner else {}
        return subprocess.run(  # noqa: S603 - fixed binaries, arguments built here
            args, capture_output=True, text=True, check=check, cwd=self.root, timeout=120, **ids
        )

    @classmethod
    def start(cls, *, in_memory: bool = True) -> PostgresServer:
        """initdb and start a cluster; raises PostgresUnavailable (missing binaries, no `postgres` user as root,
        a server that would not start — with its log's tail).

        `in_memory` puts the cluster on /dev/shm when there is one: CREATE DATABASE there takes a tenth of the time
        it takes on a shared VM's disk, which is what lets every test have a database of its own. The bench passes
        False, so its numbers are for a database on disk, like SQLite's."""
        bindir = find_bindir()
        owner = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "initdb refuses to run as root and there is no `postgres` user to run it as. " + INSTALL_HINT
                ) from None
        # In a system temp dir, not pytest's 0700 one: the `postgres` user must be able to reach it.
        shm = Path("/dev/shm")
        parent = shm if in_memory and shm.is_dir() and os.access(shm, os.W_OK) else None
        root = Path(tempfile.mkdtemp(prefix="ringsense-pg-", dir=parent))
        if owner is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        server = cls(bindir, root, _free_port(), owner)
        try:
            server._run(
                str(bindir / "initdb"), "-D", str(server.data), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--locale=C", "--no-sync",
            )  # fmt: skip
            for attempt in range(PORT_ATTEMPTS):  # another process may take the free port first
                try:
                    server._start()
                    break
                except subprocess.CalledProcessError:
                    if attempt == PORT_ATTEMPTS - 1:
                        raise
                    server.port = _free_port()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
            log = server._log_tail()
            server.stop()
            detail = getattr(error, "stderr", "") or ""
            raise PostgresUnavailable(f"The test PostgreSQL server did not start: {detail.strip()}\n{log}") from None
        return server

    def _start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w",
            "-t", str(START_TIMEOUT), "-o", options, "start",
        )  # fmt: skip

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return "\n".join((self.root / "log").read_text(errors="replace").splitlines()[-10:])
        return ""

    def execute(self, sql: str) -> None:
        """Run one statement on the maintenance database (autocommit, so CREATE DATABASE works)."""
        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(self.url(), autocommit=True)
        self._admin.execute(sql.encode())

    def create_database(self, name: str, template: str = "template0") -> str:
        """CREATE DATABASE `name` as a copy of `template`; returns its URL."""
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """The server is down inside the block (a fast shutdown, as an operator would do) and back up after it."""
        if self._admin is not None:
            self._admin.close()
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        try:
            yield
        finally:
            self._start()

    def stop(self) -> None:
        """Stop the server (immediately: the data is thrown away) and delete its files."""
        if self._admin is not None:
            self._admin.close()
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


_database_numbers = itertools.count(1)


def run_in_own_loop(work: Callable[[], Awaitable[None]]) -> None:
    """Run async set-up from a sync fixture, which may be set up while a test's event loop is running."""
    with ThreadPoolExecutor(1) as thread:
        thread.submit(anyio.run, work).result()


def fresh_database(request: pytest.FixtureRequest, template_fixture: str) -> str:
    """A new database of the session's `postgres_server`, copied from the database the session fixture
    `template_fixture` names, dropped when the test ends; returns its URL."""
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template: str = request.getfixturevalue(template_fixture)
    name = f"t{next(_database_numbers)}"
    url = server.create_database(name, template=template)
    request.addfinalizer(lambda: server.drop_database(name))
    return url


@contextlib.contextmanager
def started_or_fail() -> Iterator[PostgresServer]:
    """A throwaway server, stopped on exit. Missing binaries fail the test (not skip it), saying how to install them."""
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        server.stop()
