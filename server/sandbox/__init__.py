"""The embedded fake RingCentral platform: OAuth, permission check, call log and RingSense insights.

Faithful to the documented API (paths, auth flow, headers, error bodies, rate limits) so that the client is
tested against what RingCentral really does. Drive it in-process with ``httpx.ASGITransport`` or on loopback
with ``serve_sandbox``.
"""

from server.sandbox.app import create_sandbox_app
from server.sandbox.faults import Fault, FaultInjector
from server.sandbox.platform import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, LoggedRequest, SandboxPlatform
from server.sandbox.serve import run_sandbox, serve_sandbox

__all__ = [
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "Fault",
    "FaultInjector",
    "LoggedRequest",
    "SandboxPlatform",
    "create_sandbox_app",
    "run_sandbox",
    "serve_sandbox",
]
