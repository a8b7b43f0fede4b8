"""Streamable HTTP end to end: uvicorn on an ephemeral loopback port, the SDK client over a real socket."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
import httpx
import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from server import __version__
from server.app import build_server
from server.cli import parse_args
from server.config import HTTP_TOKEN_ENV, load_settings
from server.http import HEALTH_PATH, MCP_PATH, HTTPOptions, create_http_app, serve_http, uvicorn_config
from server.sandbox import Fault, FaultInjector, SandboxPlatform
from server.sandboxed import client_for

TOKEN = "test-token-0123456789abcdef"
START_TIMEOUT = 10
CALL_TIMEOUT = 20
STOP_TIMEOUT = 15
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@dataclass(frozen=True)
class RunningServer:
    url: str
    uvicorn: uvicorn.Server

    @property
    def mcp_url(self) -> str:
        return self.url + MCP_PATH


@asynccontextmanager
async def serve(
    platform: SandboxPlatform,
    *,
    token: str | None = TOKEN,
    environ: dict[str, str] | None = None,
    **options: object,
) -> AsyncIterator[RunningServer]:
    """The real HTTP app under uvicorn on 127.0.0.1:<ephemeral>; on exit, a graceful shutdown like SIGTERM's.
    `environ` configures the server (default: the call library off)."""
    settings = load_settings(environ if environ is not None else {"RINGSENSE_LIBRARY": "off"}, sandbox=True)
    server = build_server(settings, client_factory=lambda: client_for(platform))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    http_options = HTTPOptions(host="127.0.0.1", port=port, **options)  # type: ignore[arg-type]
    app = create_http_app(server, http_options, token=token, mode="sandbox")
    uvicorn_server = uvicorn.Server(uvicorn_config(app, http_options))
    # The deadline is set only once shutdown starts: the server runs as long as the test body needs it.
    with sock, anyio.fail_after(None) as stop_deadline:
        async with anyio.create_task_group() as tg:
            tg.start_soon(uvicorn_server.serve, [sock])
            with anyio.fail_after(START_TIMEOUT):
                while not uvicorn_server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
                    await anyio.sleep(0.01)
            try:
                yield RunningServer(f"http://127.0.0.1:{port}", uvicorn_server)
            finally:
                uvicorn_server.should_exit = True
                stop_deadline.deadline = anyio.current_time() + STOP_TIMEOUT


@asynccontextmanager
async def mcp_client(url: str, *, token: str | None, mode: str) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=CALL_TIMEOUT) as http:
        async with Client(streamable_http_client(url, http_client=http), mode=mode) as client:  # type: ignore[arg-type]
            yield client


def raw_client(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, timeout=CALL_TIMEOUT)


@pytest.mark.anyio
@pytest.mark.parametrize("stateless", [False, True], ids=["stateful", "stateless"])
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_tool_call_works_with_the_right_token(platform: SandboxPlatform, stateless: bool, mode: str) -> None:
    async with serve(platform, stateless=stateless) as running:
        with anyio.fail_after(CALL_TIMEOUT):
            async with mcp_client(running.mcp_url, token=TOKEN, mode=mode) as client:
                tools = await client.list_tools()
                result = await client.call_tool("check_permission", {})
    assert "list_recorded_calls" in {tool.name for tool in tools.tools}
    assert not result.is_error
    assert result.structured_content is not None
    assert result.structured_content["granted"] is True


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("authorization", "error"),
    [
        (None, None),
        ("Bearer wrong-token-0123456789abcdef", "invalid_token"),
        (f"Bearer {TOKEN}x", "invalid_token"),
        (f"Basic {TOKEN}", None),
        ("Bearer", None),
    ],
    ids=["missing", "wrong", "longer", "other-scheme", "empty"],
)
async def test_missing_or_wrong_token_is_401_with_a_bearer_challenge(
    platform: SandboxPlatform, authorization: str | None, error: str | None
) -> None:
    headers = dict(MCP_HEADERS)
    if authorization is not None:
        headers["Authorization"] = authorization
    async with serve(platform) as running, raw_client(running.url) as http:
        with anyio.fail_after(CALL_TIMEOUT):
            response = await http.post(MCP_PATH, json=INITIALIZE, headers=headers)
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="ringsense-mcp"')
    assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)
    assert TOKEN not in response.text


@pytest.mark.anyio
async def test_bearer_scheme_is_case_insensitive(platform: SandboxPlatform) -> None:
    async with serve(platform) as running, raw_client(running.url) as http:
        with anyio.fail_after(CALL_TIMEOUT):
            response = await http.post(
                MCP_PATH, json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": f"bearer {TOKEN}"}
            )
    assert response.status_code == 200


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("header", "value", "status"),
    [("Host", "evil.example", 421), ("Host", "evil.example:8000", 421), ("Origin", "https://evil.example", 403)],
)
async def test_dns_rebinding_is_refused(platform: SandboxPlatform, header: str, value: str, status: int) -> None:
    """Even with the right token: a foreign Host gets 421, a foreign Origin 403."""
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}", header: value}
    async with serve(platform) as running, raw_client(running.url) as http:
        with anyio.fail_after(CALL_TIMEOUT):
            response = await http.post(MCP_PATH, json=INITIALIZE, headers=headers)
    assert response.status_code == status


@pytest.mark.anyio
async def test_allowed_host_and_origin_admit_a_deployment_behind_a_real_hostname(platform: SandboxPlatform) -> None:
    headers = {
        **MCP_HEADERS,
        "Authorization": f"Bearer {TOKEN}",
        "Host": "mcp.example.com",
        "Origin": "https://app.example.com",
    }
    async with (
        serve(platform, allowed_hosts=("mcp.example.com",), allowed_origins=("https://app.example.com",)) as running,
        raw_client(running.url) as http,
    ):
        with anyio.fail_after(CALL_TIMEOUT):
            response = await http.post(MCP_PATH, json=INITIALIZE, headers=headers)
            other = await http.post(MCP_PATH, json=INITIALIZE, headers={**headers, "Host": "other.example.com"})
    assert response.status_code == 200
    assert other.status_code == 421


@pytest.mark.anyio
async def test_healthz_needs_no_token_and_reveals_nothing_secret(platform: SandboxPlatform) -> None:
    async with serve(platform) as running, raw_client(running.url) as http:
        with anyio.fail_after(CALL_TIMEOUT):
            response = await http.get(HEALTH_PATH)
            post = await http.post(HEALTH_PATH)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__, "mode": "sandbox"}
    assert post.status_code == 405


@pytest.mark.anyio
@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-authorization-server"]
)
async def test_oauth_discovery_finds_nothing_rather_than_a_401(platform: SandboxPlatform, path: str) -> None:
    """A static token is not OAuth: discovery gets a plain 404, so clients do not start a login flow."""
    async with serve(platform) as running, raw_client(running.url) as http:
        with anyio.fail_after(CALL_TIMEOUT):
            response = await http.get(path)
    assert response.status_code == 404


@pytest.mark.anyio
async def test_loopback_without_a_token_serves_without_auth(platform: SandboxPlatform) -> None:
    async with serve(platform, token=None) as running:
        with anyio.fail_after(CALL_TIMEOUT):
            async with mcp_client(running.mcp_url, token=None, mode="auto") as client:
                result = await client.call_tool("check_permission", {})
    assert not result.is_error


@pytest.mark.parametrize(
    ("token", "options", "message"),
    [
        (None, ["--host", "0.0.0.0"], "without authentication"),  # noqa: S104 - the refusal under test
        (None, ["--host", "192.0.2.10"], "without authentication"),
        ("short", [], "guessable"),
        (TOKEN, ["--host", "0.0.0.0", "--allowed-host", "bad host/x"], "--allowed-host"),  # noqa: S104
        (TOKEN, ["--allowed-origin", "app.example.com"], "--allowed-origin"),
    ],
    ids=["any-address", "lan-address", "short-token", "bad-allowed-host", "bad-allowed-origin"],
)
def test_unsafe_or_malformed_http_configuration_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    token: str | None,
    options: list[str],
    message: str,
) -> None:
    """Exit code 2 before anything binds."""
    if token is None:
        monkeypatch.delenv(HTTP_TOKEN_ENV, raising=False)
    else:
        monkeypatch.setenv(HTTP_TOKEN_ENV, token)
    args = parse_args(["serve", "--transport", "http", "--sandbox", "--port", "9", *options])
    code = serve_http(build_server(load_settings({"RINGSENSE_LIBRARY": "off"}, sandbox=True)), args)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert TOKEN not in err


@pytest.mark.anyio
async def test_the_server_connects_its_client_for_a_call_and_shutdown_revokes_its_token(
    platform: SandboxPlatform,
) -> None:
    async with serve(platform) as running:
        with anyio.fail_after(CALL_TIMEOUT):
            async with mcp_client(running.mcp_url, token=TOKEN, mode="legacy") as client:
                result = await client.call_tool("check_permission", {})
                status = await client.read_resource("ringsense://status")
        assert '"connected": true' in status.contents[0].text  # type: ignore[union-attr]
        assert not result.is_error
        assert platform.token_requests(), "the server's client should have signed in"
        assert not platform.requests_to("/restapi/oauth/revoke")
    assert len(platform.requests_to("/restapi/oauth/revoke")) == 1


class SignallingFaults(FaultInjector):
    """Sets `fired` when an armed fault is taken, i.e. when the faulted request reaches the sandbox."""

    def __init__(self) -> None:
        super().__init__()
        self.fired = anyio.Event()

    def take(self, method: str, path: str) -> Fault | None:
        fault = super().take(method, path)
        if fault is not None:
            self.fired.set()
        return fault


@pytest.mark.anyio
async def test_an_in_flight_call_finishes_during_graceful_shutdown(platform: SandboxPlatform) -> None:
    platform.faults = faults = SignallingFaults()
    faults.inject("*/authz-profile/check", Fault.delay(0.5))
    async with serve(platform) as running:
        outcome: dict[str, CallToolResult] = {}

        async def call() -> None:
            async with mcp_client(running.mcp_url, token=TOKEN, mode="auto") as client:
                await client.list_tools()  # the client validates results against the listed output schemas
                outcome["result"] = await client.call_tool("check_permission", {})

        with anyio.fail_after(CALL_TIMEOUT):
            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                await faults.fired.wait()  # the tool call is now waiting on the slow permission check
                running.uvicorn.should_exit = True
    assert not outcome["result"].is_error
    assert len(platform.requests_to("/restapi/oauth/revoke")) == 1


@pytest.mark.anyio
async def test_the_bearer_token_never_reaches_the_logs(
    platform: SandboxPlatform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "almost-" + TOKEN
    async with serve(platform) as running, raw_client(running.url) as http:
        with anyio.fail_after(CALL_TIMEOUT):
            await http.post(MCP_PATH, json=INITIALIZE, headers={**MCP_HEADERS, "Authorization": f"Bearer {wrong}"})
            async with mcp_client(running.mcp_url, token=TOKEN, mode="legacy") as client:
                await client.call_tool("check_permission", {})
    assert "refused POST /mcp" in caplog.text
    assert TOKEN not in caplog.text


@pytest.mark.anyio
async def test_the_http_server_syncs_its_library_in_the_background_and_searches_it(
    platform: SandboxPlatform, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    async with serve(platform, environ={"RINGSENSE_DATA_DIR": str(tmp_path)}) as running:
        with anyio.fail_after(CALL_TIMEOUT):
            async with mcp_client(running.mcp_url, token=TOKEN, mode="auto") as client:
                result = await client.call_tool("search_calls", {"query": "QuickBooks"})
    assert not result.is_error, result.content
    assert result.structured_content["calls"] and result.structured_content["coverage"]["indexed"] > 0
    assert (tmp_path / "library-sandbox.sqlite3").exists()


async def open_session(http: httpx.AsyncClient) -> httpx.Response:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"}
    async with http.stream("POST", MCP_PATH, json=INITIALIZE, headers=headers) as response:
        await response.aread()
    return response


@pytest.mark.anyio
async def test_max_sessions_refuses_one_more_session_with_503_and_keeps_the_open_one(platform: SandboxPlatform) -> None:
    async with serve(platform, max_sessions=1) as running, raw_client(running.url) as http:
        with anyio.fail_after(CALL_TIMEOUT):
            first = await open_session(http)
            second = await open_session(http)
            ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
            headers = {
                **MCP_HEADERS,
                "Authorization": f"Bearer {TOKEN}",
                "Mcp-Session-Id": first.headers["mcp-session-id"],
                "Mcp-Protocol-Version": "2025-11-25",
            }
            still_open = await http.post(MCP_PATH, json=ping, headers=headers)
    assert first.status_code == 200 and "mcp-session-id" in first.headers
    assert second.status_code == 503
    assert still_open.status_code == 200


@pytest.mark.anyio
async def test_an_idle_session_is_closed_after_the_timeout_and_frees_its_place(platform: SandboxPlatform) -> None:
    """With room for one session, a second client gets in once the first one's session has idled out."""
    async with serve(platform, max_sessions=1, session_idle_timeout=2.0) as running, raw_client(running.url) as http:
        with anyio.fail_after(CALL_TIMEOUT):
            first = await open_session(http)
            refused = 0
            # Each attempt opens no session while the first one holds the only place, and does not touch it.
            while (later := await open_session(http)).status_code == 503:
                refused += 1
                await anyio.sleep(0.05)
    assert first.status_code == 200
    assert later.status_code == 200 and later.headers["mcp-session-id"] != first.headers["mcp-session-id"]
    assert refused >= 1, "the idle session should have held its place at first"
