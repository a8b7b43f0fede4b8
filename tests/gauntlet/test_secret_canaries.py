"""Distinctive credentials, driven through every tool and error path: none may surface anywhere.

The client secret, the JWT and the HTTP bearer token are canaries (values no code would produce by chance), and
the access and refresh tokens the sandbox issues are read from its state. The platform is made to echo them back
in error bodies, the way misbehaving gateways do. They must appear in no tool result, resource, prompt, log line
or error — in memory (caplog at DEBUG, without the CLI's redaction filter), over stdio and over HTTP (the
spawned process's stderr at DEBUG).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import PromptReference, ResourceTemplateReference

from server.sandbox import SANDBOX_CLIENT_ID, Fault, SandboxPlatform, create_sandbox_app, serve_sandbox
from server.sandboxed import SANDBOX_URL

from .harness import (
    REPORT,
    ROOMY_LIMITS,
    Upstream,
    dataset_with_jwt,
    free_port,
    gauntlet_server,
    subprocess_env,
    texts,
)

pytestmark = pytest.mark.anyio

SECTION = "4. Secret canaries"
CLIENT_SECRET = "CANARY-client-secret-4f1d8e2b9c7a"
JWT = "CANARY-jwt-eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LWNhbmFyeQ.9b2e7d"
MCP_TOKEN = "CANARY-mcp-bearer-0a7c3e91d5b2f468"
TOKEN_PATH = "/restapi/oauth/token"
GLOBS = {
    "check_permission": "*/authz-profile/check",
    "list_recorded_calls": "*/call-log",
    "get_insights_by_record": "*/records/*/insights",
    "get_insights_by_session": "*/sessions/*/insights",
    "render_transcript": "*/records/*/insights",
}


def tool_arguments(platform: SandboxPlatform, k: int) -> dict[str, dict[str, Any]]:
    """Arguments for each tool, on the k-th sample call: a spawned server caches insights, and a fault only
    fires on a request, so each error path reads a call the server has not cached yet."""
    ready = [c for c in platform.dataset.calls if c.domain == "pbx" and c.recordings]
    ready = [c for c in ready if all(r.insights for r in c.recordings)]
    call = ready[k % len(ready)]
    return {
        "check_permission": {},
        "list_recorded_calls": {"limit": 5},
        "get_insights_by_record": {"record_id": call.recordings[0].record_id},
        "get_insights_by_session": {"session_id": call.session_id},
        "render_transcript": {"record_id": call.recordings[0].record_id},
    }


def echo(platform: SandboxPlatform) -> str:
    """Text a leaky gateway might send back: the credentials a request could carry.

    That is the client secret, the JWT and the two newest access and refresh tokens (the one presented and its
    predecessor). Older tokens are expired or used up; the client only remembers its last 8 for scrubbing, so
    an echo of a long-dead token would pass (docs/reliability.md).
    """
    access, refresh = platform.issued_tokens("access")[-2:], platform.issued_tokens("refresh")[-2:]
    return f"client_secret={CLIENT_SECRET} assertion={JWT} tokens={' '.join(access + refresh)}"


@dataclass(frozen=True)
class ErrorPath:
    name: str
    on_token_endpoint: bool
    fault: Callable[[SandboxPlatform], Fault] | None
    times: int
    recovers: bool = False  # the client gets past it (retry, refresh, re-login)
    stdio: bool = True  # cheap enough for a real process (no multi-second real backoff)


def _legacy(code: str, platform: SandboxPlatform) -> dict[str, Any]:
    message = f"Request failed: {echo(platform)}"
    return {"errorCode": code, "message": message, "errors": [{"errorCode": code, "message": message}]}


def _oauth(error: str, platform: SandboxPlatform) -> dict[str, Any]:
    return {"error": error, "error_description": f"Refused: {echo(platform)}"}


ERROR_PATHS = [
    ErrorPath("400 echoing every credential", False, lambda p: Fault.status(400, body=_legacy("CMN-101", p)), 1),
    ErrorPath("403 echoing every credential", False, lambda p: Fault.status(403, body=_legacy("CMN-408", p)), 1),
    ErrorPath("404 echoing every credential", False, lambda p: Fault.status(404, body=_legacy("RAH-3001", p)), 1),
    ErrorPath("401 echoing the bearer token", False, lambda p: Fault.status(401, body=_legacy("OAU-128", p)), 1, True),
    ErrorPath(
        "500 ×1 echoing every credential", False, lambda p: Fault.status(500, body=_legacy("CMN-202", p)), 1, True
    ),
    ErrorPath(
        "500 always, echoing every credential",
        False,
        lambda p: Fault.status(500, body=_legacy("CMN-202", p)),
        4,
        stdio=False,
    ),
    # After a 429 the client holds the rate-limit group for 30 s: only where time is virtual.
    ErrorPath(
        "429 echoing every credential", False, lambda p: Fault.status(429, body=_legacy("CMN-301", p)), 1, stdio=False
    ),
    ErrorPath("malformed JSON", False, lambda p: Fault.malformed_json(), 1),
    ErrorPath("200 of the wrong shape, echoing", False, lambda p: Fault.json(200, {"records": echo(p)}), 1),
    ErrorPath("HTML error page ×1", False, lambda p: Fault.html_error(502), 1, True, stdio=False),
    ErrorPath(
        "refresh refused, echoing the refresh token",
        True,
        lambda p: Fault.status(400, _oauth("invalid_grant", p)),
        1,
        recovers=True,
    ),
    ErrorPath("JWT refused, echoing the JWT", True, lambda p: Fault.status(400, _oauth("invalid_grant", p)), 2),
    ErrorPath("invalid_client echoing the secret", True, lambda p: Fault.status(401, _oauth("invalid_client", p)), 2),
    ErrorPath("token endpoint drops the connection", True, lambda p: Fault.drop_connection(), 1),
]


def canary_platform() -> SandboxPlatform:
    return SandboxPlatform(dataset_with_jwt(JWT), rate_limits=ROOMY_LIMITS, client_secret=CLIENT_SECRET)


class Witness:
    """Everything the server said, to be searched for secrets at the end."""

    def __init__(self) -> None:
        self.outputs: list[str] = []
        self.calls = 0
        self.errors = 0
        self.outcomes: dict[tuple[str, str], bool] = {}

    def saw(self, text: str) -> None:
        self.outputs.append(text)

    def assert_error_paths_taken(self, paths: list[ErrorPath]) -> None:
        """Each failing path failed for at least 4 of the 5 tools (the faults fired; e.g. a 403 on the company
        call log falls back to the user's own log, so list_recorded_calls may succeed)."""
        for path in paths:
            failed = sum(self.outcomes[(tool, path.name)] for tool in GLOBS)
            assert failed >= (0 if path.recovers else 4), f"{path.name}: failed for {failed} tools"
            if path.recovers:
                assert failed == 0, f"{path.name}: should recover, failed for {failed} tools"

    def secrets_in(self, platform: SandboxPlatform, *extra: str) -> list[str]:
        secrets = [CLIENT_SECRET, JWT, *platform.issued_tokens(), *extra]
        found = []
        for secret in secrets:
            for text in self.outputs:
                if secret in text:
                    at = text.index(secret)
                    found.append(f"{secret[:8]}… in {text[max(0, at - 160) : at + 60]!r}")
                    break
        return found


async def drive(
    client: Client,
    platform: SandboxPlatform,
    witness: Witness,
    paths: list[ErrorPath],
    wait: Callable[[float], None] | None = None,
) -> None:
    """Every tool clean and through every error path, then resources, prompts and completions.

    `wait` is called with an error's retry_after (virtual time in memory)."""
    for tool in GLOBS:
        for k, path in enumerate([None, *paths]):
            args = tool_arguments(platform, k)[tool]
            if path is not None:
                if path.on_token_endpoint:
                    platform.expire_access_tokens()
                where = TOKEN_PATH if path.on_token_endpoint else GLOBS[tool]
                assert path.fault is not None
                platform.faults.inject(where, path.fault(platform), times=path.times)
            with anyio.fail_after(30):
                result = await client.call_tool(tool, args)
            platform.faults.clear()
            witness.calls += 1
            witness.errors += bool(result.is_error)
            witness.outcomes[(tool, path.name if path else "clean")] = bool(result.is_error)
            witness.saw(texts(result))
            witness.saw(json.dumps(result.structured_content))
            if wait is not None and (match := re.search(r"retry_after=(\d+)", texts(result))):
                wait(float(match.group(1)))
            if path is None:
                assert not result.is_error, texts(result)
    arguments = tool_arguments(platform, 0)
    record_id = arguments["get_insights_by_record"]["record_id"]
    session_id = arguments["get_insights_by_session"]["session_id"]
    for uri in (
        "ringsense://status",
        f"ringsense://pbx/records/{record_id}",
        f"ringsense://pbx/records/{record_id}/transcript",
        f"ringsense://pbx/sessions/{session_id}",
        "ringsense://pbx/records/0000000000",
    ):
        platform.faults.inject("*/insights", Fault.status(403, body=_legacy("RAH-3005", platform)), times=1)
        try:
            result = await client.read_resource(uri)
            witness.saw(" ".join(getattr(c, "text", "") for c in result.contents))
        except MCPError as err:
            witness.saw(f"{err.error.message} {err.error.data}")
        platform.faults.clear()
    prompts = await client.list_prompts()
    for prompt in prompts.prompts:
        args = {a.name: ("2026-01-01" if "date" in a.name else record_id) for a in prompt.arguments or []}
        witness.saw(str((await client.get_prompt(prompt.name, args)).messages))
    completion = await client.complete(
        ResourceTemplateReference(uri="ringsense://{domain}/records/{record_id}"), {"name": "record_id", "value": ""}
    )
    witness.saw(str(completion.completion.values))
    witness.saw(str(await client.complete(PromptReference(name="call_recap"), {"name": "record_id", "value": "2"})))


async def test_no_credential_reaches_output_or_logs_in_memory(caplog):
    caplog.set_level(logging.DEBUG)
    platform = canary_platform()
    transport = httpx.ASGITransport(app=create_sandbox_app(platform))
    upstream = Upstream(
        url=SANDBOX_URL, user=platform.dataset.users[0], client_secret=CLIENT_SECRET, transport=transport
    )
    witness = Witness()
    async with Client(gauntlet_server(upstream, log_level="DEBUG")) as client:
        await drive(client, platform, witness, ERROR_PATHS, wait=upstream.time.advance)
    logged = [
        r.getMessage() + (logging.Formatter().formatException(r.exc_info) if r.exc_info else "") for r in caplog.records
    ]
    witness.outputs += logged
    tokens = platform.issued_tokens()
    assert len(tokens) >= 4, "the sandbox issued tokens (the check is not vacuous)"
    witness.assert_error_paths_taken(ERROR_PATHS)
    leaked = witness.secrets_in(platform)
    REPORT.add(
        SECTION,
        f"- in memory: {witness.calls} tool calls ({witness.errors} errors) through {len(ERROR_PATHS)} error paths, "
        f"5 resources, 5 prompts, 2 completions, {len(logged)} log records at DEBUG; {len(tokens)} issued tokens "
        f"+ client secret + JWT searched: {len(leaked)} found",
    )
    assert not leaked, f"credentials surfaced: {leaked}"


async def test_no_credential_reaches_output_or_stderr_over_stdio(tmp_path: Path):
    platform = canary_platform()
    stderr_path = tmp_path / "stderr.txt"
    witness = Witness()
    paths = [p for p in ERROR_PATHS if p.stdio]
    async with serve_sandbox(platform) as url:
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "server", "serve", "--log-level", "DEBUG"],
            env=subprocess_env(
                RC_SERVER_URL=url,
                RC_APP_CLIENT_ID=SANDBOX_CLIENT_ID,
                RC_APP_CLIENT_SECRET=CLIENT_SECRET,
                RC_USER_JWT=JWT,
            ),
        )
        with stderr_path.open("w") as errlog, anyio.fail_after(120):
            async with Client(stdio_client(params, errlog=errlog)) as client:
                await drive(client, platform, witness, paths)
    stderr = stderr_path.read_text()
    witness.saw(stderr)
    assert "GET /restapi/v1.0/account/~/extension/~/authz-profile/check" in stderr, "stderr holds DEBUG logs"
    witness.assert_error_paths_taken(paths)
    leaked = witness.secrets_in(platform)
    REPORT.add(
        SECTION,
        f"- stdio (`python -m server serve --log-level DEBUG`, RC_SERVER_URL on loopback): {witness.calls} tool "
        f"calls ({witness.errors} errors) through {len(paths)} error paths, resources, prompts, completions, "
        f"{len(stderr.splitlines())} stderr lines; {len(leaked)} credentials found",
    )
    assert not leaked, f"credentials surfaced: {leaked}"


