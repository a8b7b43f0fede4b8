"""Access tokens expiring under 500 concurrent calls: one token request per expiry, and no call fails."""

from __future__ import annotations

import math
import time

import anyio
import pytest
from mcp import Client

from server.app import build_server
from server.config import load_settings
from server.sandbox import SandboxPlatform
from server.sandboxed import client_for
from tests.server.conftest import find_call

from .harness import DATASET, REPORT, ROOMY_LIMITS, texts

pytestmark = pytest.mark.anyio

SECTION = "5. Token expiry under load"
CALLS = 500
EXPIRE_EVERY = 100  # completed calls between forced expiries


def workload(platform: SandboxPlatform) -> list[tuple[str, dict[str, object]]]:
    """500 calls, mostly uncached ones (every one needs a valid token); insights repeat and hit the cache."""
    record_id = find_call(platform, "sales-discovery").recordings[0].record_id
    session_id = find_call(platform, "transferred-call").session_id
    mix: list[tuple[str, dict[str, object]]] = [
        ("check_permission", {}),
        ("check_permission", {}),
        ("check_permission", {}),
        ("list_recorded_calls", {"limit": 5}),
        ("check_permission", {}),
        ("get_insights_by_record", {"record_id": record_id}),
        ("check_permission", {}),
        ("render_transcript", {"record_id": record_id, "limit": 20}),
        ("check_permission", {}),
        ("get_insights_by_session", {"session_id": session_id}),
    ]
    return [mix[i % len(mix)] for i in range(CALLS)]


async def run_concurrently(client: Client, calls: list[tuple[str, dict[str, object]]], after_each=None) -> list[str]:
    failures: list[str] = []
    done = 0

    async def one(name: str, arguments: dict[str, object]) -> None:
        nonlocal done
        result = await client.call_tool(name, arguments)
        if result.is_error:
            failures.append(f"{name}: {texts(result)[:200]}")
        done += 1
        if after_each is not None:
            after_each(done)

    async with anyio.create_task_group() as tasks:
        for name, arguments in calls:
            tasks.start_soon(one, name, arguments)
    return failures


async def test_server_side_expiries_during_500_concurrent_calls_cost_one_token_request_each_and_fail_no_call():
    """The platform expires every token after each 100 completed calls, while up to 400 calls are queued.

    A queued call can then meet two expiries: its first request is refused (it renews and replays) and, while
    the replay waits its turn, the renewed token expires too. That call must still succeed.
    """
    platform = SandboxPlatform(DATASET, rate_limits=ROOMY_LIMITS)
    server = build_server(
        load_settings({"RINGSENSE_LIBRARY": "off"}, sandbox=True),
        client_factory=lambda: client_for(platform),
        log_level="WARNING",
    )
    expiries = 0

    def expire_on_schedule(done: int) -> None:
        nonlocal expiries
        if done % EXPIRE_EVERY == 0 and done < CALLS:
            platform.expire_access_tokens()
            expiries += 1

    with anyio.fail_after(120):
        async with Client(server) as client:
            started = time.monotonic()
            failures = await run_concurrently(client, workload(platform), expire_on_schedule)
            elapsed = time.monotonic() - started
    grants = platform.token_requests()
    unauthorized = [r for r in platform.requests if r.status == 401]
    REPORT.add(
        SECTION,
        f"- forced: {CALLS} concurrent calls, {expiries} server-side expiries (every {EXPIRE_EVERY} completed "
        f"calls) → {len(grants)} token requests ({len([g for g in grants if g.grant_type == 'refresh_token'])} "
        f"refresh), {len(unauthorized)} requests answered 401 and replayed, {len(failures)} failed calls, "
        f"{elapsed:.1f} s",
    )
    assert not failures, failures[:5]
    assert expiries == CALLS // EXPIRE_EVERY - 1
    assert len(grants) == 1 + expiries, [(g.grant_type, g.status) for g in grants]


@pytest.mark.slow
async def test_short_lived_tokens_are_renewed_once_per_lifetime_under_500_concurrent_calls():
    """Tokens that live 3 s: the client renews ahead of expiry, once for all concurrent callers."""
    ttl = 3.0
    platform = SandboxPlatform(DATASET, rate_limits=ROOMY_LIMITS, access_token_ttl=ttl)
    server = build_server(
        load_settings({"RINGSENSE_LIBRARY": "off"}, sandbox=True),
        client_factory=lambda: client_for(platform),
        log_level="WARNING",
    )
    failures: list[str] = []
    rounds = 0
    with anyio.fail_after(300):
        async with Client(server) as client:
            started = time.monotonic()
            # At least three lifetimes, so that renewals happen while calls are in flight.
            while time.monotonic() - started < 3 * ttl:
                failures += await run_concurrently(client, workload(platform))
                rounds += 1
            elapsed = time.monotonic() - started
    grants = platform.token_requests()
    # Renewal is due 10 % before expiry; one more for the first login, one for a boundary.
    ceiling = math.ceil(elapsed / (0.9 * ttl)) + 2
    REPORT.add(
        SECTION,
        f"- TTL {ttl:g} s: {rounds} rounds of {CALLS} concurrent calls in {elapsed:.1f} s → {len(grants)} token "
        f"requests (ceiling {ceiling}: one per lifetime), {len(failures)} failed calls",
    )
    assert not failures, failures[:5]
    assert 2 <= len(grants) <= ceiling
