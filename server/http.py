"""Streamable HTTP: `ringsense-mcp serve --transport http`, for agents that reach the server over a network.

Routes:

* `/mcp` — the MCP endpoint (both protocol eras), behind `Authorization: Bearer $RINGSENSE_MCP_TOKEN` when the
  token is set, and behind Host/Origin allowlists (DNS-rebinding protection) always;
* `/healthz` — liveness for load balancers and scripts: no auth, nothing secret;
* `/.well-known/…` — 404 without auth, so OAuth clients learn that this server does no OAuth.

Without a token the server only binds to loopback. On SIGINT/SIGTERM uvicorn stops accepting connections, gives
in-flight calls `GRACEFUL_SHUTDOWN_TIMEOUT` seconds to finish, then runs the MCP server's lifespan shutdown, which
closes the RingSense client and revokes its token.
"""

from __future__ import annotations

import argparse
import errno
import hmac
import ipaddress
import logging
import re
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from . import __version__
from .config import HTTP_TOKEN_ENV, ConfigurationError, load_http_token
from .logs import RedactSecrets

__all__ = [
    "GRACEFUL_SHUTDOWN_TIMEOUT",
    "HEALTH_PATH",
    "MCP_PATH",
    "BearerTokenGate",
    "HTTPOptions",
    "bind_socket",
    "create_http_app",
    "serve_http",
    "transport_security",
    "uvicorn_config",
]

MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"
GRACEFUL_SHUTDOWN_TIMEOUT = 25  # seconds for in-flight calls; with the revoke (≤ 5 s) fits a 30 s stop timeout
REALM = "ringsense-mcp"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")

Mode = Literal["sandbox", "live"]

logger = logging.getLogger(__name__)

# A Host header value: a name, IPv4 address or bracketed IPv6 address, then an optional `:port` or `:*`.
_HOST_PATTERN = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]@]+)(?P<port>:(?:\d{1,5}|\*))?")


@dataclass(frozen=True)
class HTTPOptions:
    """How to serve: the `serve --transport http` options."""

    host: str = "127.0.0.1"
    port: int = 8000
    stateless: bool = False
    allowed_hosts: Sequence[str] = ()
    allowed_origins: Sequence[str] = ()
    max_sessions: int = 1000  # stateful sessions open at once; one more gets 503 (unused when stateless)
    session_idle_timeout: float = 1800.0  # seconds without a request before a stateful session is closed

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> HTTPOptions:
        return cls(
            host=args.host,
            port=args.port,
            stateless=args.stateless,
            allowed_hosts=tuple(args.allowed_host),
            allowed_origins=tuple(args.allowed_origin),
            max_sessions=args.max_sessions,
            session_idle_timeout=args.session_idle_timeout,
        )


def is_loopback(host: str) -> bool:
    """Whether binding to `host` keeps the server reachable from this machine only."""
    if host.strip("[]") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_patterns(value: str) -> list[str]:
    """Allowlist entries for one `--allowed-host`: without a port it matches any port (and none)."""
    value = value.strip().lower()
    try:
        if ipaddress.ip_address(value).version == 6:
            value = f"[{value}]"
    except ValueError:
        pass
    match = _HOST_PATTERN.fullmatch(value)
    if match is None:
        raise ConfigurationError(
            f"--allowed-host {value!r} is not a host name or address with an optional :port "
            "(examples: mcp.example.com, mcp.example.com:8443, 10.0.0.5:*, [2001:db8::1])."
        )
    return [value] if match["port"] else [value, f"{value}:*"]


def _origin_patterns(value: str) -> list[str]:
    value = value.strip().rstrip("/").lower()
    if not re.fullmatch(r"https?://[^\s/]+", value):
        raise ConfigurationError(
            f"--allowed-origin {value!r} is not an origin: give scheme, host and optional port, "
            "such as https://app.example.com or http://localhost:5173."
        )
    return [value]


def transport_security(
    bind_host: str, allowed_hosts: Sequence[str] = (), allowed_origins: Sequence[str] = ()
) -> TransportSecuritySettings:
    """Host/Origin allowlists (DNS-rebinding protection): loopback, the bound IP address, and what was configured.

    A bound IP address is safe to admit as a Host header: DNS rebinding needs an attacker's host *name*.
    Raises ConfigurationError for a malformed `--allowed-host`/`--allowed-origin`.
    """
    hosts = [pattern for host in LOOPBACK_HOSTS for pattern in (host, f"{host}:*")]
    origins = [pattern for host in LOOPBACK_HOSTS for pattern in (f"http://{host}", f"http://{host}:*")]
    try:
        bound = ipaddress.ip_address(bind_host.strip("[]"))
    except ValueError:
        bound = None
    if bound is not None and not bound.is_unspecified and not bound.is_loopback:
        hosts += _host_patterns(str(bound))
    for host in allowed_hosts:
        hosts += _host_patterns(host)
    for origin in allowed_origins:
        origins += _origin_patterns(origin)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=list(dict.fromkeys(hosts)),
        allowed_origins=list(dict.fromkeys(origins)),
    )


