"""Serving the sandbox over real HTTP on loopback: embedded (``serve_sandbox``) or blocking (``run_sandbox``)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from server.sandbox.app import create_sandbox_app
from server.sandbox.faults import CLOSE_CONNECTION_SCOPE_KEY
from server.sandbox.platform import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform

STARTUP_TIMEOUT = 10.0
SHUTDOWN_GRACE = 1  # seconds uvicorn waits for in-flight requests (e.g. a delay fault) when stopping
DEFAULT_PORT = 8787


class SandboxH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus a hook in the scope that lets a fault close the client's socket."""

    # uvicorn narrows BaseTransport to Transport in its own override (and ignores the same check there).
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        app = self.app

        async def with_close_hook(scope: Scope, receive: Receive, send: Send) -> None:
            await app({**scope, CLOSE_CONNECTION_SCOPE_KEY: transport.close}, receive, send)

        self.app = with_close_hook


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the program that embeds it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _loopback_host(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the sandbox listens on a loopback address only, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"the sandbox listens on a loopback address only, not {host!r}")
    return host


def _config(app: ASGIApp, **kwargs: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http=SandboxH11Protocol,
        ws="websockets-sansio",
        lifespan="off",
        timeout_graceful_shutdown=SHUTDOWN_GRACE,
        **kwargs,
    )


@contextlib.asynccontextmanager
async def serve_sandbox(platform: SandboxPlatform, *, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve ``platform`` with uvicorn in the background; yields its base URL, e.g. ``http://127.0.0.1:51234``.

    ``port=0`` picks a free port. Raises ``ValueError`` for a host that is not a loopback address.
    """
    host = _loopback_host(host)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen()
    bound_port = sock.getsockname()[1]
    url_host = f"[{host}]" if family == socket.AF_INET6 else host
    server = _EmbeddedServer(_config(create_sandbox_app(platform), log_level="warning", access_log=False))

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(server.serve, [sock])
        with anyio.fail_after(STARTUP_TIMEOUT):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
                await anyio.sleep(0.005)
        base = f"http://{url_host}:{bound_port}"
        # In-process REST clients (ASGITransport) learn from wstoken where the real WebSocket listener is.
        previous, platform.push.websocket_url = platform.push.websocket_url, f"ws://{url_host}:{bound_port}/ws"
        try:
            yield base
        finally:
            platform.push.websocket_url = previous
            server.should_exit = True


def run_sandbox(*, port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> None:
    """Serve a fresh sandbox platform until interrupted (``ringsense-mcp sandbox --port 8787``)."""
    host = _loopback_host(host)
    platform = SandboxPlatform()
    base = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    lines = [
        f"RingCentral sandbox at {base} (fake data and credentials; loopback only)",
        f"  client id:     {SANDBOX_CLIENT_ID}",
        f"  client secret: {SANDBOX_CLIENT_SECRET}",
        f"  account id:    {platform.dataset.account_id}",
        f"  events:        POST {base}/sandbox/v1/analysis-complete finishes a call's analysis and pushes it",
    ]
    for user in platform.dataset.users:
        rights = [
            name
            for name, held in (
                ("insights", user.can_read_insights),
                ("company call log", user.can_read_company_call_log),
                ("company recordings (events)", user.can_read_company_recordings),
            )
            if held
        ]
        lines.append(f"  user {user.extension_id} {user.name} ({', '.join(rights) or 'no extra rights'})")
        lines.append(f"    JWT: {user.jwt}")
    print("\n".join(lines), file=sys.stderr, flush=True)
    uvicorn.Server(_config(create_sandbox_app(platform), host=host, port=port, log_level="info")).run()
