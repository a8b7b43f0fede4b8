"""The client against a sandbox enforcing the Light group, with the window scaled down so it runs in seconds."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

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
        client = RingSenseClient(
            server_url=base_url,
            credentials=JWTCredentials(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, user.jwt),
            pacer=Pacer(window=config.window, limits={RateLimitGroup.LIGHT: config.limit}),
            cache_ttl=0,  # every fetch goes to the platform
        )
        async with client:
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
    insights = platform.requests_to("/insights")
    refused = sum(1 for r in insights if r.status == 429)
    allowed = config.limit / config.window
    # The first `limit` requests are the window's free burst: an ideal client finishes N requests in
    # (N / limit - 1) windows, so the sustained rate is what came after the burst.
    achieved = (config.recordings - config.limit) / elapsed
    return [
        Measure(
            name=f"Fetching {config.recordings} recordings, Light group at {config.limit} per {config.window:g} s",
            unit="req/s",
            ours=achieved,
            floor=allowed,
            ratio=achieved / allowed,
            goal=0.90,
            direction="at_least",
            floor_label="the group's allowed rate",
            extra_check=("zero 429s", refused == 0),
            note=f"{refused} × 429",
            detail={
                "elapsed_seconds": elapsed,
                "requests": len(insights),
                "status_429": refused,
                "workers": WORKERS,
                "window_seconds": config.window,
            },
        )
    ]
