"""Connections to the PostgreSQL library: the driver settings every connection gets, the direct connections
outside the pool (`drop_library`, diagnosing a pool that cannot connect), and the one mapping from a driver error
to the user's message (what is wrong, what to do; never the driver's text or the password).

The pool itself is made by `server.library.postgres.open_store`, which uses these pieces.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import psycopg
import psycopg.errors
from psycopg.abc import Buffer
from psycopg.types.string import StrDumperUnknown
from psycopg_pool import PoolTimeout

from .errors import LibraryUnavailableError
from .postgres_schema import SCHEMA

__all__ = [
    "CONNECT_TIMEOUT",
    "RETRYABLE",
    "STATEMENT_TIMEOUT_MS",
    "Connection",
    "configure",
    "connect_error",
    "drop_library",
    "redact_url",
    "unavailable",
]

CONNECT_TIMEOUT = 5  # seconds libpq waits for the server (whole seconds, at least 2)
STATEMENT_TIMEOUT_MS = 30_000  # no query of the library takes near this; a runaway one is stopped

Connection = psycopg.AsyncConnection[Any]


def redact_url(url: str) -> str:
    """The URL without its password or query, for status output and messages: `postgresql://user@host:5432/db`."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "postgresql://(unparseable URL)"
    user = f"{parts.username}@" if parts.username else ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


# --- errors ----------------------------------------------------------------------------------------------------

RETRYABLE = (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)


def unavailable(error: BaseException, where: str) -> LibraryUnavailableError:
    """The user's message for a driver error: what is wrong and what to do, never the driver's own text."""
    return LibraryUnavailableError(
        f"The call library's PostgreSQL database at {where} is unavailable: {_reason(error)}."
    )


def _reason(error: BaseException) -> str:
    # A failed connection has no SQLSTATE: libpq's text is read here to tell the cases apart (never shown).
    failure = str(error).lower() if isinstance(error, psycopg.OperationalError) and error.sqlstate is None else ""
    if isinstance(error, psycopg.errors.InvalidCatalogName) or ("database" in failure and "does not exist" in failure):
        return "the database does not exist. Create it (createdb), or fix the database name in RINGSENSE_DATABASE_URL"
    if isinstance(error, psycopg.errors.InvalidAuthorizationSpecification | psycopg.errors.InvalidPassword) or any(
        sign in failure for sign in ("password", "role", "authentication", "pg_hba")
    ):
        return "it refused the user name or password. Check the credentials in RINGSENSE_DATABASE_URL"
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return (
            f"the database user may not create or use the `{SCHEMA}` schema. Grant it CREATE on the database, or "
            f"create the schema `{SCHEMA}` owned by that user"
        )
    if isinstance(error, psycopg.errors.QueryCanceled):
        return "a query took longer than the library allows. Try a narrower date range or a more specific search"
    if isinstance(error, psycopg.errors.DiskFull | psycopg.errors.ReadOnlySqlTransaction):
        return "it cannot write (the disk is full, or this is a read-only replica)"
    if isinstance(error, PoolTimeout | psycopg.OperationalError):
        return (
            "it is not answering. Check that PostgreSQL is running and reachable and that RINGSENSE_DATABASE_URL "
            "is right; tools about a single call keep working meanwhile"
        )
    return f"it could not answer ({type(error).__name__}). If it persists, check the PostgreSQL server's log"


# --- connections -----------------------------------------------------------------------------------------------


class _NulFreeStrDumper(StrDumperUnknown):
    """Strings without NUL characters, which PostgreSQL text cannot hold (SQLite can): hostile call content may
    carry them. The stored call keeps them (its JSON is bytes); the listed columns and filters drop them."""

    def dump(self, obj: str) -> Buffer | None:
        return super().dump(obj.replace("\x00", "") if "\x00" in obj else obj)


async def configure(connection: psycopg.AsyncConnection[Any]) -> None:
    connection.adapters.register_dumper(str, _NulFreeStrDumper)
    # The library's schema first; UTC so times come back as the SQLite backend gives them.
    await connection.execute(
        "SELECT set_config('search_path', %s, false), set_config('TimeZone', 'UTC', false), "
        "set_config('statement_timeout', %s, false)",
        (f"{SCHEMA}, public", str(STATEMENT_TIMEOUT_MS)),
    )


async def drop_library(url: str) -> None:
    """Delete the library's schema and everything in it (`ringsense-mcp library forget`). Servers still running
    recreate it empty on their next start. Raises LibraryUnavailableError like `open_store`."""
    try:
        async with await psycopg.AsyncConnection.connect(url, connect_timeout=CONNECT_TIMEOUT) as connection:
            await connection.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    except psycopg.Error as error:
        raise unavailable(error, redact_url(url)) from None


async def connect_error(url: str) -> BaseException:
    """Why the pool could not connect (it only says "timed out"): one direct attempt tells refused credentials
    or a missing database from a server that is down."""
    try:
        connection = await psycopg.AsyncConnection.connect(url, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.Error as error:
        return error
    await connection.close()
    return PoolTimeout()
