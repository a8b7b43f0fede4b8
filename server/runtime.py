"""What the MCP handlers share: the one RingSense client, opened and closed with the server's lifespan."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from server.config import Settings
from server.ringsense import JWTCredentials, RingSenseClient
from tools.deps import Deps
from tools.errors import ToolFailure

if TYPE_CHECKING:
    from server.sandbox import SandboxPlatform
    from server.sandbox.samples import SandboxUser

__version__ = "0.1.0"
SANDBOX_URL = "https://platform.sandbox.ringsense.invalid"
RECENT_IDS_TTL = 60.0
RECENT_DAYS = 30


class Runtime:
    """Owns the client for the server's lifetime; handlers reach it through `deps`."""

    def __init__(
        self,
        settings: Settings,
        *,
        platform: SandboxPlatform | None = None,
        sandbox_user: SandboxUser | None = None,
        client_factory: Callable[[], RingSenseClient] | None = None,
    ) -> None:
        self.settings = settings
        self.platform = platform
        self.sandbox_user = sandbox_user
        self.client_factory = client_factory
        self._deps: Deps | None = None
        self._recent: tuple[float, dict[str, list[str]]] | None = None

    @property
    def deps(self) -> Deps:
        if self._deps is None:
            raise ToolFailure("The server is not connected to RingCentral yet; try again in a moment.")
        return self._deps

    def _client(self) -> RingSenseClient:
        if self.client_factory is not None:
            return self.client_factory()
        if not self.settings.sandbox:
            return RingSenseClient(server_url=self.settings.server_url, credentials=self.settings.credentials)
        # Lazy import: the sandbox (and its sample data) is only needed in sandbox mode, and stdio start-up is
        # measured in milliseconds that Claude Desktop users wait for.
        from server.sandbox import (
            SANDBOX_CLIENT_ID,
            SANDBOX_CLIENT_SECRET,
            SandboxPlatform,
            create_sandbox_app,
        )

        if self.platform is None:
            self.platform = SandboxPlatform()
        transport = httpx.ASGITransport(app=create_sandbox_app(self.platform))
        http = httpx.AsyncClient(transport=transport, base_url=SANDBOX_URL)
        user = self.sandbox_user or self.platform.users[0]
        credentials = JWTCredentials(client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET, jwt=user.jwt)
        return RingSenseClient(server_url=SANDBOX_URL, credentials=credentials, http_client=http)

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Runtime]:
        async with self._client() as client:
            self._deps = Deps(client=client, sandbox=self.settings.sandbox)
            try:
                yield self
            finally:
                self._deps = None

    def status(self) -> dict[str, Any]:
        deps = self._deps
        return {
            "server": "ringsense-mcp",
            "version": __version__,
            "mode": "sandbox" if self.settings.sandbox else "live",
            "data": deps.data_source if deps else ("sandbox sample data" if self.settings.sandbox else "RingCentral"),
            "auth": "sandbox JWT" if self.settings.sandbox else self.settings.auth_mode,
            "server_url": "embedded sandbox (in-process)" if self.settings.sandbox else self.settings.server_url,
            "connected": deps is not None,
            "rate_limits": deps.client.rate_limit_status() if deps else None,
        }

    async def recent_ids(self) -> dict[str, list[str]]:
        """Record and session ids of recently recorded calls, newest first (cached briefly for completions)."""
        now = time.monotonic()
        if self._recent and now - self._recent[0] < RECENT_IDS_TTL:
            return self._recent[1]
        end = datetime.now(UTC)
        page = await self.deps.client.list_call_log(
            date_from=end - timedelta(days=RECENT_DAYS), date_to=end, per_page=100, page=1
        )
        records: dict[str, None] = {}
        sessions: dict[str, None] = {}
        for call in page.records:
            for recording in call.recordings:
                records.setdefault(recording.id, None)
            if call.recordings and call.telephony_session_id:
                sessions.setdefault(call.telephony_session_id, None)
        recent = {"record_id": list(records), "session_id": list(sessions)}
        self._recent = (now, recent)
        return recent
