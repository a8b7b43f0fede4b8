"""Fixtures for the sandbox tests: a fake clock, a platform over the tiny dataset, an in-process client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from server.sandbox import SandboxPlatform, create_sandbox_app

from .helpers import BASE_URL, FakeClock, tiny_dataset


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def platform(clock: FakeClock) -> SandboxPlatform:
    return SandboxPlatform(tiny_dataset(datetime.fromtimestamp(clock.now, UTC)), clock=clock)


@pytest.fixture
async def client(platform: SandboxPlatform) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_sandbox_app(platform))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http
