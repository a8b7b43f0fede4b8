"""CallSource: a local provider answers first, the client otherwise, and each answer says where it came from."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.ringsense.models import InsightType, RecordingInsights, SessionInsights
from server.sandbox import SandboxPlatform
from server.sandboxed import client_for
from tools.errors import ToolFailure
from tools.source import RECENT_IDS_TTL, CallSource

from .conftest import Held, insights_requests, sample

pytestmark = pytest.mark.anyio


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def held_recording(record_id: str) -> RecordingInsights:
    return RecordingInsights.model_validate({"sourceRecordId": record_id, "title": "Held locally"})


async def test_a_held_recording_is_served_locally_without_asking_ringsense(platform: SandboxPlatform):
    record_id = sample(platform, "sales-discovery").recordings[0].record_id
    local = Held(recordings={record_id: held_recording(record_id)}, data_source="RingCentral")
    async with client_for(platform) as client:
        source = CallSource(client, data_source="sandbox sample data", local=local)
        served = await source.recording(record_id, "pbx", [InsightType.SUMMARY])
    assert served.insights.title == "Held locally" and served.served_from == "RingCentral"
    assert local.asked == [(record_id, "pbx", (InsightType.SUMMARY,))]
    assert insights_requests(platform) == []


async def test_a_recording_the_provider_lacks_comes_from_ringsense(platform: SandboxPlatform):
    record_id = sample(platform, "sales-discovery").recordings[0].record_id
    local = Held()
    async with client_for(platform) as client:
        source = CallSource(client, data_source="sandbox sample data", local=local)
        served = await source.recording(record_id)
    assert served.insights.source_record_id == record_id and served.served_from == "sandbox sample data"
    assert local.asked == [(record_id, "pbx", None)]
    assert len(insights_requests(platform)) == 1


async def test_a_held_session_is_served_locally_and_a_missing_one_from_ringsense(platform: SandboxPlatform):
    call = sample(platform, "transferred-call")
    other = sample(platform, "sales-discovery")
    session = SessionInsights.model_validate({"records": [{"sourceRecordId": "1"}, {"sourceRecordId": "2"}]})
    local = Held(sessions={call.session_id: session}, data_source="RingCentral")
    async with client_for(platform) as client:
        source = CallSource(client, data_source="sandbox sample data", local=local)
        held = await source.session(call.session_id)
        fetched = await source.session(other.session_id)
    assert held.served_from == "RingCentral" and len(held.insights.records) == 2
    assert fetched.served_from == "sandbox sample data"
    assert [r.source_record_id for r in fetched.insights.records] == [other.recordings[0].record_id]


async def test_without_a_provider_a_missing_recording_is_a_failure_that_says_what_to_do(platform: SandboxPlatform):
    async with client_for(platform) as client:
        source = CallSource(client, data_source="sandbox sample data")
        with pytest.raises(ToolFailure, match="No insights for recording 1999999999999 in domain pbx yet"):
            await source.recording("1999999999999")


async def test_recent_ids_are_the_recorded_calls_and_are_reused_for_a_while(platform: SandboxPlatform):
    ticks = Ticks()
    now = datetime.now(UTC)
    async with client_for(platform) as client:
        source = CallSource(client, data_source="sandbox sample data", now=lambda: now, clock=ticks)
        first = await source.recent_ids()
        call_log_requests = sum(1 for r in platform.requests if r.path.endswith("/call-log"))
        ticks.now += RECENT_IDS_TTL - 1
        assert await source.recent_ids() == first
        assert sum(1 for r in platform.requests if r.path.endswith("/call-log")) == call_log_requests
        ticks.now += 2
        await source.recent_ids()
        assert sum(1 for r in platform.requests if r.path.endswith("/call-log")) == call_log_requests + 1
    recorded = {r.record_id for call in platform.dataset.calls for r in call.recordings}
    assert first["record_id"] and set(first["record_id"]) <= recorded
    assert sample(platform, "sales-discovery").session_id in first["session_id"]
    assert sample(platform, "missed-call").session_id not in first["session_id"], "unrecorded calls are left out"
