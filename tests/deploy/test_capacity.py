"""Sizing: memory per replica at idle and under 300 concurrent calls, and calls per second through the proxy.

The figures go to the deployment report (printed at the end of the run; `RINGSENSE_DEPLOY_REPORT=path.md` writes
them out) and docs/deploy.md quotes them. The test asserts what sizing depends on, not speed: no call fails, and
every replica stays inside the memory limit compose.yaml gives it.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from server.sandbox import serve_sandbox

from .cluster import REPO, running_cluster
from .load import call_concurrently, raw_requests
from .processes import cpu_seconds
from .report import REPORT
from .workload import ROOMY_LIMITS, cloned_platform, insight_fetches, mixed_calls

pytestmark = [pytest.mark.anyio, pytest.mark.deploy]

SECTION = "Sizing (three replicas behind nginx)"
CALLS = 300
RAW_REQUESTS = 600
RAW_CONNECTIONS = 24


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}


def compose_memory_limit_kib() -> int:
    """The `memory:` limit of the replicas in compose.yaml, in KiB."""
    match = re.search(r"^\s+memory:\s*(\d+)m\s*$", (REPO / "compose.yaml").read_text(), re.MULTILINE)
    assert match, "compose.yaml sets no memory limit for the replicas"
    return int(match.group(1)) * 1024


async def test_replicas_stay_inside_their_memory_limit_under_300_concurrent_calls(tmp_path: Path):
    platform, ids = cloned_platform(CALLS, rate_limits=ROOMY_LIMITS)
    async with (
        serve_sandbox(platform) as upstream,
        running_cluster(tmp_path, upstream=upstream, user=platform.dataset.users[0]) as cluster,
    ):
        idle = [replica.rss_kib() for replica in cluster.replicas]
        cpu = [sum(replica.cpu_seconds() for replica in cluster.replicas), cpu_seconds(os.getpid())]
        started = time.monotonic()
        cold = await call_concurrently(cluster, insight_fetches(ids), clients=30)
        cold_seconds = time.monotonic() - started
        loaded = [replica.rss_kib() for replica in cluster.replicas]
        started = time.monotonic()
        warm = await call_concurrently(cluster, mixed_calls(platform, CALLS), clients=30)
        warm_seconds = time.monotonic() - started
        after = [replica.rss_kib() for replica in cluster.replicas]
        log = cluster.logs()
        replicas_cpu = sum(replica.cpu_seconds() for replica in cluster.replicas) - cpu[0]
        test_cpu = cpu_seconds(os.getpid()) - cpu[1]
        # Requests per second through the proxy, with the cheapest client: raw JSON-RPC over keep-alive
        # connections, for insights every replica already holds (no platform request), then /healthz (the floor).
        fetches = [tool_call(name, arguments) for name, arguments in insight_fetches(ids)] * (RAW_REQUESTS // CALLS)
        raw_seconds, raw_failures = await raw_requests(cluster.url, fetches, connections=RAW_CONNECTIONS)
        health_url = f"{cluster.proxy.url}/healthz"
        health_seconds, health_failures = await raw_requests(
            health_url, [None] * RAW_REQUESTS, connections=RAW_CONNECTIONS
        )

    def mib(values: list[int]) -> str:
        return ", ".join(f"{value / 1024:.0f}" for value in values) + " MiB"

    load = os.getloadavg()[0]
    REPORT.add(SECTION, f"- RSS per replica at idle (started, no call yet): {mib(idle)}")
    REPORT.add(SECTION, f"- after {CALLS} concurrent insight fetches (each a cache miss): {mib(loaded)}")
    REPORT.add(SECTION, f"- after {CALLS} more concurrent calls of the five single-call tools: {mib(after)}")
    REPORT.add(
        SECTION,
        f"- {CALLS} concurrent cache-miss fetches through nginx: {cold_seconds:.1f} s ({CALLS / cold_seconds:.0f} "
        f"calls/s); {CALLS} mixed calls: {warm_seconds:.1f} s ({CALLS / warm_seconds:.0f} calls/s); "
        f"30 MCP clients in the test process, sandbox in the same process; 1-minute load average {load:.1f} "
        f"on {os.cpu_count()} cores",
    )
    REPORT.add(
        SECTION,
        f"- CPU time for those {2 * CALLS} calls: replicas {replicas_cpu:.1f} s together "
        f"({replicas_cpu / (2 * CALLS) * 1000:.0f} ms per call), the test process (clients and sandbox) "
        f"{test_cpu:.1f} s",
    )
    REPORT.add(
        SECTION,
        f"- raw JSON-RPC `tools/call` (cached insights) through nginx, {RAW_CONNECTIONS} keep-alive connections: "
        f"{len(fetches) / raw_seconds:.0f} requests/s; `GET /healthz` through nginx: "
        f"{RAW_REQUESTS / health_seconds:.0f} requests/s",
    )
    assert not cold.failures and not warm.failures, ((cold.failures + warm.failures)[:5], log)
    assert raw_failures == 0 and health_failures == 0
    limit = compose_memory_limit_kib()
    assert max(idle + loaded + after) < limit, f"a replica outgrew compose.yaml's {limit // 1024} MiB limit"
