"""The call library: every analysed call in a local, searchable store (no MCP imports; never imports tools).

```python
store = await open_store(settings.library.path)       # SQLite; PostgreSQL later, behind the same interface
page = await store.search(SearchQuery("refund OR \\"price increase\\" -voicemail", CallFilters(direction="Inbound")))
summary = await sync_range(store, client, date_from, date_to, progress=print)   # backfill through the client
```

`store.py` is the interface every backend implements, `sqlite.py` holds all the SQLite SQL, `query.py` the user
query language, `ingest.py` turns `RecordingInsights` into rows, `sync.py` walks the call log.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import LibraryError, LibraryQueryError, LibrarySchemaError, LibraryUnavailableError
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

if TYPE_CHECKING:
    from .sqlite import SqliteStore


async def open_store(path: Path) -> SqliteStore:
    """Open the SQLite library at `path`, creating and migrating it as needed (see `sqlite.open_store`)."""
    # Imported on first use: sqlite3, zlib and the ingest code stay out of the server's cold start.
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
