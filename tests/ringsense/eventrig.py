"""A subscriber wired to a sandbox gateway on loopback, in virtual time: what the subscriber tests and the
gauntlet's event faults share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from server.ringsense import (
    Backoff,
    EventSubscriber,
    Gap,
    InsightsEvent,
    Pacer,
    RetryPolicy,
    RingSenseClient,
    SubscriberState,
    SubscriberStatus,
)
from server.sandbox import SandboxPlatform, serve_sandbox
from server.sandbox.samples import SandboxUser

from .conftest import FULL, credentials, make_dataset
from .fakes import VirtualTime

WAIT = 5.0
NO_RECORDINGS = SandboxUser(
    "1009", "Dale Doe", "109", "canary-jwt-no-recordings-4f1e", can_read_company_recordings=False
)


class PlatformClock:
    """The sandbox's own clock (ws token expiry, the recovery window), moved apart from the subscriber's."""

    def __init__(self) -> None:
        self.now = 1_767_225_600.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    platform: SandboxPlatform
    platform_clock: PlatformClock
    time: VirtualTime
    client: RingSenseClient
    subscriber: EventSubscriber
    control: httpx.AsyncClient

    async def complete(self, **body: str) -> dict[str, Any]:
        response = await self.control.post("/sandbox/v1/analysis-complete", json=body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def next(self) -> InsightsEvent | Gap:
        with anyio.fail_after(WAIT):
            return await anext(self.subscriber)

    async def until(self, condition: Callable[[SubscriberStatus], bool]) -> SubscriberStatus:
        with anyio.fail_after(WAIT):
            return await self.subscriber.wait_for(condition)

    async def sandbox_until(self, condition: Callable[[Any], bool]) -> None:
        with anyio.fail_after(WAIT):
            await self.platform.push.wait_until(condition)


@asynccontextmanager
async def rig(
    *,
    jwt: str = FULL.jwt,
    domains: tuple[str, ...] = ("pbx",),
    backoff: Backoff | None = None,
    details_timeout: float = 2.0,
    **platform: Any,
) -> AsyncIterator[Rig]:
    clock = PlatformClock()
    dataset = make_dataset()
    dataset.users.append(NO_RECORDINGS)
    sandbox = SandboxPlatform(dataset, clock=clock, rate_limits={"Auth": 1000, "Light": 1000}, **platform)
    time = VirtualTime()
    async with serve_sandbox(sandbox) as base, httpx.AsyncClient(base_url=base) as control:
        client = RingSenseClient(
            server_url=base,
            credentials=credentials(jwt),
            clock=time,
            sleep=time.sleep,
            retry=RetryPolicy(random=lambda: 0.0),
            pacer=Pacer(limits={"Light": 1000, "Heavy": 1000, "Auth": 1000}, clock=time, sleep=time.sleep),
        )
        subscriber = EventSubscriber(
            client,
            domains=domains,
            backoff=backoff or Backoff(base=0.0, cap=0.0),
            details_timeout=details_timeout,
            clock=time,
            sleep=time.sleep,
            rng=lambda: 1.0,
        )
        async with client, subscriber:
            yield Rig(sandbox, clock, time, client, subscriber, control)


def subscribed(status: SubscriberStatus) -> bool:
    return status.state == SubscriberState.SUBSCRIBED
