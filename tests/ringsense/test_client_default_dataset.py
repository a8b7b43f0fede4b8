"""The client reads every call of the sandbox's own sample dataset, as the product's sandbox mode does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from server.ringsense import InsightsNotFoundError, PermissionDeniedError, RingSenseClient
from server.sandbox import SandboxPlatform, create_sandbox_app

from .conftest import SERVER_URL, credentials, fast_pacer

pytestmark = pytest.mark.anyio


@pytest.fixture
def default_platform() -> SandboxPlatform:
    return SandboxPlatform(rate_limits={"Light": 1000, "Heavy": 1000, "Auth": 1000})


def client_for(platform: SandboxPlatform, jwt: str) -> RingSenseClient:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(create_sandbox_app(platform)))
    return RingSenseClient(server_url=SERVER_URL, credentials=credentials(jwt), http_client=http, pacer=fast_pacer())


async def test_every_sample_call_is_listed_and_its_insights_read(default_platform: SandboxPlatform) -> None:
    dataset = default_platform.dataset
    user = dataset.users[0]
    now = datetime.now(UTC)
    async with client_for(default_platform, user.jwt) as client:
        listed = []
        page_number = 1
        while True:
            page = await client.list_call_log(
                date_from=now - timedelta(days=3650), date_to=now + timedelta(days=1), per_page=5, page=page_number
            )
            listed += page.records
            if not page.has_next:
                break
            page_number += 1
        assert page.level == "account"
        recorded = [call for call in dataset.calls if call.recordings and call.domain == "pbx"]
        assert {r.telephony_session_id for r in listed} >= {call.session_id for call in recorded}

        for call in dataset.calls:
            for recording in call.recordings:
                if recording.insights is None:
                    with pytest.raises(InsightsNotFoundError):
                        await client.get_record_insights(recording.record_id, domain=call.domain)
                    continue
                insights = await client.get_record_insights(recording.record_id, domain=call.domain)
                assert insights.source_record_id == recording.record_id
            if any(recording.insights for recording in call.recordings):
                session = await client.get_session_insights(call.session_id, domain=call.domain)
                assert {r.source_record_id for r in session.records} <= {r.record_id for r in call.recordings}


async def test_sample_users_without_rights_are_refused_or_fall_back(default_platform: SandboxPlatform) -> None:
    dataset = default_platform.dataset
    call = next(c for c in dataset.calls if any(r.insights for r in c.recordings))
    record_id = next(r.record_id for r in call.recordings if r.insights)
    now = datetime.now(UTC)
    for user in dataset.users[1:]:
        async with client_for(default_platform, user.jwt) as client:
            if not user.can_read_insights:
                with pytest.raises(PermissionDeniedError):
                    await client.get_record_insights(record_id, domain=call.domain)
                assert not (await client.check_permission()).successful
            if not user.can_read_company_call_log:
                await client.list_call_log(date_from=now - timedelta(days=3650), date_to=now)
                assert client.call_log_level == "extension"
    assert any(not u.can_read_insights for u in dataset.users)
    assert any(not u.can_read_company_call_log for u in dataset.users)
