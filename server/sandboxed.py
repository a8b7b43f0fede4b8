"""A RingSense client wired to an embedded sandbox platform, in-process (no socket).

It lives beside the app rather than inside `server.sandbox`: the sandbox is the platform, the lowest layer, and
never imports the client; this module joins the two the way the app joins the client to RingCentral.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx

from server.ringsense import JWTCredentials, RingSenseClient
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, create_sandbox_app, serve_sandbox
from server.sandbox.samples import SandboxUser

__all__ = ["SANDBOX_URL", "client_for", "gateway_for"]

SANDBOX_URL = "https://platform.sandbox.ringsense.invalid"


def client_for(platform: SandboxPlatform | None = None, user: SandboxUser | None = None) -> RingSenseClient:
    """A client of `platform` (a fresh one with the sample data when None), signed in as `user` (default: the
    first sample user) through the sandbox's own JWT grant, over `httpx.ASGITransport`.

    Use it as `build_server(settings, client_factory=lambda: client_for(platform, user))` to drive a sandbox
    a test can inspect and fault.
    """
    platform = platform if platform is not None else SandboxPlatform()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_sandbox_app(platform)), base_url=SANDBOX_URL)
    signed_in = user if user is not None else platform.users[0]
    credentials = JWTCredentials(client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET, jwt=signed_in.jwt)
    return RingSenseClient(server_url=SANDBOX_URL, credentials=credentials, http_client=http)


def gateway_for(platform: SandboxPlatform) -> Callable[[], AbstractAsyncContextManager[object]]:
    """What `build_server(..., event_gateway=...)` takes: serves `platform` on a loopback port while entered, so
    that the WebSocket token the in-process client gets points at a real socket (WebSockets cannot cross
    `httpx.ASGITransport`). REST keeps going in-process."""
    return lambda: serve_sandbox(platform)
