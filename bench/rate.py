"""The client against a sandbox enforcing the Light group, with the window scaled down so it runs in seconds."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio

from bench.results import Measure
from server.ringsense import JWTCredentials, RingSenseClient
from server.ringsense.ratelimit import Pacer, RateLimitGroup
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, serve_sandbox

WORKERS = 10  # concurrent fetches, as an agent reading many calls might issue them


@dataclass(frozen=True)
class RateConfig:
    recordings: int  # 200
    limit: int  # the Light group's limit (50)
    window: float  # seconds; RingCentral's is 60, scaled down to keep the benchmark short


async def measure_rate(config: RateConfig, progress: Callable[[str], None]) -> list[Measure]:
    platform = SandboxPlatform(rate_limit_window=config.window, rate_limits={"Light": config.limit})
    user = platform.dataset.users[0]
    records = [rec.record_id for call in platform.dataset.calls for rec in call.recordings if rec.insights]
    wanted = list(itertools.islice(itertools.cycle(records), config.recordings))
    async with serve_sandbox(platform) as base_url:
        async with light_client(base_url, user.jwt, config.limit, config.window) as client:
            await client.check_permission()  # sign in first; the permission check is Light too, so wait it out
            await anyio.sleep(config.window)
            platform.clear_requests()
            queue = iter(wanted)
            domains = {rec.record_id: call.domain for call in platform.dataset.calls for rec in call.recordings}

            async def worker() -> None:
                for record_id in queue:
                    await client.get_record_insights(record_id, domain=domains[record_id])

            start = time.perf_counter()
            async with anyio.create_task_group() as tasks:
                for _ in range(WORKERS):
                    tasks.start_soon(worker)
            elapsed = time.perf_counter() - start
    progress("rate limit")
    traffic = light_traffic(platform, config.recordings, config.limit, config.window, elapsed)
    return [
        light_rate_measure(
            f"Fetching {config.recordings} recordings, Light group at {config.limit} per {config.window:g} s",
            traffic,
            extra_check=("zero 429s", traffic.refused == 0),
            note=f"{traffic.refused} × 429",
            detail={
                "elapsed_seconds": elapsed,
                "requests": traffic.requests,
                "status_429": traffic.refused,
                "workers": WORKERS,
                "window_seconds": config.window,
            },
        )
    ]


def light_client(base_url: str, jwt: str, limit: int, window: float) -> RingSenseClient:
    """A client paced for a Light group of `limit` requests per `window` seconds, with no cache: every fetch goes to
    the platform."""
    return RingSenseClient(
        server_url=base_url,
        credentials=JWTCredentials(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, jwt),
        pacer=Pacer(window=window, limits={RateLimitGroup.LIGHT: limit}),
        cache_ttl=0,
    )


@dataclass(frozen=True)
class LightTraffic:
    """The insights requests the platform saw, and the sustained rate against the group's allowed rate (req/s)."""

    requests: int
    refused: int  # answered 429
    achieved: float
    allowed: float


def light_traffic(
    platform: SandboxPlatform, recordings: int, limit: int, window: float, elapsed: float
) -> LightTraffic:
    insights = platform.requests_to("/insights")
    # The first `limit` requests are the window's free burst: an ideal client finishes N requests in
    # (N / limit - 1) windows, so the sustained rate is what came after the burst.
    return LightTraffic(
        requests=len(insights),
        refused=sum(1 for r in insights if r.status == 429),
        achieved=(recordings - limit) / elapsed,
        allowed=limit / window,
    )


def light_rate_measure(
    name: str, traffic: LightTraffic, *, extra_check: tuple[str, bool], note: str, detail: dict[str, Any]
) -> Measure:
    """The sustained rate must reach 90 % of what the group allows."""
    return Measure(
        name=name,
        unit="req/s",
        ours=traffic.achieved,
        floor=traffic.allowed,
        ratio=traffic.achieved / traffic.allowed,
        goal=0.90,
        direction="at_least",
        floor_label="the group's allowed rate",
        extra_check=extra_check,
        note=note,
        detail=detail,
    )
