"""The SQLite library's schema: forward-only migrations, versioned by `PRAGMA user_version` (docs/library.md)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .errors import LibrarySchemaError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

# Forward-only migrations: MIGRATIONS[n] takes a database from user_version n to n + 1. Never edit a released one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            domain TEXT NOT NULL,
            record_id TEXT NOT NULL,
            session_id TEXT,
            title TEXT NOT NULL,
            started_at INTEGER,
            duration REAL,
            direction TEXT,
            owner_extension_id TEXT,
            owner_name TEXT,
            external_number TEXT,
            numbers TEXT NOT NULL,
            speakers TEXT NOT NULL,
            ai_score REAL,
            sentiment TEXT,
            last_modified TEXT,
            indexed_at INTEGER NOT NULL,
            source TEXT NOT NULL,
            utterances INTEGER NOT NULL,
            transcript_chars INTEGER NOT NULL,
            UNIQUE (domain, record_id)
        )""",
        """CREATE TABLE call_json (
            id INTEGER PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
            insights BLOB NOT NULL
        )""",
        "CREATE INDEX calls_started ON calls (started_at)",
        "CREATE INDEX calls_session ON calls (domain, session_id)",
        # No stored text: the index only (contentless). Snippets come from the compressed JSON.
        """CREATE VIRTUAL TABLE call_text USING fts5 (
            text, who, side, content='', tokenize='unicode61 remove_diacritics 2'
        )""",
        # Rank by the text only: `who` and `side` are filters, not evidence of relevance.
        "INSERT INTO call_text (call_text, rank) VALUES ('rank', 'bm25(1.0, 0.0, 0.0)')",
        """CREATE TABLE next_steps (
            call_id INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            text TEXT NOT NULL,
            speaker TEXT,
            speaker_side TEXT,
            start REAL,
            evidence TEXT,
            evidence_speaker TEXT,
            due TEXT,
            due_date TEXT,
            PRIMARY KEY (call_id, position)
        ) WITHOUT ROWID""",
        """CREATE TABLE recordings (
            domain TEXT NOT NULL,
            record_id TEXT NOT NULL,
            session_id TEXT,
            started_at INTEGER NOT NULL,
            direction TEXT,
            owner_extension_id TEXT,
            external_number TEXT,
            numbers TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            retry_at INTEGER,
            last_error TEXT,
            PRIMARY KEY (domain, record_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX recordings_started ON recordings (started_at, state)",  # covers coverage counts
        "CREATE TABLE synced (start INTEGER NOT NULL, end INTEGER NOT NULL, at INTEGER NOT NULL)",
        "CREATE TABLE state (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    ),
    # 2: leases, so that two servers sharing the file do not sync at once (each paces only itself), and an
    # index for the per-owner queries of next steps and stats.
    (
        "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID",
        "CREATE INDEX calls_owner ON calls (owner_extension_id, started_at)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, where: Path) -> int:
    """Bring the database on `db` (in autocommit mode) to SCHEMA_VERSION, each step in one immediate transaction
    (another process may be migrating it at once); returns the version. Raises LibrarySchemaError for a file
    written by a newer version."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise LibrarySchemaError(
            f"The call library at {where} was written by a newer ringsense-mcp (schema {version}, this one knows "
            f"{SCHEMA_VERSION}). Upgrade ringsense-mcp, or delete the library with `ringsense-mcp library forget`."
        )
    while version < SCHEMA_VERSION:
        db.execute("BEGIN IMMEDIATE")
        try:
            current = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated it
            if current != version:
                db.execute("ROLLBACK")
                version = current
                continue
            for statement in MIGRATIONS[version]:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        version += 1
    return version