class BearerTokenGate:
    """ASGI middleware: serves `/healthz` openly and lets anything else through only with the bearer token.

    Why this and not the SDK's `TokenVerifier` + `AuthSettings`: those make the server an OAuth *resource
    server*. They require an authorization server's issuer URL, publish protected-resource metadata pointing at
    it, and answer 401 with a `resource_metadata` link — so OAuth-aware clients (the Inspector, desktop apps)
    would start a discovery and registration flow against an authorization server that does not exist. A static
    shared secret is not OAuth; a plain `401` with `WWW-Authenticate: Bearer realm=...` (RFC 6750) tells a client
    exactly what to send. It also keeps auth a transport concern: `build_server` stays the same for stdio, tests
    and HTTP, and the token is checked in front of every SDK route, before any MCP parsing (the SDK transport's
    Host/Origin checks follow). Lifespan events pass straight through, so the MCP server's lifespan runs exactly
    as without the gate; and with no token (loopback only) everything passes through, which is how the
    conformance suite — it cannot send headers — sees the unmodified SDK transport.
    """

    def __init__(self, app: ASGIApp, *, token: str | None, health: dict[str, str]) -> None:
        self.app = app
        self._token = token.encode() if token is not None else None
        self._health = health

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == HEALTH_PATH:
            await self._healthz(scope)(scope, receive, send)
            return
        if scope["type"] == "http" and scope["path"].startswith("/.well-known/"):
            # OAuth clients look here after a 401 (RFC 9728, RFC 8414). A plain 404 tells them this server does
            # no OAuth, so they report "authentication required" instead of retrying discovery behind a 401.
            await JSONResponse({"error": "not_found"}, status_code=404)(scope, receive, send)
            return
        if scope["type"] == "http" and self._token is not None:
            presented = _bearer_credentials(scope)
            if presented is None or not hmac.compare_digest(presented, self._token):
                await _unauthorized(scope, wrong_token=presented is not None)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _healthz(self, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            return Response(status_code=405, headers={"Allow": "GET, HEAD"})
        return JSONResponse(self._health, headers={"Cache-Control": "no-store"})


def _bearer_credentials(scope: Scope) -> bytes | None:
    """The credentials of an `Authorization: Bearer ...` header (scheme case-insensitive), else None."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credentials = value.strip().partition(b" ")
            credentials = credentials.strip()
            return credentials if scheme.lower() == b"bearer" and credentials else None
    return None


def _unauthorized(scope: Scope, *, wrong_token: bool) -> Response:
    client = scope.get("client")
    where = f"{client[0]}:{client[1]}" if client else "unknown client"
    # Never log what was presented: a near-miss token is still a secret.
    logger.info(
        "refused %s %s from %s: %s bearer token",
        scope["method"],
        scope["path"],
        where,
        "wrong" if wrong_token else "no",
    )
    if wrong_token:  # RFC 6750 §3.1: an error code only when credentials were presented
        challenge = f'Bearer realm="{REALM}", error="invalid_token", error_description="The bearer token is wrong."'
        body = {"error": "invalid_token", "error_description": "The bearer token is wrong."}
    else:
        challenge = f'Bearer realm="{REALM}"'
        body = {
            "error": "unauthorized",
            "error_description": f"Send 'Authorization: Bearer <token>' with the server's {HTTP_TOKEN_ENV}.",
        }
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"})


def create_http_app(server: MCPServer, options: HTTPOptions, *, token: str | None, mode: Mode) -> ASGIApp:
    """The ASGI app to serve: the SDK's Streamable HTTP app at `/mcp`, behind the bearer-token gate.

    The SDK app is served as the root app, not mounted, so its lifespan — which starts the session manager and
    enters the MCP server's lifespan (opening the RingSense client) — runs with uvicorn's. Responses use the SDK's
    default SSE framing rather than `json_response`: it is what 2025-era clients expect, and it carries
    server-to-client messages during a call (the cross-call tools' progress notifications); clients that want plain
    JSON still get it on the 2026-07-28 era. Stateful sessions are bounded by `max_sessions` and closed after
    `session_idle_timeout` seconds without a request. Call it once per server: the SDK allows one session manager
    run.
    Raises ConfigurationError for a malformed `--allowed-host`/`--allowed-origin`.
    """
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=options.stateless,
        transport_security=transport_security(options.host, options.allowed_hosts, options.allowed_origins),
        host=options.host,
        max_sessions=options.max_sessions,
        session_idle_timeout=options.session_idle_timeout,
    )
    return BearerTokenGate(mcp_app, token=token, health={"status": "ok", "version": __version__, "mode": mode})


def uvicorn_config(app: ASGIApp, options: HTTPOptions) -> uvicorn.Config:
    """uvicorn settings: logs through the root logger (stderr, secrets redacted), bounded graceful shutdown."""
    return uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        lifespan="on",  # the MCP server's lifespan owns the RingSense client; a failed start must stop the process
        log_config=None,  # keep the handlers configure_logging installed (stderr, redaction)
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_TIMEOUT,
        server_header=False,
    )


def bind_socket(options: HTTPOptions) -> socket.socket:
    """A listening socket on `options.host`:`options.port`, bound before anything claims to be serving.

    Raises ConfigurationError when the address cannot be bound (the port is in use, the address is not this
    machine's, a privileged port). uvicorn would otherwise report it only after the start-up log lines.
    """
    host = options.host.strip("[]")
    # As uvicorn binds: IPv6 for an address with a colon, else IPv4 (so "localhost" means 127.0.0.1).
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restart despite TIME_WAIT
        sock.bind((host, options.port))
        sock.listen(2048)
    except OSError as err:
        sock.close()
        hint = (
            f"another process is listening there (find it with `lsof -i :{options.port}` or "
            f"`ss -ltnp 'sport = :{options.port}'`); stop it or choose another --port"
            if err.errno == errno.EADDRINUSE
            else "check --host and --port"
        )
        raise ConfigurationError(f"cannot listen on {options.host}:{options.port}: {err.strerror}; {hint}.") from None
    sock.set_inheritable(True)
    return sock


def _refuse(message: str) -> int:
    print(f"ringsense-mcp: {message}", file=sys.stderr)
    return 2


def serve_http(server: MCPServer, args: argparse.Namespace) -> int:
    """Run `server` over Streamable HTTP until SIGINT/SIGTERM; return the process exit code.

    Exit code 2, before binding anything, for a configuration that would be unsafe or is malformed: a
    non-loopback address without `RINGSENSE_MCP_TOKEN`, a guessable token, a malformed allowlist entry.
    """
    options = HTTPOptions.from_args(args)
    try:
        secret = load_http_token()
        token = secret.get_secret_value() if secret is not None else None
        if token is None and not is_loopback(options.host):
            raise ConfigurationError(
                f"refusing to serve on {options.host} without authentication: anyone who can reach the port "
                f"could read call transcripts. Set {HTTP_TOKEN_ENV} (clients then send 'Authorization: Bearer "
                "<token>'), or bind to 127.0.0.1."
            )
        app = create_http_app(server, options, token=token, mode="sandbox" if args.sandbox else "live")
        listener = bind_socket(options)
    except ConfigurationError as err:
        return _refuse(err.message)
    if token is not None:
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactSecrets([token]))

    url = f"http://{options.host}:{options.port}{MCP_PATH}"
    if token is None:
        logger.warning(
            "serving %s WITHOUT authentication (loopback only); set %s to require a bearer token", url, HTTP_TOKEN_ENV
        )
    else:
        logger.info("serving %s; clients must send 'Authorization: Bearer <%s>'", url, HTTP_TOKEN_ENV)
    if not is_loopback(options.host) and not options.allowed_hosts:
        logger.warning(
            "only loopback and IP-address Host headers are accepted; behind a host name, add --allowed-host NAME "
            "(requests for other hosts get 421)"
        )
    sessions = (
        "stateless"
        if options.stateless
        else f"stateful (at most {options.max_sessions}, closed after {options.session_idle_timeout:g} s idle)"
    )
    mode = "sandbox" if args.sandbox else "live"
    logger.info("mode=%s, sessions=%s, health check at %s", mode, sessions, HEALTH_PATH)
    try:
        uvicorn.Server(uvicorn_config(app, options)).run(sockets=[listener])
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl+C once shut down; the shutdown was already graceful
        return 130
    finally:
        listener.close()
    return 0
