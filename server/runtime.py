"""What the MCP handlers share: the one RingSense client, opened and closed with the server's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from server import __version__
from server.config import ConfigurationError, Settings
from server.ringsense import RingSenseClient
from tools.deps import Deps
from tools.errors import ToolFailure
from tools.models import DataSource
from tools.source import CallSource, LocalCalls

ClientFactory = Callable[[], RingSenseClient]


class Runtime:
    """Owns the client for the server's lifetime; handlers reach calls through `deps`.

    `client_factory` makes the one client (default: from `settings`: RingCentral in live mode, a fresh embedded
    sandbox in sandbox mode). `local`, when given, is consulted before the client for insights (see
    `tools.source.CallSource`).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        client_factory: ClientFactory | None = None,
        local: LocalCalls | None = None,
    ) -> None:
        self.settings = settings
        self.client_factory: ClientFactory = client_factory or self._default_client
        self.local = local
        self.data_source: DataSource = "sandbox sample data" if settings.sandbox else "RingCentral"
        self._client: RingSenseClient | None = None
        self._deps: Deps | None = None

    @property
    def deps(self) -> Deps:
        """What the tools take; raises ToolFailure outside the server's lifespan."""
        if self._deps is None:
            raise ToolFailure("The server is not connected to RingCentral yet; try again in a moment.")
        return self._deps

    def _default_client(self) -> RingSenseClient:
        if not self.settings.sandbox:
            if self.settings.credentials is None:  # load_settings refuses this; a hand-built Settings may not
                raise ConfigurationError("No RingCentral credentials are configured (or use --sandbox).")
            return RingSenseClient(server_url=self.settings.server_url, credentials=self.settings.credentials)
        # Lazy import: the sandbox (and its sample data) is only needed in sandbox mode, and stdio start-up is
        # measured in milliseconds that Claude Desktop users wait for.
        from server.sandboxed import client_for

        return client_for()

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Runtime]:
        async with self.client_factory() as client:
            self._client = client
            self._deps = Deps(source=CallSource(client, data_source=self.data_source, local=self.local))
            try:
                yield self
            finally:
                self._deps = None
                self._client = None

    def status(self) -> dict[str, Any]:
        client = self._client
        return {
            "server": "ringsense-mcp",
            "version": __version__,
            "mode": "sandbox" if self.settings.sandbox else "live",
            "data": self.data_source,
            "auth": "sandbox JWT" if self.settings.sandbox else self.settings.auth_mode,
            "server_url": "embedded sandbox (in-process)" if self.settings.sandbox else self.settings.server_url,
            "connected": client is not None,
            "rate_limits": client.rate_limit_status() if client else None,
        }
