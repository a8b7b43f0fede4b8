"""2,000 tool calls from 50 concurrent MCP clients over Streamable HTTP against the real server process.

The server runs as `python -m server serve --transport http` (a subprocess, so its memory is its own) against a
sandbox on loopback whose rate limits no test reaches: `serve --sandbox` embeds a sandbox that enforces the real
limits (Light 50/min), which a load test would only measure (docs/reliability.md, hooks).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, serve_sandbox
from tests.server.conftest import find_call

from .harness import DATASET, REPORT, ROOMY_LIMITS, free_port, subprocess_env, texts
from .test_secret_canaries import wait_until_healthy

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SECTION = "7. Load over HTTP"
CLIENTS = 50
CALLS_PER_CLIENT = 40  # 2,000 in all
WARM_UP_PER_CLIENT = 4
TOKEN = "load-test-bearer-token-0123456789"
MAX_GROWTH = 1.2


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/<pid>/status")


def calls_for(platform: SandboxPlatform, client_number: int, count: int) -> list[tuple[str, dict[str, object]]]:
    ready = [c for c in platform.dataset.calls if c.domain == "pbx" and c.recordings]
    ready = [c for c in ready if all(r.insights for r in c.recordings)]
    long_call = find_call(platform, "long-call").recordings[0].record_id
    calls: list[tuple[str, dict[str, object]]] = []
    for i in range(count):
        call = ready[(client_number + i) % len(ready)]
        record_id = call.recordings[0].record_id
        calls.append(
            [
                ("check_permission", {}),
                ("list_recorded_calls", {"limit": 10}),
                ("get_insights_by_record", {"record_id": record_id}),
                ("get_insights_by_session", {"session_id": call.session_id}),
                (
                    "render_transcript",
                    {"record_id": record_id, "format": ("compact", "text", "markdown", "srt", "vtt")[i % 5]},
                ),
                ("render_transcript", {"record_id": long_call, "offset": (i * 37) % 300, "limit": 50}),
            ][i % 6]
        )
    return calls


async def test_2000_calls_from_50_concurrent_clients_all_succeed_and_memory_stays_flat(tmp_path: Path):
    platform = SandboxPlatform(DATASET, rate_limits=ROOMY_LIMITS)
    user = platform.dataset.users[0]
    port = free_port()
    latencies: list[float] = []
    failures: list[str] = []
    async with serve_sandbox(platform) as upstream:
        env = subprocess_env(
            RC_SERVER_URL=upstream,
            RC_APP_CLIENT_ID=SANDBOX_CLIENT_ID,
            RC_APP_CLIENT_SECRET=SANDBOX_CLIENT_SECRET,
            RC_USER_JWT=user.jwt,
            RINGSENSE_MCP_TOKEN=TOKEN,
        )
        command = [sys.executable, "-m", "server", "serve", "--transport", "http", "--port", str(port)]
        with (tmp_path / "stderr.txt").open("w") as errlog, anyio.fail_after(900):
            async with await anyio.open_process(command, env=env, stderr=errlog) as process:
                try:
                    base = f"http://127.0.0.1:{port}"
                    await wait_until_healthy(base)
                    warmed = anyio.Event()
                    measured = anyio.Event()
                    ready = 0
                    rss: dict[str, int] = {}

                    async def one_client(number: int) -> None:
                        nonlocal ready
                        headers = {"Authorization": f"Bearer {TOKEN}"}
                        async with httpx2.AsyncClient(headers=headers, timeout=120) as http:
                            async with Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
                                for name, arguments in calls_for(platform, number, WARM_UP_PER_CLIENT):
                                    assert not (await client.call_tool(name, arguments)).is_error
                                ready += 1
                                if ready == CLIENTS:
                                    warmed.set()
                                await measured.wait()
                                for name, arguments in calls_for(platform, number + 7, CALLS_PER_CLIENT):
                                    started = time.monotonic()
                                    try:
                                        result = await client.call_tool(name, arguments)
                                    except Exception as err:  # any transport failure is a failed call
                                        failures.append(f"{name}: {type(err).__name__}: {err}")
                                        continue
                                    latencies.append(time.monotonic() - started)
                                    if result.is_error:
                                        failures.append(f"{name}: {texts(result)[:200]}")

                    started = 0.0
                    async with anyio.create_task_group() as clients:
                        for number in range(CLIENTS):
                            clients.start_soon(one_client, number)
                        await warmed.wait()
                        rss["warm"] = resident_kib(process.pid)
                        started = time.monotonic()
                        measured.set()
                    elapsed = time.monotonic() - started
                    rss["after"] = resident_kib(process.pid)
                finally:
                    process.terminate()
                    await process.wait()
    total = CLIENTS * CALLS_PER_CLIENT
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95)] if latencies else 0.0
    REPORT.add(
        SECTION,
        f"- {total} tool calls from {CLIENTS} concurrent clients (Streamable HTTP, bearer token, 6-call mix) in "
        f"{elapsed:.1f} s ({total / elapsed:.0f} calls/s): {len(failures)} failures; latency median "
        f"{statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms",
    )
    REPORT.add(
        SECTION,
        f"- server RSS after warm-up ({CLIENTS * WARM_UP_PER_CLIENT} calls) {rss['warm'] / 1024:.1f} MiB, after the "
        f"run {rss['after'] / 1024:.1f} MiB (×{rss['after'] / rss['warm']:.2f}; limit ×{MAX_GROWTH}); "
        f"{len(platform.requests)} requests reached the sandbox",
    )
    assert not failures, failures[:5]
    assert len(latencies) == total
    assert rss["after"] <= MAX_GROWTH * rss["warm"], rss
