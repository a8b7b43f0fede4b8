"""The PostgreSQL library's schema: its own `SCHEMA` (so it can share a database), forward-only migrations, and
`schema_version` with one row per applied migration (docs/library.md)."""

from __future__ import annotations

from typing import Any

import psycopg

from .errors import LibrarySchemaError

__all__ = ["MIGRATIONS", "MIGRATION_LOCK", "SCHEMA", "SCHEMA_VERSION", "migrate"]

SCHEMA = "ringsense"
MIGRATION_LOCK = 0x52494E47  # advisory lock key ("RING") held while migrating

# Forward-only migrations: MIGRATIONS[n] takes the schema from version n to n + 1. Never edit a released one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE calls (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            domain text NOT NULL,
            record_id text NOT NULL,
            session_id text,
            title text NOT NULL,
            started_at timestamptz,
            duration double precision,
            direction text,
            owner_extension_id text,
            owner_name text,
            owner_words text NOT NULL,
            external_number text,
            numbers text NOT NULL,
            speakers text NOT NULL,
            ai_score double precision,
            sentiment text,
            last_modified timestamptz,
            indexed_at timestamptz NOT NULL,
            source text NOT NULL,
            utterances integer NOT NULL,
            transcript_chars integer NOT NULL,
            UNIQUE (domain, record_id)
        )""",
        "CREATE INDEX calls_started ON calls (started_at)",
        "CREATE INDEX calls_session ON calls (domain, session_id)",
        "CREATE INDEX calls_owner ON calls (owner_extension_id, started_at)",
        """CREATE TABLE call_json (
            id bigint PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
            insights bytea NOT NULL
        )""",
        # Already compressed: keep it out of line without PostgreSQL trying to compress it again.
        "ALTER TABLE call_json ALTER COLUMN insights SET STORAGE EXTERNAL",
        """CREATE TABLE call_text (
            call_id bigint NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
            slot smallint NOT NULL,
            part smallint NOT NULL,
            who text[] NOT NULL,
            side text,
            doc tsvector NOT NULL,
            PRIMARY KEY (call_id, slot, part)
        )""",
        "CREATE INDEX call_text_doc ON call_text USING gin (doc)",
        """CREATE TABLE next_steps (
            call_id bigint NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
            position integer NOT NULL,
            text text NOT NULL,
            speaker text,
            speaker_side text,
            start double precision,
            evidence text,
            evidence_speaker text,
            due text,
            due_date date,
            PRIMARY KEY (call_id, position)
        )""",
        """CREATE TABLE recordings (
            domain text NOT NULL,
            record_id text NOT NULL,
            session_id text,
            started_at timestamptz NOT NULL,
            direction text,
            owner_extension_id text,
            external_number text,
            numbers text NOT NULL DEFAULT '',
            state text NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            retry_at timestamptz,
            last_error text,
            PRIMARY KEY (domain, record_id)
        )""",
        "CREATE INDEX recordings_started ON recordings (started_at, state)",
        "CREATE TABLE synced (start_at timestamptz NOT NULL, end_at timestamptz NOT NULL, at timestamptz NOT NULL)",
        "CREATE TABLE state (name text PRIMARY KEY, value text NOT NULL)",
        "CREATE TABLE leases (name text PRIMARY KEY, holder text NOT NULL, expires timestamptz NOT NULL)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


async def migrate(connection: psycopg.AsyncConnection[Any], where: str) -> int:
    """Create the `SCHEMA` schema if missing and apply the migrations it lacks, in one transaction under an
    advisory lock (replicas starting together migrate once); returns the version. Raises LibrarySchemaError for a
    schema written by a newer version, psycopg errors as they come."""
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        exists = await (await connection.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.schema_version",))).fetchone()
        if exists is None or exists[0] is None:
            # Only when missing: CREATE SCHEMA needs a privilege an already set-up user may not have.
            has_schema = await (
                await connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (SCHEMA,))
            ).fetchone()
            if has_schema is None:
                await connection.execute(f"CREATE SCHEMA {SCHEMA}")
            await connection.execute(
                "CREATE TABLE schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)"
            )
        row = await (await connection.execute("SELECT coalesce(max(version), 0) FROM schema_version")).fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise LibrarySchemaError(
                f"The call library in {where} was written by a newer ringsense-mcp (schema {version}, this one "
                f"knows {SCHEMA_VERSION}). Upgrade ringsense-mcp on every server that shares it."
            )
        while version < SCHEMA_VERSION:
            for statement in MIGRATIONS[version]:
                await connection.execute(statement)
            version += 1
            await connection.execute("INSERT INTO schema_version (version, applied_at) VALUES (%s, now())", (version,))
    return version
