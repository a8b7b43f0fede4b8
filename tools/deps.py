"""What every tool needs: the client, whether it is talking to the sandbox, and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from server.ringsense import RingSenseClient

from .models import DataSource


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    client: RingSenseClient
    sandbox: bool = False
    now: Callable[[], datetime] = field(default=_utc_now)

    @property
    def data_source(self) -> DataSource:
        return "sandbox sample data" if self.sandbox else "RingCentral"
