"""Tool calls over stdio against a sandbox on loopback: cache hit, cache miss, 50 concurrent calls, output sizes.

One `bench.echo_server` process (our server plus an `echo` tool) runs in live mode against a sandbox served by
uvicorn on 127.0.0.1, exactly as it would talk to RingCentral. Each cache miss asks for a recording the server
has never fetched: the sandbox holds copies of the reference call under fresh ids, so every miss does the same
work as the first fetch of the real call.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from bench.data import bench_platform, reference_record
from bench.results import Measure, median
from bench.rpc import StdioSession, child_env, module_command, text_of
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, Fault, serve_sandbox

INSIGHTS_PATH = "/ai/ringsense/v1/public/accounts/~/domains/pbx/records/{id}/insights"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
UPSTREAM_DELAY = 0.1  # seconds injected before every insights answer in the concurrency measure
CONCURRENT_CALLS = 50


@dataclass(frozen=True)
class StdioConfig:
    rounds: int  # hit / miss / echo / raw GET rounds
    concurrency_rounds: int


class _Ids:
    def __init__(self, ids: list[str]) -> None:
        self._ids = iter(ids)

    def take(self, n: int = 1) -> list[str]:
        return [next(self._ids) for _ in range(n)]


async def _timed(action: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await action()
    return (time.perf_counter() - start) * 1000


def server_cpu_ms(pid: int) -> float | None:
    """CPU time the process `pid` has used, all threads, in ms (Linux schedstat, nanoseconds); None elsewhere.

    Wall-clock ratios on a shared 2-core machine move with the load; the server's own CPU per call does far less.
    """
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    total = 0
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/schedstat") as stat:
                total += int(stat.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a worker thread that ended meanwhile
    return total / 1e6


async def _bearer(http: httpx.AsyncClient, jwt: str) -> str:
    response = await http.post(
        "/restapi/oauth/token",
        data={"grant_type": JWT_GRANT, "assertion": jwt},
        auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


@dataclass(frozen=True)
class _Calls:
    """The calls the latency measure times: the tool under test and its floors."""

    insights: Callable[[str], Awaitable[Any]]
    echo: Callable[[], Awaitable[Any]]
    fetch: Callable[[str], Awaitable[Any]]
    raw_get: Callable[[str], Awaitable[bytes]]


async def measure_over_stdio(config: StdioConfig, progress: Callable[[str], None]) -> list[Measure]:
    clones = 2 + config.rounds + config.concurrency_rounds * 2 * CONCURRENT_CALLS
    platform, ids = bench_platform(clones)
    fresh = _Ids(ids)
    record_id, raw_body = reference_record(platform.dataset)
    user = platform.dataset.users[0]
    async with serve_sandbox(platform) as base_url:
        env = child_env(
            {
                "RC_SERVER_URL": base_url,
                "RC_APP_CLIENT_ID": SANDBOX_CLIENT_ID,
                "RC_APP_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
                "RC_USER_JWT": user.jwt,
                # These figures are of the REST path: a background sync would add requests and serve the misses.
                "RINGSENSE_LIBRARY": "off",
            }
        )
        async with (
            # Idle connections dropped after 2 s, before uvicorn closes them at 5 s: reusing one it is closing
            # fails the request (httpx.ReadError), which the floor's raw GETs do not retry.
            httpx.AsyncClient(base_url=base_url, limits=httpx.Limits(keepalive_expiry=2.0)) as http,
            StdioSession(module_command("bench.echo_server"), env) as session,
        ):
            headers = {"Authorization": f"Bearer {await _bearer(http, user.jwt)}"}

            async def raw_get(source_id: str) -> bytes:
                response = await http.get(INSIGHTS_PATH.format(id=source_id), headers=headers)
                response.raise_for_status()
                return response.content

            async def insights(source_id: str) -> dict[str, Any]:
                return await session.call_tool("get_insights_by_record", {"record_id": source_id})

            async def echo() -> dict[str, Any]:
                return await session.call_tool("echo", {"text": "ping"})

            async def fetch(source_id: str) -> dict[str, Any]:
                path = INSIGHTS_PATH.format(id=source_id)
                return await session.call_tool("fetch", {"path": path, "bearer": headers["Authorization"][7:]})

            # Warm up: sign in, fill the cache for the reference call, open keep-alive connections.
            default_output = await insights(record_id)
            await insights(fresh.take()[0])
            await echo()
            await fetch(record_id)
            raw_bytes = await raw_get(record_id)

            calls = _Calls(insights=insights, echo=echo, fetch=fetch, raw_get=raw_get)
            measures = await _latency(config, fresh, record_id, calls, progress, session.pid)
            measures.append(await _concurrency(config, platform, fresh, insights, raw_get, progress))
            measures += _sizes(default_output, raw_bytes, raw_body)
            measures.append(await _transcript_size(session, record_id, raw_body))
    return measures


async def _latency(
    config: StdioConfig,
    fresh: _Ids,
    record_id: str,
    calls: _Calls,
    progress: Callable[[str], None],
    server_pid: int,
) -> list[Measure]:
    samples: dict[str, list[float]] = {"echo": [], "hit": [], "miss": [], "fetch": [], "raw": []}
    # The server's CPU per call (read outside the timed span); the raw GET does not involve the server.
    server_cpu: dict[str, list[float]] = {"echo": [], "hit": [], "miss": [], "fetch": []}
    for i in range(config.rounds):
        miss_id = fresh.take()[0]
        actions: dict[str, Callable[[], Awaitable[Any]]] = {
            "echo": calls.echo,
            "hit": lambda: calls.insights(record_id),
            "miss": lambda: calls.insights(miss_id),  # noqa: B023 - called within this iteration
            "fetch": lambda: calls.fetch(miss_id),  # noqa: B023 - called within this iteration
            "raw": lambda: calls.raw_get(miss_id),  # noqa: B023 - called within this iteration
        }
        names = list(actions)
        for name in names[i % len(names) :] + names[: i % len(names)]:
            before = server_cpu_ms(server_pid)
            samples[name].append(await _timed(actions[name]))
            after = server_cpu_ms(server_pid)
            if name in server_cpu and before is not None and after is not None:
                server_cpu[name].append(after - before)
        if (i + 1) % 25 == 0:
            progress(f"stdio calls {i + 1}/{config.rounds}")
    echo_p50 = median(samples["echo"])
    hit_p50 = median(samples["hit"])
    miss_p50 = median(samples["miss"])
    fetch_p50 = median(samples["fetch"])
    echo_plus_raw = median([e + r for e, r in zip(samples["echo"], samples["raw"], strict=True)])
    common = {"runs": config.rounds}
    cpu_p50 = {name: round(median(values), 3) for name, values in server_cpu.items() if values}
    return [
        Measure(
            name="`get_insights_by_record` over stdio, cache hit (p50)",
            unit="ms",
            ours=hit_p50,
            floor=echo_p50,
            ratio=hit_p50 / echo_p50,
            goal=1.3,
            floor_label="echo tool on our server, same session",
            detail={"echo_ms": sorted(samples["echo"]), "hit_ms": sorted(samples["hit"])},
            **common,
        ),
        Measure(
            name="`get_insights_by_record` over stdio, cache miss (p50)",
            unit="ms",
            ours=miss_p50,
            floor=fetch_p50,
            ratio=miss_p50 / fetch_p50,
            goal=1.2,
            floor_label="a tool call whose server makes one raw httpx GET of the same insights (body read, not parsed)",
            detail={
                # The earlier floor: an echo call plus a raw GET made by the bench itself, in the sandbox's own
                # process and event loop, so that GET never crossed to another process as a miss's GET does.
                "echo_plus_raw_get_p50_ms": echo_plus_raw,
                "ratio_to_echo_plus_raw_get": miss_p50 / echo_plus_raw,
                "raw_get_p50_ms": median(samples["raw"]),
                "echo_p50_ms": echo_p50,
                # CPU of the server process per call, p50 (empty off Linux): what a miss adds over echo, minus
                # the GET itself, is our own work.
                "server_cpu_p50_ms": cpu_p50,
                "miss_ms": sorted(samples["miss"]),
                "raw_get_ms": sorted(samples["raw"]),
                "fetch_ms": sorted(samples["fetch"]),
            },
            **common,
        ),
    ]


async def _concurrency(
    config: StdioConfig,
    platform: Any,
    fresh: _Ids,
    insights: Callable[[str], Awaitable[Any]],
    raw_get: Callable[[str], Awaitable[bytes]],
    progress: Callable[[str], None],
) -> Measure:
    """50 concurrent cache misses against 50 concurrent raw GETs of fresh copies, both with the same upstream delay.

    The floor is what httpx itself does with 50 overlapping requests on this machine (one call is below it: 50 raw
    GETs take about twice as long as one), so the ratio is what the server adds on top.
    """

    async def many(action: Callable[[str], Awaitable[Any]]) -> None:
        async with anyio.create_task_group() as tasks:
            for source_id in fresh.take(CONCURRENT_CALLS):
                tasks.start_soon(action, source_id)

    platform.faults.inject("*/insights", Fault.delay(UPSTREAM_DELAY), times=None)
    try:
        ours: list[float] = []
        floor: list[float] = []
        for i in range(config.concurrency_rounds):
            pair = [(ours, insights), (floor, raw_get)]
            for samples, action in pair if i % 2 == 0 else pair[::-1]:
                samples.append(await _timed(lambda action=action: many(action)))  # type: ignore[misc]
            progress(f"concurrency {i + 1}/{config.concurrency_rounds}")
    finally:
        platform.faults.clear()
    return Measure(
        name=f"{CONCURRENT_CALLS} concurrent cache-miss calls, {UPSTREAM_DELAY * 1000:.0f} ms upstream latency (wall)",
        unit="ms",
        ours=median(ours),
        floor=median(floor),
        ratio=median(ours) / median(floor),
        goal=1.2,
        runs=config.concurrency_rounds,
        floor_label=f"{CONCURRENT_CALLS} concurrent raw httpx GETs of the same insights, same delay",
        detail={"fifty_ms": sorted(ours), "fifty_raw_gets_ms": sorted(floor)},
    )


def _sizes(default_output: dict[str, Any], raw_bytes: bytes, raw_body: dict[str, Any]) -> list[Measure]:
    text = text_of(default_output).encode()
    whole = json.dumps(default_output, ensure_ascii=False, separators=(",", ":")).encode()
    return [
        Measure(
            name="Default `get_insights_by_record` output size (30-minute call)",
            unit="bytes",
            ours=len(text),
            floor=len(raw_bytes),
            ratio=len(text) / len(raw_bytes),
            goal=0.15,
            floor_label="raw RingSense JSON of the same call",
            detail={
                "whole_tool_result_bytes": len(whole),
                "transcript_utterances": len(raw_body["insights"]["Transcript"]),
            },
        )
    ]


async def _transcript_size(session: StdioSession, record_id: str, raw_body: dict[str, Any]) -> Measure:
    raw = json.dumps(raw_body["insights"]["Transcript"], ensure_ascii=False, separators=(",", ":")).encode()
    words = sum(len(line["text"].encode()) for line in raw_body["insights"]["Transcript"])
    total = 0
    pages = 0
    offset: int | None = 0
    while offset is not None:
        result = await session.call_tool("render_transcript", {"record_id": record_id, "offset": offset})
        page = result["structuredContent"]
        total += len(page["content"].encode())
        pages += 1
        offset = page["next_offset"]
    return Measure(
        name="Compact transcript text size (`render_transcript`, default compact format, all pages)",
        unit="bytes",
        ours=total,
        floor=len(raw),
        ratio=total / len(raw),
        goal=0.40,
        floor_label="raw transcript JSON",
        # The bound below any rendering that keeps every word: the words alone, over the same floor.
        detail={"pages": pages, "words_alone_ratio": round(words / len(raw), 3)},
    )
