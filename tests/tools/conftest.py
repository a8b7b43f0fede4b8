"""Tools at their own level: plain async functions over a real RingSense client talking to the sandbox (ASGI)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from pydantic import SecretStr

from server.config import LibrarySettings
from server.library_service import LibraryService
from server.ringsense.models import InsightType, RecordingInsights, SessionInsights
from server.sandbox import SandboxPlatform
from server.sandbox.samples import SampleCall
from server.sandboxed import client_for
from tests.postgres_server import fresh_database
from tools.deps import Deps
from tools.library import LibraryCalls
from tools.models import DataSource
from tools.source import CallSource


@pytest.fixture
def platform() -> SandboxPlatform:
    return SandboxPlatform()


@pytest.fixture
async def deps(platform: SandboxPlatform) -> AsyncIterator[Deps]:
    async with client_for(platform) as client:
        yield Deps(source=CallSource(client, data_source="sandbox sample data"))


def sample(platform: SandboxPlatform, key: str) -> SampleCall:
    return next(call for call in platform.dataset.calls if call.key == key)


def insights_requests(platform: SandboxPlatform) -> list[str]:
    """`path?query` of every insights request the sandbox received."""
    return [f"{r.path}?{r.query}" for r in platform.requests if r.path.endswith("/insights")]


class Held:
    """A local provider (`tools.source.LocalCalls`) holding recordings and sessions by id, counting lookups."""

    def __init__(
        self,
        recordings: dict[str, RecordingInsights] | None = None,
        sessions: dict[str, SessionInsights] | None = None,
        data_source: DataSource = "RingCentral",
    ) -> None:
        self.recordings = recordings or {}
        self.sessions = sessions or {}
        self.data_source: DataSource = data_source
        self.asked: list[tuple[str, str, tuple[InsightType, ...] | None]] = []

    async def recording(
        self, record_id: str, domain: str, insight_types: Sequence[InsightType] | None
    ) -> RecordingInsights | None:
        self.asked.append((record_id, domain, tuple(insight_types) if insight_types is not None else None))
        return self.recordings.get(record_id)

    async def session(
        self, session_id: str, domain: str, insight_types: Sequence[InsightType] | None
    ) -> SessionInsights | None:
        self.asked.append((session_id, domain, tuple(insight_types) if insight_types is not None else None))
        return self.sessions.get(session_id)


@pytest.fixture(params=("sqlite", "postgres"))
async def library(
    platform: SandboxPlatform, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[LibraryService]:
    """The server's call library, built by the real sync from the sandbox (no background sync: the tests decide
    when syncs run), on each backend: a file under tmp_path, and a fresh database of a real PostgreSQL server."""
    url = SecretStr(fresh_database(request, "postgres_template")) if request.param == "postgres" else None
    service = LibraryService(LibrarySettings(enabled=True, directory=tmp_path, database_url=url))
    async with client_for(platform) as client, service.running(client, background=False):
        summary = await service.sync_now(client)
        assert summary is not None and summary.stopped is None
        yield service


@pytest.fixture
async def library_deps(platform: SandboxPlatform, library: LibraryService) -> AsyncIterator[Deps]:
    """Deps as the server builds them with the library on: the library first, then the sandbox. The sandbox's
    request log starts empty (the sync's requests are cleared)."""
    async with client_for(platform) as client:
        source = CallSource(client, data_source="sandbox sample data", local=LibraryCalls(library))
        platform.clear_requests()
        yield Deps(source=source, library=library)


def library_calls(platform: SandboxPlatform) -> list[SampleCall]:
    """The sample calls a sync indexes: phone calls in the call log whose insights are ready."""
    return [
        call
        for call in platform.dataset.calls
        if call.call_log and call.domain == "pbx" and call.recordings and all(r.insights for r in call.recordings)
    ]
