"""What the MCP handlers share: the one RingSense client, opened and closed with the server's lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any

from server import __version__
from server.config import ConfigurationError, Settings
from server.ringsense import RingSenseClient
from tools.deps import Deps
from tools.errors import ToolFailure
from tools.library import LibraryCalls
from tools.models import DataSource
from tools.source import CallSource, LocalCalls

from .library_service import LibraryService
from .live_events import LiveInsights, live_feed

if TYPE_CHECKING:
    from server.ringsense.shared import SharedState

ClientFactory = Callable[[], RingSenseClient]
# Serves a sandbox's WebSocket gateway on loopback for as long as it is entered (`server.sandboxed.gateway_for`).
GatewayFactory = Callable[[], AbstractAsyncContextManager[object]]
_log = logging.getLogger("server")


class Runtime:
    """Owns the client (and the call library) for the server's lifetime; handlers reach calls through `deps`.

    `client_factory` makes the one client (default: from `settings`: RingCentral in live mode, a fresh embedded
    sandbox in sandbox mode; with `settings.redis_url`, a live client shares its token, rate budget and insights
    responses with the other replicas through Redis). `local`, when given, is consulted before the client for
    insights (see `tools.source.CallSource`); otherwise the call library when `settings.library` is on (live events
    are then stored in it as they arrive, and a window the feed missed is caught up from the call log), else, with
    `settings.events`, the insights that arrived by push event (`live`). In sandbox mode events also need
    `event_gateway`, which serves that sandbox's WebSocket gateway on loopback (the default sandbox has one); without
    it events stay off. `background_sync` False keeps the library from syncing by itself (tests that drive
    `library.sync_now`).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        client_factory: ClientFactory | None = None,
        local: LocalCalls | None = None,
        event_gateway: GatewayFactory | None = None,
        background_sync: bool = True,
    ) -> None:
        self.settings = settings
        self.client_factory: ClientFactory = client_factory or self._default_client
        self.event_gateway = event_gateway
        self.background_sync = background_sync
        self.data_source: DataSource = "sandbox sample data" if settings.sandbox else "RingCentral"
        self.live = LiveInsights(data_source=self.data_source)
        self.library = LibraryService(settings.library) if settings.library.enabled else None
        self.local = local
        if self.local is None and self.library is not None:
            self.local = LibraryCalls(self.library)
            self.live.add_sink(self.library.on_event)  # events reach the library, which serves them from then on
        elif self.local is None and settings.events:
            self.local = self.live
        self._client: RingSenseClient | None = None
        self._shared: SharedState | None = None
        self._deps: Deps | None = None
        self._sandbox_url: str | None = None  # where the sandbox listens on loopback, when events serve it

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
            options = self._connect_shared()
            return RingSenseClient(
                server_url=self.settings.server_url, credentials=self.settings.credentials, **options
            )
        if self.settings.redis_url is not None:
            _log.warning("RINGSENSE_REDIS_URL is ignored in sandbox mode: each process has a sandbox of its own")
        # Lazy import: the sandbox (and its sample data) is only needed in sandbox mode, and stdio start-up is
        # measured in milliseconds that Claude Desktop users wait for.
        from server.sandbox import SandboxPlatform
        from server.sandboxed import client_for, gateway_for

        platform = SandboxPlatform()
        if self.event_gateway is None:
            self.event_gateway = gateway_for(platform)
        return client_for(platform)

    def _connect_shared(self) -> dict[str, Any]:
        """Shared state for the live client: its keyword arguments (see `server.ringsense.shared`)."""
        settings = self.settings
        if settings.redis_url is None or settings.credentials is None:
            return {}
        # Lazy import: redis and cryptography load only for replicas that share state, not for a stdio server.
        from server.ringsense.shared import SharedState

        self._shared = SharedState.connect(
            settings.redis_url.get_secret_value(), server_url=settings.server_url, credentials=settings.credentials
        )
        _log.info(
            "sharing the token, rate budget and insights with other replicas via %s", self._shared.redis.description
        )
        return self._shared.client_options()

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Runtime]:
        """Open the client, and the call library with its background sync, for the block."""
        try:
            async with AsyncExitStack() as stack:
                client = await stack.enter_async_context(self.client_factory())
                if self.library is not None:  # before the events: a gap they report is caught up by the library
                    await stack.enter_async_context(self.library.running(client, background=self.background_sync))
                if self.settings.events:
                    await self._start_events(stack, client)
                self._client = client
                source = CallSource(client, data_source=self.data_source, local=self.local)
                self._deps = Deps(source=source, library=self.library)
                try:
                    yield self
                finally:
                    self._deps = None
                    self._client = None
        finally:
            shared, self._shared = self._shared, None
            if shared is not None:
                await shared.aclose()

    async def _start_events(self, stack: AsyncExitStack, client: RingSenseClient) -> None:
        """Subscribe to live events in the background (the server does not wait for the subscription)."""
        if self.settings.sandbox:
            if self.event_gateway is None:
                _log.info("live events are off: this sandbox client has no WebSocket gateway")
                return
            served = await stack.enter_async_context(self.event_gateway())
            self._sandbox_url = served if isinstance(served, str) else None
        if self._shared is not None:
            from .events_lease import shared_live_feed  # lazy, like the shared state it needs

            feed = shared_live_feed(client, self.live, self._shared, lease_ttl=self.settings.events_lease_ttl)
            await stack.enter_async_context(feed)
            return
        await stack.enter_async_context(live_feed(client, self.live))

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
            "events": self.live.recent()["state"],
            **({"sandbox_control": f"{self._sandbox_url}/sandbox/v1/analysis-complete"} if self._sandbox_url else {}),
            **self._shared_status(),
        }

    def _shared_status(self) -> dict[str, Any]:
        shared = self._shared
        if shared is None:
            return {}
        return {
            "shared_state": {"backend": "redis", "server": shared.redis.description, "reachable": shared.redis.healthy}
        }
