"""Replicas as real processes sharing a real redis-server, against the sandbox served by uvicorn on loopback."""

from __future__ import annotations

import itertools
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from server.ringsense import InsightType
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, serve_sandbox
from tests.redis_server import RedisServer

from ..conftest import FULL_JWT, roomy_sandbox

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[3]
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
REPLICAS = 3
START_TIMEOUT = 60.0  # three Python processes importing the server on a busy two-core machine


class Replica:
    def __init__(self, process: Process) -> None:
        assert process.stdout is not None and process.stdin is not None
        self.process = process
        self._lines = BufferedByteReceiveStream(process.stdout)

    async def line(self) -> str:
        return (await self._lines.receive_until(b"\n", 1 << 20)).decode()

    async def run(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        await self.process.stdin.send(json.dumps(command).encode() + b"\n")
        return json.loads(await self.line())


@asynccontextmanager
async def replicas(
    server_url: str, redis_url: str, *args: str, jwt: str = FULL_JWT, count: int = REPLICAS
) -> AsyncIterator[list[Replica]]:
    """`count` replica processes, each ready (logged in and one permission check done)."""
    env = {
        **os.environ,
        "RC_SERVER_URL": server_url,
        "RC_APP_CLIENT_ID": SANDBOX_CLIENT_ID,
        "RC_APP_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "RC_USER_JWT": jwt,
        "RINGSENSE_REDIS_URL": redis_url,
    }
    command = [sys.executable, "-m", "tests.ringsense.shared.replica", *args]
    async with AsyncExitStack() as stack:
        started: list[Replica] = []
        for _ in range(count):
            process = await anyio.open_process(command, cwd=ROOT, env=env, stderr=None)
            stack.push_async_callback(stop, process)
            started.append(Replica(process))
        with anyio.fail_after(START_TIMEOUT):
            for replica in started:
                assert await replica.line() == "ready"
        yield started


async def stop(process: Process) -> None:
    if process.returncode is None and process.stdin is not None:
        await process.stdin.send(b"\n")
    with anyio.move_on_after(10) as waiting:
        await process.wait()
    if waiting.cancelled_caught:
        process.kill()
        await process.wait()


async def everywhere(group: list[Replica], commands: Callable[[int], dict[str, Any]]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = [{}] * len(group)

    async def one(index: int) -> None:
        results[index] = await group[index].run(commands(index))

    async with anyio.create_task_group() as tasks:
        for index in range(len(group)):
            tasks.start_soon(one, index)
    return results


@roomy_sandbox
async def test_replica_processes_log_in_once_and_renew_once_at_a_forced_expiry_under_300_calls(
    platform: SandboxPlatform, served_url: str, redis_server: RedisServer
) -> None:
    async with replicas(served_url, redis_server.url) as group:
        assert [r.grant_type for r in platform.token_requests()] == [JWT_GRANT]  # three started, one logged in
        platform.clear_requests()
        platform.expire_access_tokens()

        with anyio.fail_after(60):
            results = await everywhere(group, lambda _: {"permission": 100})
        assert [r["failed"] for r in results] == [[]] * REPLICAS
        assert sum(r["ok"] for r in results) == 300
        assert [r.grant_type for r in platform.token_requests()] == ["refresh_token"]
    assert platform.requests_to("/oauth/revoke") == []  # the shared session outlives every replica


def distinct_fetches(platform: SandboxPlatform, count: int) -> list[tuple[str, list[str]]]:
    """`count` insight requests no cache can answer for another: each recording with its own set of types."""
    records = [r.record_id for c in platform.dataset.calls if c.domain == "pbx" for r in c.recordings if r.insights]
    kinds = [k.value for k in InsightType]
    sets = [[kind] for kind in kinds] + [list(pair) for pair in itertools.combinations(kinds, 2)]
    fetches = [(record, types) for types in sets for record in records]
    assert len(fetches) >= count
    return fetches[:count]


async def burst_within_budget(fetches: int, light: int, window: float, redis_url: str) -> SandboxPlatform:
    platform = SandboxPlatform(rate_limits={"Light": light, "Auth": 1000}, rate_limit_window=window)
    work = distinct_fetches(platform, fetches)
    jwt = platform.users[0].jwt
    async with serve_sandbox(platform) as url, replicas(url, redis_url, str(window), str(light), jwt=jwt) as group:
        platform.clear_requests()
        with anyio.fail_after(60 + 2 * window * fetches / light):
            results = await everywhere(group, lambda index: {"insights": work[index::REPLICAS]})
    assert [r["failed"] for r in results] == [[]] * REPLICAS
    assert sum(r["ok"] for r in results) == fetches
    statuses = [r.status for r in platform.requests_to("/insights")]
    assert (len(statuses), statuses.count(429)) == (fetches, 0)
    return platform


async def test_a_burst_of_insight_fetches_across_replica_processes_draws_no_429(redis_server: RedisServer) -> None:
    await burst_within_budget(fetches=60, light=20, window=1.0, redis_url=redis_server.url)


@pytest.mark.slow
async def test_a_burst_of_200_insight_fetches_across_replica_processes_draws_no_429(redis_server: RedisServer) -> None:
    await burst_within_budget(fetches=200, light=50, window=5.0, redis_url=redis_server.url)