async def test_no_credential_or_bearer_token_reaches_output_or_stderr_over_http(tmp_path: Path):
    platform = canary_platform()
    stderr_path = tmp_path / "stderr.txt"
    witness = Witness()
    port = free_port()
    paths = [p for p in ERROR_PATHS if p.stdio]
    async with serve_sandbox(platform) as url:
        env = subprocess_env(
            RC_SERVER_URL=url,
            RC_APP_CLIENT_ID=SANDBOX_CLIENT_ID,
            RC_APP_CLIENT_SECRET=CLIENT_SECRET,
            RC_USER_JWT=JWT,
            RINGSENSE_MCP_TOKEN=MCP_TOKEN,
        )
        command = [sys.executable, "-m", "server", "serve", "--transport", "http", "--port", str(port)]
        with stderr_path.open("w") as errlog, anyio.fail_after(120):
            async with await anyio.open_process([*command, "--log-level", "DEBUG"], env=env, stderr=errlog) as process:
                try:
                    base = f"http://127.0.0.1:{port}"
                    await wait_until_healthy(base)
                    async with httpx.AsyncClient(base_url=base, timeout=10) as raw:
                        for presented in (f"Bearer {MCP_TOKEN}x", f"Bearer {MCP_TOKEN[:-1]}", f"Basic {MCP_TOKEN}"):
                            refused = await raw.post("/mcp", json={}, headers={"Authorization": presented})
                            assert refused.status_code == 401
                            witness.saw(refused.text + str(refused.headers))
                    headers = {"Authorization": f"Bearer {MCP_TOKEN}"}
                    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
                        async with Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
                            await drive(client, platform, witness, paths)
                finally:
                    process.terminate()
                    await process.wait()
    stderr = stderr_path.read_text()
    witness.saw(stderr)
    assert "refused POST /mcp" in stderr and "wrong bearer token" in stderr, "stderr holds the server's logs"
    leaked = witness.secrets_in(platform, MCP_TOKEN, MCP_TOKEN[:-1])
    REPORT.add(
        SECTION,
        f"- HTTP (`serve --transport http --log-level DEBUG`, RINGSENSE_MCP_TOKEN canary, 3 near-miss bearer "
        f"tokens refused): {witness.calls} tool calls ({witness.errors} errors), resources, prompts, completions, "
        f"{len(stderr.splitlines())} stderr lines; {len(leaked)} credentials found",
    )
    assert not leaked, f"credentials surfaced: {leaked}"


