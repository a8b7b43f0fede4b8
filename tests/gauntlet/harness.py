"""Shared pieces of the gauntlet: a server wired to a loopback sandbox with fast retries, and output checks.

The product's `Runtime` builds its client with production retry and timeout numbers (0.5 s, 1 s, 2 s backoff;
30 s read timeout). The gauntlet needs the same client with a short read timeout and retries that do not sleep,
so `gauntlet_server` builds the server with the product's own `build_server`, handing it that client through
`client_factory`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult

from server.app import LogLevel, build_server
from server.config import Settings
from server.ringsense import JWTCredentials, RingSenseClient
from server.ringsense.ratelimit import Pacer
from server.ringsense.retry import RetryPolicy
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform
from server.sandbox.dataset import build_dataset
from server.sandbox.samples import Dataset, SandboxUser

# Generous platform-side limits for tests about something other than rate limits. The sandbox sends them as
# X-Rate-Limit-* headers and the client's pacer adopts them.
ROOMY_LIMITS = {"Light": 1_000_000, "Medium": 1_000_000, "Heavy": 1_000_000, "Auth": 1_000_000}
READ_TIMEOUT = 0.3  # seconds; a Fault.delay longer than this is a read timeout
# Connecting keeps a generous limit: on a loaded machine accepting a loopback connection can take longer than the
# short read timeout, and the read-timeout scenario is about reads.
CONNECT_TIMEOUT = 5.0


class VirtualTime:
    """A clock that a retry's or the pacer's sleep moves forward instead of waiting.

    Real time still passes underneath (the sandbox and httpx timeouts use it); sleeps only add to an offset,
    so "retry in 2 s" and "Retry-After: 5" cost nothing but are still recorded.
    """

    def __init__(self) -> None:
        self.skipped = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return time.monotonic() + self.skipped

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.skipped += max(0.0, seconds)
        await anyio.lowlevel.checkpoint()

    def advance(self, seconds: float) -> None:
        """As if the caller waited `seconds` (what an error's retry_after asks for)."""
        self.skipped += seconds


@dataclass
class Upstream:
    """How the gauntlet's client reaches RingCentral: URL, credentials, and the knobs tests turn."""

    url: str
    user: SandboxUser
    client_id: str = SANDBOX_CLIENT_ID
    client_secret: str = SANDBOX_CLIENT_SECRET
    time: VirtualTime = field(default_factory=VirtualTime)
    timeout: float = 10.0
    cache_ttl: float = 0.0  # every call reaches the platform, so every fault fires
    transport: httpx.AsyncBaseTransport | None = None


def _timeout(upstream: Upstream) -> httpx.Timeout:
    return httpx.Timeout(upstream.timeout, connect=max(upstream.timeout, CONNECT_TIMEOUT))


def gauntlet_client(upstream: Upstream) -> RingSenseClient:
    """A client whose timeout, retry sleeps and cache the test controls."""
    http = None
    if upstream.transport is not None:
        http = httpx.AsyncClient(transport=upstream.transport, timeout=_timeout(upstream))
    return RingSenseClient(
        server_url=upstream.url,
        credentials=JWTCredentials(upstream.client_id, upstream.client_secret, upstream.user.jwt),
        http_client=http,
        timeout=_timeout(upstream),
        # The product's policy shape (4 attempts, 10 s longest wait, 30 s budget) without jitter; the
        # waits themselves are virtual.
        retry=RetryPolicy(random=lambda: 0.0),
        pacer=Pacer(clock=upstream.time, sleep=upstream.time.sleep),
        cache_ttl=upstream.cache_ttl,
        clock=upstream.time,
        sleep=upstream.time.sleep,
    )


def live_settings(url: str) -> Settings:
    """Settings of a live (non-sandbox) server pointed at `url`; the credentials come from `Upstream`."""
    return Settings(server_url=url, client_id=SANDBOX_CLIENT_ID, client_secret=None, jwt=None, access_token=None)


def gauntlet_server(upstream: Upstream, log_level: LogLevel = "INFO") -> MCPServer:
    """`build_server` exactly as the product runs it, with the test's client."""
    return build_server(
        live_settings(upstream.url), client_factory=lambda: gauntlet_client(upstream), log_level=log_level
    )


# The sample data is immutable wire JSON; building it once saves ~50 ms per sandbox.
DATASET = build_dataset()


def roomy_platform(**kwargs: Any) -> SandboxPlatform:
    """A sandbox platform with the shared sample data and limits no test reaches."""
    return SandboxPlatform(DATASET, rate_limits=ROOMY_LIMITS, **kwargs)


# -- the report --------------------------------------------------------------------------------------------------


class Report:
    """Markdown sections the gauntlet's tests fill in; printed at the end of the session."""

    def __init__(self) -> None:
        self._sections: dict[str, list[str]] = {}
        self._order: list[str] = []
        self._deferred: list[Callable[[], None]] = []

    def defer(self, build: Callable[[], None]) -> None:
        """Run `build` when the report is rendered (for tables filled in by several tests)."""
        self._deferred.append(build)

    def add(self, section: str, line: str) -> None:
        if section not in self._sections:
            self._sections[section] = []
            self._order.append(section)
        self._sections[section].append(line)

    def table(self, section: str, header: list[str], rows: Iterable[list[str]]) -> None:
        self.add(section, "| " + " | ".join(header) + " |")
        self.add(section, "|" + "---|" * len(header))
        for row in rows:
            self.add(section, "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")

    def render(self) -> str:
        for build in self._deferred:
            build()
        self._deferred.clear()
        return "\n\n".join(f"### {name}\n\n" + "\n".join(self._sections[name]) for name in sorted(self._order))


REPORT = Report()


# -- what no output may contain ---------------------------------------------------------------------------------

_TRACEBACK_SIGNS = (
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r'File "[^"]+", line \d+'),
    re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*(?:Error|Exception)\b(?:\(|:| \()"),  # ValueError(…), KeyError: …
    re.compile(r"\b(?:httpx|httpcore|pydantic|pydantic_core|anyio|starlette|uvicorn|mcp)\.(?:[a-z_]+\.)*[A-Z]\w+"),
    re.compile(r"unexpected internal error"),  # the tool_errors catch-all: a bug reached it
)


def leaks(text: str) -> list[str]:
    """Signs of a traceback or an exception dump in text meant for the model; [] when clean."""
    return [match.group(0) for pattern in _TRACEBACK_SIGNS if (match := pattern.search(text))]


def texts(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def first_line(text: str, width: int = 110) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def contains_any(text: str, needles: Iterable[str]) -> bool:
    folded = text.casefold()
    return any(needle.casefold() in folded for needle in needles)


# -- a sandbox that accepts other credentials ------------------------------------------------------------------


def dataset_with_jwt(jwt: str) -> Dataset:
    """The sample data with the first user's JWT credential replaced by `jwt`."""
    first, *others = DATASET.users
    return dataclasses.replace(DATASET, users=[dataclasses.replace(first, jwt=jwt), *others])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def subprocess_env(**variables: str) -> dict[str, str]:
    """A minimal environment for a spawned server: PATH, HOME and what the test sets. The call library is off: its
    background sync would take the faults a test injects for a tool call (and write under HOME)."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "RINGSENSE_LIBRARY": "off",
        **variables,
    }
