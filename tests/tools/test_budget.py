"""No tool response outgrows the budget, even for calls far larger than the samples (a local provider holds one)."""

from __future__ import annotations

import pytest

from server.ringsense.models import RecordingInsights
from server.sandboxed import client_for
from tools.deps import Deps
from tools.formatting import RESPONSE_BUDGET_CHARS, response_chars
from tools.insights import get_insights_by_record
from tools.models import DataSource
from tools.source import CallSource

pytestmark = pytest.mark.anyio


class OneRecording:
    """A local provider (`tools.source.LocalCalls`) that holds one recording, under every id."""

    data_source: DataSource = "RingCentral"

    def __init__(self, record: RecordingInsights) -> None:
        self.record = record

    async def recording(self, record_id, domain, insight_types):
        return self.record

    async def session(self, session_id, domain, insight_types):
        return None


def enormous_recording() -> RecordingInsights:
    unit = {"speakerId": "p-1", "value": "A long highlight about pricing and seats. " * 20, "start": 1, "end": 2}
    return RecordingInsights.model_validate(
        {
            "sourceRecordId": "2728084995017",
            "recordingDurationMs": 5_400_000,
            "speakerInfo": [{"speakerId": "p-1", "name": "Dana Whitfield", "extensionId": "101"}],
            "insights": {
                "Highlights": [unit] * 400,
                "NextSteps": [unit] * 50,
                "Transcript": [
                    {"speakerId": "p-1", "text": "word " * 200, "start": i, "end": i + 1} for i in range(2000)
                ],
            },
        }
    )


@pytest.mark.parametrize("detail", ["concise", "full"])
async def test_oversized_insights_shrink_to_fit_and_say_so(detail):
    local = OneRecording(enormous_recording())
    deps = Deps(source=CallSource(client_for(), data_source="sandbox sample data", local=local))
    sections = ["highlights", "next_steps", "transcript_stats", "transcript"]
    result = await get_insights_by_record(deps, "2728084995017", sections=sections, detail=detail)
    assert response_chars(result) <= RESPONSE_BUDGET_CHARS
    assert result.data_source == "RingCentral", "the local provider answered, not the sandbox"
    assert result.next_steps, "next steps survive every shrinking step"
    if detail == "full":
        assert "did not fit the response budget" in result.hint
