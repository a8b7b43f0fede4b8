"""Insights fetched by one replica serve the others from Redis, behind each one's own cache."""

from __future__ import annotations

import pytest

from server.ringsense import InsightsNotFoundError
from server.ringsense.shared import RedisResponseStore
from server.sandbox import SandboxPlatform

from ..conftest import PENDING_RECORD_ID, RECORD_ID, SESSION_ID, roomy_sandbox

pytestmark = pytest.mark.anyio


def insights_requests(platform: SandboxPlatform) -> int:
    return len(platform.requests_to("/insights"))


@roomy_sandbox
async def test_a_response_one_replica_fetched_serves_another_without_a_request(
    platform: SandboxPlatform, make_replica
) -> None:
    first, second = make_replica(), make_replica()
    fetched = await first.get_record_insights(RECORD_ID)
    served = await second.get_record_insights(RECORD_ID)
    assert served == fetched
    assert insights_requests(platform) == 1


@roomy_sandbox
async def test_a_narrower_request_is_answered_from_a_shared_response_with_every_type(
    platform: SandboxPlatform, make_replica
) -> None:
    first, second = make_replica(), make_replica()
    await first.get_session_insights(SESSION_ID)
    narrow = await second.get_session_insights(SESSION_ID, insight_types=["Summary"])
    assert [r.source_record_id for r in narrow.records] == [RECORD_ID, "2728084995018"]
    assert insights_requests(platform) == 1


@roomy_sandbox
async def test_errors_are_not_shared(platform: SandboxPlatform, make_replica) -> None:
    first, second = make_replica(), make_replica()
    for client in (first, second):
        with pytest.raises(InsightsNotFoundError):
            await client.get_record_insights(PENDING_RECORD_ID)
    assert insights_requests(platform) == 2


@roomy_sandbox
async def test_with_caching_off_nothing_is_shared(platform: SandboxPlatform, make_replica) -> None:
    first, second = make_replica(cache_ttl=0), make_replica(cache_ttl=0)
    await first.get_record_insights(RECORD_ID)
    await second.get_record_insights(RECORD_ID)
    assert insights_requests(platform) == 2


@roomy_sandbox
async def test_a_shared_body_this_version_cannot_read_is_ignored_and_fetched_afresh(
    platform: SandboxPlatform, make_replica, connect
) -> None:
    await RedisResponseStore(connect()).put(("pbx", "records", RECORD_ID, None), b'{"insights": 7}', ttl=60)
    insights = await make_replica().get_record_insights(RECORD_ID)
    assert insights.source_record_id == RECORD_ID
    assert insights_requests(platform) == 1