async def wait_until_healthy(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=2) as http:
        with anyio.fail_after(30):
            while True:
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await anyio.sleep(0.05)  # bounded by fail_after: the process is starting


async def test_a_credential_cut_by_the_quote_limit_is_not_half_shown():
    """The platform's message is quoted up to 300 characters; a token straddling the cut must not leak a prefix."""
    platform = canary_platform()
    transport = httpx.ASGITransport(app=create_sandbox_app(platform))
    upstream = Upstream(
        url=SANDBOX_URL, user=platform.dataset.users[0], client_secret=CLIENT_SECRET, transport=transport
    )
    async with Client(gauntlet_server(upstream)) as client:
        assert not (await client.call_tool("check_permission", {})).is_error
        token = platform.issued_tokens("access")[-1]
        for padding in (250, 270, 290):
            message = "p" * padding + " " + token
            body = {
                "errorCode": "CMN-101",
                "message": message,
                "errors": [{"errorCode": "CMN-101", "message": message}],
            }
            platform.faults.inject(GLOBS["check_permission"], Fault.status(400, body=body), times=1)
            text = texts(await client.call_tool("check_permission", {}))
            shown = [token[:n] for n in (12, 16, 24, 32) if token[:n] in text]
            assert not shown, f"a {len(shown[-1])}-character prefix of the access token is shown: {text[-120:]}"
