"""Every fault the sandbox can inject × every tool, over a real loopback socket.

For each fault and tool: a transient fault (`times=1` or 2) either recovers to exactly the clean result or
ends in an error that says what to do; a persistent fault (`times=None`) ends in an error that says what to do;
after each, a clean call on the same server succeeds. No text reaching the client shows a traceback or an
exception dump. Retry waits run on virtual time (`VirtualTime`), so the product's backoff costs nothing here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from server.app import build_server
from server.ringsense import RingSenseClient
from server.sandbox import Fault, SandboxPlatform, create_sandbox_app, serve_sandbox
from server.sandboxed import SANDBOX_URL
from tests.server.conftest import find_call

from .harness import (
    READ_TIMEOUT,
    REPORT,
    Upstream,
    contains_any,
    first_line,
    gauntlet_client,
    leaks,
    live_settings,
    roomy_platform,
    texts,
)

pytestmark = pytest.mark.anyio

TOKEN_PATH = "/restapi/oauth/token"
SECTION = "1. Upstream faults × tools"
MESSAGES = "2. What a persistent fault tells the model (get_insights_by_record)"
CALL_TIMEOUT = 30
TODAY = datetime.now(UTC).date()
DATE_FROM = (TODAY - timedelta(days=40)).isoformat()
DATE_TO = TODAY.isoformat()
# Whatever went wrong, a message must give the model something to do.
ADVICE = ("try again", "wait", "retry", "check ", "generate a new", "report it")


@dataclass(frozen=True)
class ToolCase:
    name: str
    path_glob: str  # the RingCentral endpoint this tool calls
    arguments: Callable[[SandboxPlatform], dict[str, Any]]


TOOLS = [
    ToolCase("check_permission", "*/authz-profile/check", lambda p: {}),
    ToolCase("list_recorded_calls", "*/call-log", lambda p: {"date_from": DATE_FROM, "date_to": DATE_TO, "limit": 5}),
    ToolCase(
        "get_insights_by_record",
        "*/records/*/insights",
        lambda p: {"record_id": find_call(p, "sales-discovery").recordings[0].record_id},
    ),
    ToolCase(
        "get_insights_by_session",
        "*/sessions/*/insights",
        lambda p: {"session_id": find_call(p, "transferred-call").session_id},
    ),
    ToolCase(
        "render_transcript",
        "*/records/*/insights",
        lambda p: {"record_id": find_call(p, "renewal-negotiation").recordings[0].record_id, "format": "markdown"},
    ),
]


def _expire(platform: SandboxPlatform) -> None:
    platform.expire_access_tokens()


def _revoke_refresh(platform: SandboxPlatform) -> None:
    platform.expire_access_tokens()
    platform.revoke_refresh_tokens()


def _reject_jwt(platform: SandboxPlatform) -> None:
    _revoke_refresh(platform)
    platform.reject_jwt(platform.dataset.users[0].jwt)


def _accept_jwt(platform: SandboxPlatform) -> None:
    platform.accept_jwt(platform.dataset.users[0].jwt)  # the credential was fixed


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: Fault | None
    transient_times: int | None  # None: the fault has no transient form
    recovers: bool  # whether the transient form ends in the clean result
    advice: tuple[str, ...]  # the persistent form's message contains one of these
    on_token_endpoint: bool = False
    prepare: Callable[[SandboxPlatform], None] | None = None  # makes the next call need a token request
    restore: Callable[[SandboxPlatform], None] | None = None
    persistent: bool = True
    # Timeouts and dropped sockets need a real socket (uvicorn on loopback); the rest run in-process, where
    # they behave the same and cost a fraction of the time.
    socket: bool = False
    timeout: float = 10.0


LEGACY_429 = {"errorCode": "CMN-301", "message": "Request rate exceeded"}
WRONG_SHAPE = {"records": 5, "insights": 5, "successful": "maybe", "speakerInfo": 3, "navigation": 1, "details": 4}

SCENARIOS = [
    Scenario("HTTP 500", Fault.status(500), 2, True, ("try again",)),
    Scenario("HTTP 502", Fault.status(502), 1, True, ("try again",)),
    Scenario("HTTP 503 + Retry-After: 2", Fault.status(503, headers={"Retry-After": "2"}), 2, True, ("in 2 seconds",)),
    Scenario("HTTP 429 + Retry-After: 3", Fault.status(429, headers={"Retry-After": "3"}), 1, True, ("retry_after=3",)),
    # RingCentral's advice without Retry-After is to wait 30 s; the client says so instead of holding the call.
    Scenario("HTTP 429, no Retry-After", Fault.status(429), 1, False, ("retry_after=30",)),
    Scenario(
        "HTTP 429, legacy body + X-Rate-Limit-Window: 60",
        Fault.status(429, body=LEGACY_429, headers={"X-Rate-Limit-Window": "60"}),
        1,
        False,
        ("retry_after=60",),
    ),
    Scenario(
        "read timeout (1 s delay, 0.3 s timeout)",
        Fault.delay(1.0),
        1,
        True,
        ("try again",),
        socket=True,
        timeout=READ_TIMEOUT,
    ),
    Scenario("connection reset mid-body", Fault.reset_mid_body(), 2, True, ("try again",), socket=True),
    Scenario("connection dropped before the response", Fault.drop_connection(), 1, True, ("try again",), socket=True),
    Scenario("malformed JSON (200)", Fault.malformed_json(), 1, False, ("try again",)),
    Scenario("truncated JSON (200)", Fault.truncated_json(), 1, False, ("try again",)),
    Scenario("HTML error page (502)", Fault.html_error(502), 1, True, ("try again",)),
    Scenario("empty body (200)", Fault.empty_body(), 1, False, ("try again",)),
    Scenario("200, a JSON array instead of an object", Fault.json(200, ["not", "an", "object"]), 1, False, ADVICE),
    Scenario("200, an object of the wrong shape", Fault.json(200, WRONG_SHAPE), 1, False, ADVICE),
    Scenario("token endpoint 503", Fault.status(503), 2, True, ("try again",), on_token_endpoint=True, prepare=_expire),
    Scenario(
        "token endpoint down (connection dropped)",
        Fault.drop_connection(),
        1,
        False,
        ("try again",),
        on_token_endpoint=True,
        prepare=_expire,
        socket=True,
    ),
    Scenario(
        "refresh token revoked (access token expired)",
        None,
        1,
        True,
        (),
        on_token_endpoint=True,
        prepare=_revoke_refresh,
        persistent=False,
    ),
    Scenario(
        "JWT rejected (invalid_grant)",
        None,
        None,
        False,
        ("generate a new jwt credential",),
        on_token_endpoint=True,
        prepare=_reject_jwt,
        restore=_accept_jwt,
    ),
]


@dataclass
class Outcome:
    ok: bool
    text: str
    requests: int  # requests to the faulted endpoint during the call
    waited: float  # virtual seconds the client waited (retry backoff, Retry-After)
    structured: Any = None

    def cell(self) -> str:
        verdict = "ok" if self.ok else "error"
        waited = f", waited {self.waited:g} s" if self.waited else ""
        return f"{verdict} ({self.requests} req{waited})"


def _retry_after(text: str) -> float:
    match = re.search(r"retry_after=(\d+(?:\.\d+)?)", text)
    return float(match.group(1)) if match else 0.0


class Bench:
    """One server on its own sandbox; runs a call and says what happened."""

    def __init__(self, client: Client, platform: SandboxPlatform, upstream: Upstream) -> None:
        self.client = client
        self.platform = platform
        self.upstream = upstream

    async def call(self, tool: ToolCase, watched: str) -> Outcome:
        mark, sleeps = len(self.platform.requests), len(self.upstream.time.sleeps)
        with anyio.fail_after(CALL_TIMEOUT):
            result = await self.client.call_tool(tool.name, tool.arguments(self.platform))
        text = texts(result)
        assert not leaks(text), f"{tool.name}: traceback or exception dump reached the client: {leaks(text)}"
        requests = [r for r in self.platform.requests[mark:] if fnmatchcase(r.path, watched)]
        waited = sum(self.upstream.time.sleeps[sleeps:])
        return Outcome(not result.is_error, text, len(requests), waited, result.structured_content)

    async def clean_call_succeeds(self, tool: ToolCase, baseline: Any, after: Outcome) -> None:
        # Do what the message said: wait retry_after seconds (virtually) before calling again.
        self.upstream.time.advance(_retry_after(after.text))
        clean = await self.call(tool, tool.path_glob)
        assert clean.ok, f"{tool.name}: the server did not recover after the fault: {clean.text}"
        assert clean.structured == baseline


async def exercise(tool: ToolCase, scenario: Scenario, platform: SandboxPlatform, bench: Bench) -> str:
    """Baseline, transient fault, clean call, persistent fault, clean call; returns the matrix cell."""
    watched = TOKEN_PATH if scenario.on_token_endpoint else tool.path_glob
    baseline = await bench.call(tool, tool.path_glob)
    assert baseline.ok, f"{tool.name}: the clean call failed: {baseline.text}"
    parts = []
    if scenario.transient_times is not None:
        if scenario.fault is not None:
            platform.faults.inject(watched, scenario.fault, times=scenario.transient_times)
        if scenario.prepare:
            scenario.prepare(platform)
        transient = await bench.call(tool, watched)
        platform.faults.clear()
        if scenario.recovers:
            assert transient.ok, f"{scenario.name}/{tool.name}: did not recover: {transient.text}"
            assert transient.structured == baseline.structured, "recovered, but to a different result"
        else:
            assert not transient.ok, f"{scenario.name}/{tool.name}: expected an error"
            assert contains_any(transient.text, scenario.advice or ADVICE), transient.text
        await bench.clean_call_succeeds(tool, baseline.structured, transient)
        parts.append(f"×{scenario.transient_times}: {transient.cell()}")
    if scenario.persistent:
        if scenario.fault is not None:
            platform.faults.inject(watched, scenario.fault, times=None)
        if scenario.prepare:
            scenario.prepare(platform)
        persistent = await bench.call(tool, watched)
        platform.faults.clear()
        if scenario.restore:
            scenario.restore(platform)
        assert not persistent.ok, f"{scenario.name}/{tool.name}: a persistent fault did not fail"
        assert contains_any(persistent.text, scenario.advice), (
            f"{scenario.name}/{tool.name}: the message does not say what to do: {persistent.text}"
        )
        await bench.clean_call_succeeds(tool, baseline.structured, persistent)
        parts.append(f"always: {persistent.cell()}")
        if tool.name == "get_insights_by_record":
            message = persistent.text.removeprefix("Error executing tool get_insights_by_record: ")
            REPORT.add(MESSAGES, f"- **{scenario.name}**: {first_line(message, 240)}")
    return "<br>".join(parts)


class Seat:
    """One tool's server, built once for the whole matrix and connected to each scenario's own sandbox.

    Building a server (the pydantic schemas of every tool) costs more CPU than a scenario's calls. What a fault
    can leave behind is not in it: each connection opens the server's runtime anew, with a new client (token,
    pacer, cache, retry clock) made from that scenario's `Upstream`; the library and live events are off.
    """

    def __init__(self) -> None:
        self.upstream: Upstream | None = None
        self.server: MCPServer | None = None

    def _client(self) -> RingSenseClient:
        assert self.upstream is not None, "connect() sets the upstream first"
        return gauntlet_client(self.upstream)

    def connect(self, upstream: Upstream) -> Client:
        self.upstream = upstream
        if self.server is None:
            # The settings' URL shows only in the status resource; the client comes from `upstream`.
            self.server = build_server(live_settings(upstream.url), client_factory=self._client)
        return Client(self.server)


_SEATS = {tool.name: Seat() for tool in TOOLS}


@asynccontextmanager
async def bench_for(scenario: Scenario, tool: ToolCase) -> AsyncIterator[Bench]:
    """A sandbox of its own (in-process, or on a loopback socket) and the tool's server connected to it."""
    platform = roomy_platform()
    async with AsyncExitStack() as stack:
        if scenario.socket:
            url, transport = await stack.enter_async_context(serve_sandbox(platform)), None
        else:
            url, transport = SANDBOX_URL, httpx.ASGITransport(app=create_sandbox_app(platform))
        upstream = Upstream(url=url, user=platform.dataset.users[0], timeout=scenario.timeout, transport=transport)
        client = await stack.enter_async_context(_SEATS[tool.name].connect(upstream))
        yield Bench(client, platform, upstream)


