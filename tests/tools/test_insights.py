"""get_insights_by_record / get_insights_by_session, called directly (no MCP) against the sandbox."""

from __future__ import annotations

import pytest

from server.ringsense.models import RecordingInsights
from server.sandbox import SandboxPlatform
from server.sandboxed import client_for
from tools.deps import Deps
from tools.errors import ToolFailure
from tools.insights import CONCISE_LIMITS, DEFAULT_SECTIONS, get_insights_by_record, get_insights_by_session
from tools.models import Bullet, TimedItem
from tools.source import CallSource

from .conftest import Held, insights_requests, sample

pytestmark = pytest.mark.anyio


async def test_a_recording_comes_back_with_every_default_section_and_no_transcript(deps: Deps, platform):
    call = sample(platform, "sales-discovery")
    result = await get_insights_by_record(deps, call.recordings[0].record_id)
    assert result.call.record_id == call.recordings[0].record_id
    assert result.call.session_id == call.session_id
    assert result.summary and result.highlights and result.next_steps and result.transcript_stats
    assert result.transcript is None, "the transcript is opt-in"
    assert result.data_source == "sandbox sample data"
    assert "render_transcript(record_id=" in result.hint
    assert "transcript" not in DEFAULT_SECTIONS


async def test_asking_for_one_section_requests_only_that_insight_type(deps: Deps, platform: SandboxPlatform):
    record_id = sample(platform, "sales-discovery").recordings[0].record_id
    result = await get_insights_by_record(deps, record_id, sections=["summary"])
    assert result.summary
    assert result.highlights is None and result.next_steps is None and result.transcript_stats is None
    assert insights_requests(platform)[-1].endswith("insightTypes=Summary")


def many_highlights(count: int) -> RecordingInsights:
    unit = {"speakerId": "p-1", "value": "Pricing came up again.", "start": 1, "end": 2}
    return RecordingInsights.model_validate(
        {
            "sourceRecordId": "2728084995017",
            "speakerInfo": [{"speakerId": "p-1", "name": "Dana Whitfield"}],
            "insights": {"Highlights": [{**unit, "start": i, "end": i + 1} for i in range(count)]},
        }
    )


async def test_concise_detail_caps_long_lists_and_says_how_many_were_left_out(platform: SandboxPlatform):
    cap = CONCISE_LIMITS["highlights"]
    local = Held(recordings={"2728084995017": many_highlights(cap + 5)})
    async with client_for(platform) as client:
        deps = Deps(source=CallSource(client, data_source="sandbox sample data", local=local))
        concise = await get_insights_by_record(deps, "2728084995017", sections=["highlights"])
        full = await get_insights_by_record(deps, "2728084995017", sections=["highlights"], detail="full")
    assert len(concise.highlights or []) == cap and concise.truncated == {"highlights": 5}
    assert "detail='full'" in concise.hint
    assert len(full.highlights or []) == cap + 5 and full.truncated == {}
    assert [item.start_seconds for item in full.highlights or []][:2] == [0.0, 1.0], "full detail has exact seconds"


async def test_an_inline_transcript_is_the_first_page_inside_the_markers(deps: Deps, platform: SandboxPlatform):
    record_id = sample(platform, "sales-discovery").recordings[0].record_id
    result = await get_insights_by_record(deps, record_id, sections=["transcript"])
    assert result.transcript is not None
    assert result.transcript.content.startswith("<<<CALL CONTENT")
    assert result.transcript.record_id == record_id


async def test_a_recording_not_analysed_yet_says_when_insights_appear(deps: Deps, platform: SandboxPlatform):
    record_id = sample(platform, "not-ready").recordings[0].record_id
    with pytest.raises(ToolFailure, match="15–30 minutes") as caught:
        await get_insights_by_record(deps, record_id)
    assert "list_recorded_calls" in str(caught.value)


async def test_a_session_id_given_as_a_record_id_points_to_the_session_tool(deps: Deps, platform):
    session_id = sample(platform, "sales-discovery").session_id
    with pytest.raises(ToolFailure, match="use get_insights_by_session"):
        await get_insights_by_record(deps, session_id)


async def test_a_session_lists_its_legs_oldest_first_on_one_clock(deps: Deps, platform: SandboxPlatform):
    call = sample(platform, "transferred-call")
    result = await get_insights_by_session(deps, call.session_id)
    assert [leg.call.record_id for leg in result.legs] == [r.record_id for r in call.recordings]
    assert [row.record_id for row in result.rollup] == [r.record_id for r in call.recordings]
    assert all(row.handled_by for row in result.rollup)
    # Leg 2's times are on the call's clock: after leg 1 ends, not from zero.
    full = await get_insights_by_session(deps, call.session_id, detail="full")
    first_leg_ends = full.legs[0].call.duration_seconds
    second_leg_times = [item.start_seconds for item in full.legs[1].highlights or [] if item.start_seconds]
    assert first_leg_ends is not None and second_leg_times
    assert min(second_leg_times) >= first_leg_ends
    assert result.combined_next_steps == [s for leg in result.legs for s in leg.next_steps or []]
    assert result.data_source == "sandbox sample data"


async def test_a_record_id_given_as_a_session_id_points_to_the_record_tool(deps: Deps, platform):
    record_id = sample(platform, "sales-discovery").recordings[0].record_id
    with pytest.raises(ToolFailure, match="use get_insights_by_record"):
        await get_insights_by_session(deps, record_id)


@pytest.mark.parametrize("detail", ["concise", "full"])
async def test_timed_items_and_bullets_are_what_their_constructors_make(deps: Deps, platform, detail):
    """Items are made by validating the whole answer at once; each must equal, field for field and in the fields
    it counts as set, the item its constructor makes from the same values."""
    record_id = sample(platform, "sales-discovery").recordings[0].record_id
    result = await get_insights_by_record(deps, record_id, detail=detail)
    items = [*(result.highlights or []), *(result.next_steps or [])]
    assert items and result.bulleted_summary
    for item in items:
        made = TimedItem(text=item.text, speaker=item.speaker, at=item.at, start_seconds=item.start_seconds)
        assert (item, item.model_fields_set) == (made, made.model_fields_set)
        assert item.model_dump_json() == made.model_dump_json()
    for bullet in result.bulleted_summary:
        made_bullet = Bullet(section=bullet.section, text=bullet.text)
        assert (bullet, bullet.model_fields_set) == (made_bullet, made_bullet.model_fields_set)
