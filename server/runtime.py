"""What the MCP handlers share: the one RingSense client, the call library and the live-events feed.

The server answers its client's handshake before any of them exists: `Runtime.open` only starts a task that
connects them (makes the client, starts the library's background sync and the event subscription) when the first
call needs them (`await runtime.deps()`), or CONNECT_DELAY seconds after start, whichever comes first. A failure to
connect is logged and raised to the call that waited for it; the next call tries again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio

from server import __version__
from server.config import ConfigurationError, Settings
from server.ringsense.errors import RingSenseError
from tools.deps import Deps
from tools.errors import ToolFailure
from tools.library import LibraryCalls
from tools.models import DataSource
from tools.source import CallSource, LocalCalls

from .library_service import LibraryService
from .live_events import LiveInsights, live_feed

if TYPE_CHECKING:
    from server.ringsense import RingSenseClient
    from server.ringsense.shared import SharedState

ClientFactory = Callable[[], "RingSenseClient"]
# Serves a sandbox's WebSocket gateway on loopback for as long as it is entered (`server.sandboxed.gateway_for`).
GatewayFactory = Callable[[], AbstractAsyncContextManager[object]]
# Seconds from start to connecting when no call asked first: a stdio client's handshake (initialize, tools/list)
# is answered within milliseconds, and connecting (httpx, the library's first catch-up, the event subscription, in
# sandbox mode the sample platform) would otherwise hold the event loop while it waits.
CONNECT_DELAY = 1.0
_log = logging.getLogger("server")


class NotConnected(ToolFailure):
    """The server could not connect (or is not connected) to the platform: nothing the caller asked for is at
    fault, so a resource read reports it as an error, not as a missing resource."""


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
    `library.sync_now`). `connect_delay` is how long after start it connects when no call asked first.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        client_factory: ClientFactory | None = None,
        local: LocalCalls | None = None,
        event_gateway: GatewayFactory | None = None,
        background_sync: bool = True,
        connect_delay: float = CONNECT_DELAY,
    ) -> None:
        self.settings = settings
        self.connect_delay = connect_delay
        self.client_factory: ClientFactory = client_factory or self._default_client
        self.event_gateway = event_gateway
        self.background_sync = background_sync
        self.data_source: DataSource = "sandbox sample data" if settings.sandbox else "RingCentral"
        self.live = LiveInsights(data_source=self.data_source)
        # The library's first catch-up starts as soon as the runtime connects, which is already after the handshake
        # (the service's own START_DELAY waited for it); a `catch_up_delay` set in the settings still applies.
        catch_up_delay = settings.library.catch_up_delay
        self.library = (
            LibraryService(settings.library, start_delay=0.0 if catch_up_delay is None else catch_up_delay)
            if settings.library.enabled
            else None
        )
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
        # While open: `_wanted` is set to ask the connecting task for a connection, `_attempted` when its current
        # attempt has ended (connected or failed; then replaced for the next one). None outside `open`.
        self._wanted: anyio.Event | None = None
        self._attempted: anyio.Event | None = None
        self._failure: BaseException | None = None

    async def deps(self) -> Deps:
        """What the tools take, connecting first if nothing has yet (see the module docstring).

        Raises ToolFailure outside the server's lifespan, or saying what failed when connecting did (and
        RingSenseError as it is, for the tools to describe).
        """
        if self._deps is not None:
            return self._deps
        if self._wanted is None or self._attempted is None:
            raise NotConnected("The server is not connected to RingCentral yet; try again in a moment.")
        attempted = self._attempted
        self._wanted.set()
        await attempted.wait()
        if self._deps is not None:
            return self._deps
        raise self._failure_for_caller()

    def _failure_for_caller(self) -> Exception:
        err = self._failure
        if err is None:
            return NotConnected("The server is shutting down; the call was not made.")
        if isinstance(err, RingSenseError):
            return err
        if isinstance(err, ConfigurationError):
            return NotConnected(err.message)
        # Only the type: the text of an unexpected error may quote a URL with its password; the log has it all.
        return NotConnected(
            f"The server could not connect to {self.data_source} ({type(err).__name__}); the server log has the "
            "details. Fix what it names, then try again: the next call connects anew."
        )

    def _default_client(self) -> RingSenseClient:
        if not self.settings.sandbox:
            if self.settings.credentials is None:  # load_settings refuses this; a hand-built Settings may not
                raise ConfigurationError("No RingCentral credentials are configured (or use --sandbox).")
            # Lazy import: the client brings httpx, which the server needs only once it connects.
            from server.ringsense import RingSenseClient

            options = self._connect_shared()
            return RingSenseClient(
                server_url=self.settings.server_url, credentials=self.settings.credentials, **options
            )
        if self.settings.redis_url is not None:
            _log.warning("RINGSENSE_REDIS_URL is ignored in sandbox mode: each process has a sandbox of its own")
        # Lazy import: the sandbox (and its sample data) is only needed in sandbox mode, and only once connecting.
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
        """Run for the block: connect when a call first needs it or `connect_delay` seconds in; disconnect after."""
        closing = anyio.Event()
        self._wanted, self._attempted, self._failure = anyio.Event(), anyio.Event(), None
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._stay_connected, closing)
                try:
                    yield self
                finally:
                    closing.set()
                    self._wanted.set()  # a connecting task still waiting to start stops waiting, and ends
        finally:
            if self._attempted is not None:
                self._attempted.set()  # a call still waiting is told the server is closing
            self._wanted = self._attempted = None

    async def _stay_connected(self, closing: anyio.Event) -> None:
        """Connect when asked (or after `connect_delay`), stay connected until `closing`; a failed attempt is
        logged, handed to its waiters, and retried when the next call asks."""
        assert self._wanted is not None
        with anyio.move_on_after(self.connect_delay):
            await self._wanted.wait()
        while not closing.is_set():
            attempted = self._attempted
            assert attempted is not None
            async with AsyncExitStack() as stack:
                try:
                    await stack.enter_async_context(self._connected())
                except Exception as err:  # handed to the calls that wait: the server itself keeps serving
                    known = isinstance(err, ConfigurationError | RingSenseError)
                    _log.error("could not connect to %s: %s", self.data_source, _describe(err), exc_info=not known)
                    self._failure = err
                    self._wanted, self._attempted = anyio.Event(), anyio.Event()
                    attempted.set()
                    if not closing.is_set():
                        await self._wanted.wait()
                    continue
                attempted.set()
                await closing.wait()

    @asynccontextmanager
    async def _connected(self) -> AsyncIterator[None]:
        """The client, and the call library with its background sync, and the events feed, for the block."""
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
                self._failure = None
                try:
                    yield
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
            **({"connect_error": _describe(self._failure)} if self._failure is not None else {}),
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


def _describe(err: BaseException) -> str:
    """A connection failure for the log: the message of errors that carry one for users, else the type."""
    if isinstance(err, ConfigurationError | RingSenseError):
        return err.message
    return type(err).__name__