_RUNNING_TOOL: ContextVar[str | None] = ContextVar("running_tool", default=None)


class _ErrorLog(logging.Handler):
    """ERROR records logged while a scenario runs, by the tool whose task logged them (None: no tool's)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.by_tool: dict[str | None, list[str]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.by_tool.setdefault(_RUNNING_TOOL.get(), []).append(f"{record.name}: {record.getMessage()}")


@dataclass
class ScenarioRun:
    outcomes: dict[str, str | BaseException]  # tool → its matrix cell, or why it failed
    errors_logged: dict[str | None, list[str]]


_RUNS: dict[str, ScenarioRun] = {}


async def run_scenario(scenario: Scenario) -> ScenarioRun:
    """Every tool under `scenario`, side by side, one sandbox each; run once and shared by the scenario's tests.

    The tools run concurrently because the socket scenarios wait on real timeouts; one test per tool then reads
    its own outcome, so a red run names the fault and the tool.
    """
    if scenario.name in _RUNS:
        return _RUNS[scenario.name]
    outcomes: dict[str, str | BaseException] = {}

    async def one_tool(tool: ToolCase) -> None:
        _RUNNING_TOOL.set(tool.name)  # this task's context: the server tasks it starts inherit it
        try:
            async with bench_for(scenario, tool) as bench:
                outcomes[tool.name] = await exercise(tool, scenario, bench.platform, bench)
        except Exception as failure:  # raised again by this tool's own test
            outcomes[tool.name] = failure

    errors = _ErrorLog()
    root = logging.getLogger()
    root.addHandler(errors)
    try:
        async with anyio.create_task_group() as tools:
            for tool in TOOLS:
                tools.start_soon(one_tool, tool)
    finally:
        root.removeHandler(errors)
    _RUNS[scenario.name] = ScenarioRun(outcomes, errors.by_tool)
    return _RUNS[scenario.name]


@pytest.mark.parametrize("tool", TOOLS, ids=[t.name for t in TOOLS])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_a_tool_recovers_or_says_what_to_do_under_an_upstream_fault(scenario: Scenario, tool: ToolCase) -> None:
    run = await run_scenario(scenario)
    outcome = run.outcomes[tool.name]
    if isinstance(outcome, BaseException):
        raise outcome
    _MATRIX.setdefault(scenario.name, {})[tool.name] = outcome
    crashes = run.errors_logged.get(tool.name, []) + run.errors_logged.get(None, [])
    assert not crashes, f"errors logged while {tool.name} ran under {scenario.name}: {crashes}"


_MATRIX: dict[str, dict[str, str]] = {}


def _matrix_table() -> None:
    if not _MATRIX:
        return
    REPORT.add(
        SECTION,
        "Each cell: the transient form (×N = the fault fires N times) and the persistent form (always); "
        "req = requests to the faulted endpoint during the call, waited = the client's (virtual) retry waits. "
        "Every fault was followed by a clean call that succeeded with the unfaulted result.\n",
    )
    REPORT.table(
        SECTION,
        ["fault", *(t.name for t in TOOLS)],
        ([s.name, *(_MATRIX[s.name].get(t.name, "**FAILED**") for t in TOOLS)] for s in SCENARIOS if s.name in _MATRIX),
    )


REPORT.defer(_matrix_table)
