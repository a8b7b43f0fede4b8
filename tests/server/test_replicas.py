"""Stateless HTTP replicas sharing Redis: any replica answers any request, with one RingCentral session.

Two real `ringsense-mcp serve --transport http --stateless` processes, configured only through the environment
(RC_* and RINGSENSE_REDIS_URL), against the sandbox served by uvicorn on loopback and a real redis-server.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import anyio
import pytest
from mcp import Client

from server.cli import parse_args, replica_warnings
from server.config import load_settings
from server.runtime import Runtime
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, serve_sandbox
from tests.redis_server import RedisServer

from .conftest import find_call
from .replica_process import replica_environment, replica_process
from .test_http import mcp_client

pytestmark = pytest.mark.anyio

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@asynccontextmanager
async def replica(environment: dict[str, str], log: Path) -> AsyncIterator[str]:
    """One stateless HTTP replica on a free loopback port; yields its MCP URL. Its stderr goes to `log`."""
    async with replica_process(environment, log) as (url, _process):
        yield url


async def test_stateless_replicas_answer_alternate_requests_with_one_session_and_pages_that_continue(
    platform: SandboxPlatform, redis_server: RedisServer, tmp_path: Path
) -> None:
    record_id = find_call(platform, "sales-discovery").recordings[0].record_id
    jwt = platform.users[0].jwt
    async with serve_sandbox(platform) as served_url:
        await drive_two_replicas(platform, served_url, redis_server, record_id, jwt, tmp_path)


async def drive_two_replicas(
    platform: SandboxPlatform, served_url: str, redis_server: RedisServer, record_id: str, jwt: str, tmp_path: Path
) -> None:
    environment = replica_environment(served_url, jwt, redis_server.url, tmp_path)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    async with AsyncExitStack() as stack:
        urls = ["", ""]

        async def start(index: int) -> None:
            urls[index] = await stack.enter_async_context(replica(environment, logs[index]))

        async with anyio.create_task_group() as starting:  # side by side: a start-up is mostly Python importing
            for index in range(len(logs)):
                starting.start_soon(start, index)
        clients: list[Client] = [
            await stack.enter_async_context(mcp_client(url, token=None, mode="auto")) for url in urls
        ]
        with anyio.fail_after(60):
            for round_ in range(6):
                result = await clients[round_ % 2].call_tool("check_permission", {})
                assert not result.is_error
            first = await clients[0].call_tool("render_transcript", {"record_id": record_id, "limit": 1})
            assert first.structured_content is not None
            offset = first.structured_content["next_offset"]
            assert offset == 1
            here = await clients[0].call_tool(
                "render_transcript", {"record_id": record_id, "offset": offset, "limit": 1}
            )
            there = await clients[1].call_tool(
                "render_transcript", {"record_id": record_id, "offset": offset, "limit": 1}
            )

    assert there.structured_content == here.structured_content  # page 2 is the same whichever replica serves it
    assert len(platform.requests_to(f"/records/{record_id}/insights")) == 1  # the second replica read Redis
    assert [r.grant_type for r in platform.token_requests()] == [JWT_GRANT]
    assert platform.requests_to("/oauth/revoke") == []

    logged = "".join(log.read_text(errors="replace") for log in logs)
    secrets = [*platform.issued_tokens(), jwt, SANDBOX_CLIENT_SECRET]
    assert [secret for secret in secrets if secret in logged] == []


async def test_sandbox_mode_ignores_a_redis_url_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    """Every sandbox process has a platform of its own: a token shared between them would be refused by the others."""
    settings = load_settings({"RINGSENSE_REDIS_URL": "redis://127.0.0.1:1/0"}, sandbox=True)
    with anyio.fail_after(30):
        async with Runtime(settings).open() as runtime:
            await runtime.deps()  # connects, as the first tool call does
            status = runtime.status()
    assert "shared_state" not in status
    assert "RINGSENSE_REDIS_URL is ignored in sandbox mode" in caplog.text


async def test_the_status_names_the_shared_redis_without_its_password(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    environ = {
        "RC_SERVER_URL": "http://127.0.0.1:1",  # never asked: connecting the runtime makes no request
        "RC_APP_CLIENT_ID": SANDBOX_CLIENT_ID,
        "RC_APP_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "RC_USER_JWT": "canary-jwt-status-test",
        "RINGSENSE_REDIS_URL": redis_server.url.replace("redis://", "redis://:canary-redis-pw@"),
    }
    caplog.set_level("INFO")
    async with Runtime(load_settings(environ)).open() as runtime:
        await runtime.deps()
        status = runtime.status()
    assert status["shared_state"] == {"backend": "redis", "server": redis_server.url, "reachable": True}
    assert "canary-redis-pw" not in caplog.text + str(status)


@pytest.mark.parametrize(
    ("argv", "redis", "warned"),
    [
        (["serve", "--transport", "http"], True, True),
        (["serve", "--transport", "http", "--stateless"], True, False),
        (["serve", "--transport", "http"], False, False),
        (["serve"], True, False),
    ],
    ids=["stateful-with-redis", "stateless-with-redis", "stateful-alone", "stdio-with-redis"],
)
def test_a_replica_sharing_redis_with_stateful_sessions_is_told_to_use_stateless(
    argv: list[str], redis: bool, warned: bool
) -> None:
    warnings = replica_warnings(parse_args(argv), redis=redis)
    assert bool(warnings) == warned
    assert all("--stateless" in warning for warning in warnings)


async def run_check(environment: dict[str, str]) -> str:
    with anyio.fail_after(60):
        result = await anyio.run_process([sys.executable, "-m", "server", "check"], env=environment, check=False)
    return result.stdout.decode() + result.stderr.decode()


async def test_the_doctor_reports_the_shared_redis_and_its_token_without_showing_either_secret(
    platform: SandboxPlatform, redis_server: RedisServer, private_redis: RedisServer, tmp_path: Path
) -> None:
    jwt = platform.users[0].jwt
    async with serve_sandbox(platform) as served_url:
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "RC_SERVER_URL": served_url,
            "RC_APP_CLIENT_ID": SANDBOX_CLIENT_ID,
            "RC_APP_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            "RC_USER_JWT": jwt,
            "RINGSENSE_REDIS_URL": redis_server.url,
        }
        private_redis.stop()
        outputs: dict[str, str] = {}

        async def check(name: str, redis_url: str) -> None:
            outputs[name] = await run_check({**environment, "RINGSENSE_REDIS_URL": redis_url})

        async with anyio.create_task_group() as checks:  # side by side: each is mostly a process importing
            checks.start_soon(check, "healthy", redis_server.url)
            checks.start_soon(check, "unreachable", private_redis.url)
        healthy, unreachable = outputs["healthy"], outputs["unreachable"]

    assert f"✔ shared state: Redis at {redis_server.url} answers; no shared token yet" in healthy
    assert "Verdict: READY" in healthy
    assert f"✘ shared state: Redis at {private_redis.url} does not answer" in unreachable
    assert "Verdict: NOT READY" in unreachable
    secrets = [*platform.issued_tokens(), jwt, SANDBOX_CLIENT_SECRET]
    assert [secret for secret in secrets if secret in healthy + unreachable] == []
