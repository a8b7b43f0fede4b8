"""The call library: every analysed call in a local, searchable store (no MCP imports; never imports tools).

```python
store = await open_store(settings.library.path)       # SQLite; open_store(database_url=...) for PostgreSQL
page = await store.search(SearchQuery("refund OR \\"price increase\\" -voicemail", CallFilters(direction="Inbound")))
summary = await sync_range(store, client, date_from, date_to, progress=print)   # backfill through the client
```

`store.py` is the interface every backend implements, `sqlite.py` holds all the SQLite SQL, `postgres.py` all the
PostgreSQL SQL, `query.py` the user query language, `ingest.py` turns `RecordingInsights` into rows (`batches.py`
many at a time), `sync.py` walks the call log.
"""

from __future__ import annotations

from pathlib import Path

from .errors import LibraryError, LibraryQueryError, LibrarySchemaError, LibraryUnavailableError, LibraryWriteError
from .store import (
    CallFilters,
    CallRef,
    Coverage,
    DateRange,
    LibraryReader,
    LibraryStatus,
    LibraryStore,
    LibraryWriter,
    MonthCoverage,
    NextStep,
    NextStepGroup,
    NextStepsQuery,
    NextStepsResult,
    SearchHit,
    SearchPage,
    SearchQuery,
    Snippet,
    StatsQuery,
    StatsResult,
    StatsRow,
    StoredCall,
    Trend,
)


async def open_store(
    path: Path | None = None, *, database_url: str | None = None, pool_timeout: float | None = None
) -> LibraryStore:
    """Open the library: in PostgreSQL when `database_url` is given (see `postgres.open_store`; `pool_timeout`,
    when given, is its wait for a connection), else the SQLite file at `path` (see `sqlite.open_store`), creating
    and migrating it as needed.

    Raises LibraryUnavailableError (cannot reach or open it), LibrarySchemaError (written by a newer version).
    """
    # Imported on first use: the drivers, zlib and the ingest code stay out of the server's cold start.
    if database_url is not None:
        from .postgres import open_store as open_postgres

        if pool_timeout is not None:
            return await open_postgres(database_url, pool_timeout=pool_timeout)
        return await open_postgres(database_url)
    if path is None:
        raise LibraryUnavailableError("The call library has no location: give a file path or a database URL.")
    from .sqlite import open_store as open_sqlite

    return await open_sqlite(path)


__all__ = [
    "CallFilters",
    "CallRef",
    "Coverage",
    "DateRange",
    "LibraryError",
    "LibraryQueryError",
    "LibraryReader",
    "LibrarySchemaError",
    "LibraryStatus",
    "LibraryStore",
    "LibraryUnavailableError",
    "LibraryWriteError",
    "LibraryWriter",
    "MonthCoverage",
    "NextStep",
    "NextStepGroup",
    "NextStepsQuery",
    "NextStepsResult",
    "SearchHit",
    "SearchPage",
    "SearchQuery",
    "Snippet",
    "StatsQuery",
    "StatsResult",
    "StatsRow",
    "StoredCall",
    "Trend",
    "open_store",
]
