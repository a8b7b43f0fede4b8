"""`ringsense-mcp sync` and `ringsense-mcp library status|forget`: the call library from the command line.

Messages go to stderr, results to stdout. A progress bar is drawn only when stderr is a terminal.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import anyio

from server.config import LibrarySettings, Settings
from server.library import LibraryError, LibraryStatus, open_store
from server.library.sync import DEFAULT_LOOKBACK, SyncProgress, SyncSummary, catch_up, sync_range
from server.ringsense import RingSenseError

__all__ = ["forget_library", "parse_day", "run_sync", "show_status"]

MAX_SYNC_DAYS = 400  # RingSense keeps about a year
_OFF = (
    "The call library is off (RINGSENSE_LIBRARY=off). Unset RINGSENSE_LIBRARY or set it to 'on' to keep a local, "
    "searchable copy of your analysed calls."
)


def parse_day(text: str) -> date:
    """A YYYY-MM-DD argument; raises ValueError with a message for the user."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date; use YYYY-MM-DD, e.g. 2026-11-01.") from None


def _range(since: str | None, until: str | None, now: datetime) -> tuple[datetime, datetime] | None:
    """The UTC range to sync (`until` is inclusive), or None for a catch-up. Raises ValueError."""
    if since is None and until is None:
        return None
    end = datetime.combine(parse_day(until), datetime.min.time(), UTC) + timedelta(days=1) if until else now
    start = datetime.combine(parse_day(since), datetime.min.time(), UTC) if since else end - DEFAULT_LOOKBACK
    if start > now:
        raise ValueError("--since is in the future.")
    if start >= end:
        raise ValueError("--since must be before --until.")
    if end - start > timedelta(days=MAX_SYNC_DAYS):
        raise ValueError(f"The range is longer than {MAX_SYNC_DAYS} days; RingSense keeps about a year of insights.")
    return start, min(end, now)


