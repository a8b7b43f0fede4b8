"""Three real replica processes with live events and one Redis: one push subscription, and no event lost when
its holder is killed.

Each replica is `ringsense-mcp serve --transport http --stateless` in live mode with RINGSENSE_EVENTS=1, against the
sandbox served by uvicorn on loopback (REST and its WebSocket gateway) and a real redis-server. The events lease
is scaled down to 3 s (RINGSENSE_EVENTS_LEASE_TTL), so a dead holder is replaced within about 4 s; a live holder
renews it every second, so a busy machine would have to stall a replica for 2 s to make it lapse.
"""

from __future__ import annotations

import json
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from anyio.abc import Process

from server.live_events import RECENT_EVENTS_URI
from server.sandbox import SANDBOX_CLIENT_SECRET, SandboxPlatform, serve_sandbox
from tests.redis_server import RedisServer

from .replica_process import START_TIMEOUT, STOP_TIMEOUT, replica_environment, replica_process
from .test_http import mcp_client

pytestmark = pytest.mark.anyio

TAKEOVER_BOUND = 10.0  # what the deployment promises: another replica holds the subscription within this
EVENT_WAIT = 30.0


@dataclass
class Replica:
    url: str
    process: Process
    log: Path

    async def recent(self) -> dict[str, Any]:
        async with mcp_client(self.url, token=None, mode="auto") as client:
            result = await client.read_resource(RECENT_EVENTS_URI)
        recent: dict[str, Any] = json.loads(result.contents[0].text)  # type: ignore[union-attr]
        return recent


@asynccontextmanager
async def replica(environment: dict[str, str], log: Path) -> AsyncIterator[Replica]:
    async with replica_process(environment, log) as (url, process):
        yield Replica(url, process, log)


async def roles(replicas: list[Replica]) -> list[str | None]:
    return [(await r.recent()).get("replica_role") for r in replicas]


async def poll(what: str, check: Any, within: float) -> float:
    """Wait until `await check()` is true; returns the seconds it took. Polls other processes, bounded."""
    started = anyio.current_time()
    try:
        with anyio.fail_after(within):
            while not await check():  # noqa: ASYNC110 - other processes, seen over HTTP: nothing to wait on
                await anyio.sleep(0.1)
    except TimeoutError:
        pytest.fail(f"waited {within:g} s for {what}", pytrace=False)
    return anyio.current_time() - started


async def test_killing_the_subscription_holder_hands_it_over_within_the_bound_and_loses_no_event(
    platform: SandboxPlatform, redis_server: RedisServer, tmp_path: Path
) -> None:
    jwt = platform.users[0].jwt
    async with AsyncExitStack() as stack:
        served = await stack.enter_async_context(serve_sandbox(platform))
        control = await stack.enter_async_context(httpx.AsyncClient(base_url=served))
        environment = replica_environment(
            served, jwt, redis_server.url, tmp_path, RINGSENSE_EVENTS="1", RINGSENSE_EVENTS_LEASE_TTL="3"
        )
        logs = [tmp_path / f"replica-{n}.log" for n in range(3)]
        async with anyio.create_task_group() as starting:  # start the three side by side

            async def start(log: Path) -> None:
                replicas.append(await stack.enter_async_context(replica(environment, log)))

            replicas: list[Replica] = []
            for log in logs:
                starting.start_soon(start, log)

        async def complete() -> str:
            response = await control.post("/sandbox/v1/analysis-complete", json={"domain": "pbx"})
            assert response.status_code == 200, response.text
            record: str = response.json()["sourceRecordId"]
            return record

        async def one_holder() -> bool:
            return platform.push.active_subscriptions() == 1 and (await roles(replicas)).count("holder") == 1

        await poll("one holder", one_holder, START_TIMEOUT)
        before = await complete()

        await poll("the first event on every replica", lambda: all_seen(replicas, [before]), EVENT_WAIT)

        [holder] = [r for r, role in zip(replicas, await roles(replicas), strict=True) if role == "holder"]
        survivors = [r for r in replicas if r is not holder]
        holder.process.send_signal(signal.SIGKILL)
        killed_at = datetime.now(UTC)
        with anyio.fail_after(STOP_TIMEOUT):
            await holder.process.wait()
        missed = [await complete(), await complete()]  # emitted while the holder is dead

        async def taken_over() -> bool:
            return "holder" in await roles(survivors)

        took = await poll("a new holder", taken_over, TAKEOVER_BOUND)
        await poll("the missed events", lambda: all_seen(survivors, missed), EVENT_WAIT)
        recent = await survivors[0].recent()
        after_roles = await roles(survivors)
        subscriptions = platform.push.active_subscriptions()

    assert took <= TAKEOVER_BOUND
    assert sorted(after_roles, key=str) == ["follower", "holder"]
    assert subscriptions == 1
    # Recovery replayed what the gateway buffered: every missed event is in the survivors' feed itself...
    seen = {event["record_id"] for event in recent["events"]}
    assert {before, *missed} <= seen
    # ...and the handover window is reported for the library to check against the call log as well.
    # (A holder stalled past the lease would be replaced too, and report its own handover: every gap is one.)
    gaps = recent["gaps"]
    assert gaps and all("its session was recovered" in gap["reason"] for gap in gaps)
    assert any(
        datetime.fromisoformat(gap["since"]) <= killed_at <= datetime.fromisoformat(gap["until"]) for gap in gaps
    )

    logged = "".join(log.read_text(errors="replace") for log in logs)
    secrets = [*platform.issued_tokens(), jwt, SANDBOX_CLIENT_SECRET]
    assert [secret for secret in secrets if secret in logged] == []
    assert "wsc=" not in logged.replace("wsc=REDACTED", "")


async def all_seen(replicas: list[Replica], records: list[str]) -> bool:
    for replica in replicas:
        seen = {event["record_id"] for event in (await replica.recent())["events"]}
        if not set(records) <= seen:
            return False
    return True
