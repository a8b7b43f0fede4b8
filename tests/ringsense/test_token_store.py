"""TokenManager through the TokenStore interface: adopt what another process stored, renew it only when due.

`MemoryStore` is a complete TokenStore kept in this test process (what Redis is for real replicas, see
tests/ringsense/shared/), timed by the test's fake clock so that expiry margins can be crossed without waiting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import anyio
import pytest

from server.ringsense import InProcessTokenStore, StoredToken
from server.sandbox import SandboxPlatform

from .conftest import RECORD_ID, roomy_sandbox
from .fakes import FakeTime

pytestmark = pytest.mark.anyio

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class MemoryStore:
    """A shared TokenStore in memory: the token with its expiry on `clock`, and a lock."""

    def __init__(self, clock: FakeTime) -> None:
        self.clock = clock
        self.token: StoredToken | None = None
        self.saved_at = 0.0
        self.saves = 0
        self.lock = anyio.Lock()

    @property
    def shared(self) -> bool:
        return True

    async def load(self) -> StoredToken | None:
        if self.token is None:
            return None
        elapsed = self.clock() - self.saved_at
        return replace(
            self.token,
            expires_in=max(0.0, self.token.expires_in - elapsed),
            refresh_expires_in=max(0.0, self.token.refresh_expires_in - elapsed),
        )

    async def save(self, token: StoredToken) -> None:
        self.token, self.saved_at, self.saves = token, self.clock(), self.saves + 1

    @asynccontextmanager
    async def renewing(self) -> AsyncIterator[None]:
        async with self.lock:
            yield


@roomy_sandbox
async def test_a_client_adopts_the_fresh_token_another_stored_instead_of_logging_in(
    platform: SandboxPlatform, make_client, fake_time: FakeTime
) -> None:
    store = MemoryStore(fake_time)
    first, second = make_client(token_store=store), make_client(token_store=store)
    await first.check_permission()
    await second.check_permission()
    assert [r.grant_type for r in platform.token_requests()] == [JWT_GRANT]
    assert store.saves == 1


@roomy_sandbox
async def test_a_stored_token_inside_its_refresh_margin_is_renewed_once_and_then_adopted(
    platform: SandboxPlatform, make_client, fake_time: FakeTime
) -> None:
    store = MemoryStore(fake_time)
    first, second = make_client(token_store=store), make_client(token_store=store)
    await first.check_permission()
    fake_time.advance(3600 - 30)  # inside the 60 s refresh margin: too late to adopt

    await second.check_permission()
    await first.check_permission()  # its own token is due too: it adopts the one the second stored
    assert [r.grant_type for r in platform.token_requests()] == [JWT_GRANT, "refresh_token"]
    assert store.saves == 2


@roomy_sandbox
async def test_a_shared_session_is_left_open_when_a_client_closes(
    platform: SandboxPlatform, make_client, fake_time: FakeTime
) -> None:
    client = make_client(token_store=MemoryStore(fake_time))
    await client.get_record_insights(RECORD_ID)
    await client.aclose()
    assert platform.requests_to("/oauth/revoke") == []


async def test_the_default_store_shares_nothing() -> None:
    store = InProcessTokenStore()
    await store.save(StoredToken(access_token="canary-access", expires_in=60, lifetime=3600))
    assert (store.shared, await store.load()) == (False, None)
    assert "canary-access" not in repr(StoredToken(access_token="canary-access", expires_in=60, lifetime=3600))