class _Bars:
    """tqdm bars on stderr, one per phase; nothing at all when stderr is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._enabled = stream.isatty()
        self._bars: dict[str, Any] = {}  # tqdm ships no type information

    def __call__(self, update: SyncProgress) -> None:
        if not self._enabled:
            return
        # Imported here: the bar is drawn only on a terminal, so no other path pays for tqdm.
        from tqdm import tqdm  # type: ignore[import-untyped]  # tqdm ships no type information

        bar = self._bars.get(update.phase)
        if bar is None:
            unit = "window" if update.phase == "call log" else "call"
            bar = self._bars[update.phase] = tqdm(
                total=update.total, desc=update.phase, unit=unit, file=self._stream, leave=True
            )
        bar.n = update.done
        bar.refresh()

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()


def _database_url(library: LibrarySettings) -> str | None:
    return library.database_url.get_secret_value() if library.database_url is not None else None


def _location(library: LibrarySettings) -> str:
    """Where the library is, for output: the file, or the database (never its URL: it may hold a password)."""
    return "PostgreSQL (RINGSENSE_DATABASE_URL)" if library.database_url is not None else str(library.path)


def _summary_lines(summary: SyncSummary, library: Path | str) -> list[str]:
    lines = [
        f"Synced {summary.date_from:%Y-%m-%d %H:%M} – {summary.date_to:%Y-%m-%d %H:%M} UTC in {summary.seconds:.0f} s:",
        f"  recordings in the call log  {summary.recordings}",
        f"  indexed                     {summary.indexed}",
        f"  already up to date          {summary.unchanged}",
        f"  pending analysis            {summary.pending}",
        f"  not analysed                {summary.not_analysed}",
        f"  failed                      {summary.failed}",
    ]
    if summary.removed:
        lines.append(f"  removed (gone upstream)     {summary.removed}")
    if summary.stopped:
        lines.append(f"Stopped early: {summary.stopped}. Run `ringsense-mcp sync` again to continue.")
    lines.append(f"Library: {library}")
    return lines


def run_sync(settings: Settings, since: str | None, until: str | None, *, out: TextIO | None = None) -> int:
    """`ringsense-mcp sync`: 0 on success, 1 when the sync failed, 2 for bad arguments, 130 when interrupted."""
    out = out or sys.stdout
    if not settings.library.enabled or settings.library.path is None:
        print(f"ringsense-mcp sync: {_OFF}", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    try:
        wanted = _range(since, until, now)
    except ValueError as error:
        print(f"ringsense-mcp sync: {error}", file=sys.stderr)
        return 2
    path = settings.library.path
    bars = _Bars(sys.stderr)

    async def go() -> SyncSummary:
        # The runtime builds the same client the server uses (sandbox or live); closing it revokes its token.
        from server.runtime import Runtime

        store = await open_store(path, database_url=_database_url(settings.library))
        try:
            async with Runtime(settings).client_factory() as client:
                if wanted is None:
                    return await catch_up(store, client, progress=bars)
                return await sync_range(store, client, *wanted, progress=bars)
        finally:
            await store.aclose()

    try:
        summary = anyio.run(go)
    except KeyboardInterrupt:
        bars.close()
        print(
            "\nInterrupted. Every call indexed so far is kept; run `ringsense-mcp sync` again to continue.",
            file=sys.stderr,
        )
        return 130
    except (LibraryError, RingSenseError) as error:
        bars.close()
        print(f"ringsense-mcp sync: {error.message}", file=sys.stderr)
        return 1
    bars.close()
    print("\n".join(_summary_lines(summary, _location(settings.library))), file=out)
    return 1 if summary.stopped else 0


def _status_lines(status: LibraryStatus) -> list[str]:
    def when(moment: datetime | None) -> str:
        return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "never"

    lines = [
        f"Library:        {status.location} ({status.backend}, schema {status.schema_version})",
        f"Size:           {status.size_bytes / 1_048_576:.1f} MiB",
        f"Calls indexed:  {status.calls}",
        f"Pending:        {status.pending} awaiting analysis, {status.not_analysed} not analysed, "
        f"{status.failed} failed",
        f"Last sync:      {when(status.last_sync)}",
        f"Last event:     {when(status.last_event)}",
    ]
    if status.synced:
        spans = ", ".join(f"{r.start:%Y-%m-%d} – {r.end:%Y-%m-%d}" for r in status.synced)
        lines.append(f"Synced ranges:  {spans}")
    if status.by_month:
        lines.append("By month:       month    recorded  indexed  pending")
        lines += [
            f"                {m.month}  {m.recorded:>8}  {m.indexed:>7}  {m.pending:>7}" for m in status.by_month
        ]
    lines.append("This is a local copy of call content. Delete it with `ringsense-mcp library forget`.")
    return lines


def show_status(library: LibrarySettings, *, out: TextIO | None = None) -> int:
    """`ringsense-mcp library status`."""
    out = out or sys.stdout
    if not library.enabled or library.path is None:
        print(_OFF, file=out)
        return 0
    path = library.path
    if library.database_url is None and not path.exists():
        print(f"No call library yet at {path}. Build one with `ringsense-mcp sync`.", file=out)
        return 0

    async def go() -> LibraryStatus:
        store = await open_store(path, database_url=_database_url(library))
        try:
            return await store.status()
        finally:
            await store.aclose()

    try:
        status = anyio.run(go)
    except LibraryError as error:
        print(f"ringsense-mcp library status: {error.message}", file=sys.stderr)
        return 1
    print("\n".join(_status_lines(status)), file=out)
    return 0


def _files(path: Path) -> list[Path]:
    return [p for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")) if p.exists()]


def forget_library(
    library: LibrarySettings, *, yes: bool, out: TextIO | None = None, answer: TextIO | None = None
) -> int:
    """`ringsense-mcp library forget`: delete the local copy (asks first unless `yes`)."""
    out, answer = out or sys.stdout, answer or sys.stdin
    if library.path is None:
        print("The call library is off; there is no local copy to delete.", file=out)
        return 0
    if library.database_url is not None:
        return _forget_database(library.database_url.get_secret_value(), yes=yes, out=out)
    files = _files(library.path)
    if not files:
        print(f"There is no call library at {library.path}; nothing to delete.", file=out)
        return 0
    if not yes:
        if not answer.isatty():
            print(f"ringsense-mcp library forget: this deletes {library.path}. Confirm with --yes.", file=sys.stderr)
            return 2
        print(f"Delete the local call library at {library.path}? Stop running servers first. [y/N] ", end="", file=out)
        out.flush()
        if answer.readline().strip().lower() not in ("y", "yes"):
            print("Nothing deleted.", file=out)
            return 1
    for file in files:
        file.unlink(missing_ok=True)
    print(f"Deleted the call library at {library.path}.", file=out)
    return 0


def _forget_database(url: str, *, yes: bool, out: TextIO) -> int:
    """`library forget` with RINGSENSE_DATABASE_URL: drop the library's schema, for every server sharing it."""
    from server.library.postgres import SCHEMA, drop_library

    what = f"the call library (schema `{SCHEMA}`) in the PostgreSQL database of RINGSENSE_DATABASE_URL"
    if not yes:
        print(f"ringsense-mcp library forget: this deletes {what}, for every server that shares it. Confirm with "
              "--yes.", file=sys.stderr)  # fmt: skip
        return 2
    try:
        anyio.run(drop_library, url)
    except LibraryError as error:
        print(f"ringsense-mcp library forget: {error.message}", file=sys.stderr)
        return 1
    print(f"Deleted {what}.", file=out)
    return 0
