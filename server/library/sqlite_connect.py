"""Connections to the SQLite library: the file created private, the per-connection settings (busy timeout, WAL,
foreign keys, the `name_words` function), and the writer/reader pair a store works with, opened and migrated.

`server.library.sqlite.open_store` opens the pair in a worker thread and hands it to the `SqliteStore`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import anyio

from . import queries
from .errors import LibrarySchemaError, LibraryUnavailableError
from .sqlite_schema import migrate

__all__ = ["BUSY_TIMEOUT_MS", "SqliteConnection", "busy", "open_sync"]

BUSY_TIMEOUT_MS = 5_000  # SQLite's own wait for a lock, per statement


def busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


class SqliteConnection:
    """One sqlite3 connection used from worker threads, one statement batch at a time."""

    def __init__(self, path: Path) -> None:
        self.lock = threading.Lock()
        self.limiter = anyio.CapacityLimiter(1)
        self.db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable across a process crash
        # The owner filter compares folded name words, as PostgreSQL's `owner_words` column holds them: SQLite's
        # lower() folds ASCII only, so "jose" would miss José.
        self.db.create_function("name_words", 1, queries.spaced_name_words, deterministic=True)

    def close(self) -> None:
        with self.lock:
            self.db.close()


def _create_private(path: Path) -> None:
    """Create the directory (0700) and the database file (0600) before SQLite does, so no one else can read it.
    SQLite creates the -wal and -shm files with the database file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def open_sync(path: Path) -> tuple[SqliteConnection, SqliteConnection]:
    _create_private(path)
    try:
        writer = SqliteConnection(path)
        if writer.db.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise LibraryUnavailableError(f"The call library at {path} cannot use write-ahead logging.")
        migrate(writer.db, path)
        reader = SqliteConnection(path)
    except sqlite3.DatabaseError as error:
        if isinstance(error, sqlite3.OperationalError) and busy(error):
            raise LibraryUnavailableError(
                "The call library is busy (another ringsense-mcp is writing to it); try again in a moment."
            ) from None
        raise LibrarySchemaError(
            f"{path} is not a ringsense-mcp call library (or it is damaged). Move it away, or delete it with "
            "`ringsense-mcp library forget`."
        ) from None
    return writer, reader
