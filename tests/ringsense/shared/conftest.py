"""Fixtures: clients that share state through a real redis-server, as replicas of one deployment would."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from server.ringsense import RetryPolicy, RingSenseClient
from server.ringsense.shared import RedisResponseStore, RedisTokenStore, SharedPacer, SharedRedis
from server.sandbox import SandboxPlatform, create_sandbox_app
from tests.redis_server import RedisServer

from ..conftest import SERVER_URL, credentials

ROOMY = {"Light": 1000, "Heavy": 1000, "Auth": 1000}

ReplicaFactory = Callable[..., RingSenseClient]


@pytest.fixture
def namespace() -> str:
    """Keys of this test only, in the session's redis-server."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def connect(redis_server: RedisServer, namespace: str) -> AsyncIterator[Callable[..., SharedRedis]]:
    """`connect()`: a new connection pool to the session's Redis in the test's namespace (one per "process")."""
    async with AsyncExitStack() as stack:

        def factory(*, url: str | None = None, **kwargs: Any) -> SharedRedis:
            shared = SharedRedis.from_url(url or redis_server.url, namespace=namespace, **kwargs)
            stack.push_async_callback(shared.aclose)
            return shared

        yield factory


@pytest.fixture
async def make_replica(platform: SandboxPlatform, connect: Callable[..., SharedRedis]) -> AsyncIterator[ReplicaFactory]:
    """`make_replica()`: a client with its own Redis connection and every shared part, on real time, talking to
    `platform` in-process. `shared=` picks the parts ("tokens", "pacer", "responses"); other keywords go to the
    client, `redis=` to `connect`."""
    async with AsyncExitStack() as stack:

        def factory(
            *,
            shared: tuple[str, ...] = ("tokens", "pacer", "responses"),
            redis: dict[str, Any] | None = None,
            **kwargs: Any,
        ) -> RingSenseClient:
            connection = connect(**(redis or {}))
            http = httpx.AsyncClient(transport=httpx.ASGITransport(create_sandbox_app(platform)))
            stack.push_async_callback(http.aclose)
            creds = kwargs.pop("credentials", credentials())
            options: dict[str, Any] = {}
            if "tokens" in shared:
                options["token_store"] = RedisTokenStore(connection, creds)
            if "pacer" in shared:
                options["pacer"] = SharedPacer(connection, limits=ROOMY)
            if "responses" in shared:
                options["response_store"] = RedisResponseStore(connection)
            kwargs.setdefault("retry", RetryPolicy(random=lambda: 0.0))
            client = RingSenseClient(
                server_url=SERVER_URL, credentials=creds, http_client=http, **{**options, **kwargs}
            )
            stack.push_async_callback(client.aclose)
            return client

        yield factory
