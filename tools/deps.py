"""What every tool needs: where calls come from, and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .models import DataSource
from .source import CallSource

if TYPE_CHECKING:
    from .library import LibraryAccess


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    """The tools' one argument besides their own: `source` serves calls, `now` is the wall clock (UTC), `library`
    is the call library the cross-call tools query (None when it is turned off)."""

    source: CallSource
    now: Callable[[], datetime] = field(default=_utc_now)
    library: LibraryAccess | None = None

    @property
    def data_source(self) -> DataSource:
        """What the client serves: "RingCentral", or "sandbox sample data" in sandbox mode."""
        return self.source.data_source
