"""Every tool through the real MCP surface (in-memory Client), against the sandbox."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import srt
import webvtt

from server.sandbox import Fault
from tools.formatting import CONTENT_BEGIN, CONTENT_END, RESPONSE_BUDGET_CHARS

from .conftest import error_text, find_call, user_without

pytestmark = pytest.mark.anyio
MONTH_AGO = (datetime.now(UTC) - timedelta(days=31)).strftime("%Y-%m-%d")
TODAY = datetime.now(UTC).strftime("%Y-%m-%d")


def result_size(result) -> int:
    return len(json.dumps(result.structured_content)) if result.structured_content else 0


async def test_check_permission_reports_the_grant_with_role_and_scopes(connect):
    async with connect() as client:
        result = await client.call_tool("check_permission", {})
    data = result.structured_content
    assert not result.is_error
    assert data["granted"] is True and data["permission"] == "ReadRingSenseInsights"
    assert data["scopes"] and data["what_to_do"] is None
    assert data["data_source"] == "sandbox sample data"


async def test_check_permission_without_the_grant_says_what_an_admin_must_change(connect, platform):
    async with connect(user=user_without(platform, "can_read_insights")) as client:
        result = await client.call_tool("check_permission", {})
    data = result.structured_content
    assert data["granted"] is False
    assert "AI Conversation Expert – Access Insights" in data["what_to_do"]
    assert "RingSense" in data["what_to_do"]


async def test_check_permission_on_an_answer_of_the_wrong_shape_is_an_error_not_a_refusal(connect, platform):
    platform.faults.inject("*/authz-profile/check", Fault.json(200, {"uri": "https://x/check"}))
    async with connect() as client:
        result = await client.call_tool("check_permission", {})
    message = error_text(result)
    assert "documented shape" in message
    assert "AI Conversation Expert" not in message, "no admin should be sent to grant a permission for nothing"


async def test_list_recorded_calls_returns_compact_rows_with_ids_for_the_insight_tools(connect, platform):
    async with connect() as client:
        result = await client.call_tool("list_recorded_calls", {"date_from": MONTH_AGO, "date_to": TODAY, "limit": 100})
    data = result.structured_content
    assert not result.is_error, error_text(result)
    recorded = [c for c in platform.dataset.calls if c.recordings and c.domain == "pbx"]  # rcv meetings are not calls
    assert len(data["calls"]) == len(recorded)
    transferred = find_call(platform, "transferred-call")
    row = next(r for r in data["calls"] if r["session_id"] == transferred.session_id)
    assert row["record_ids"] == [r.record_id for r in transferred.recordings]
    starts = [r["start_time"] for r in data["calls"]]
    assert starts == sorted(starts, reverse=True), "newest first"
    assert data["level"] == "account" and data["has_more"] is False


async def test_list_recorded_calls_pages_with_a_cursor_without_losing_or_repeating_calls(connect):
    async with connect() as client:
        seen, cursor, pages = [], None, 0
        while True:
            args = {"date_from": MONTH_AGO, "date_to": TODAY, "limit": 4}
            if cursor:
                args = {"cursor": cursor, "limit": 4}
            data = (await client.call_tool("list_recorded_calls", args)).structured_content
            seen += [row["record_id"] for row in data["calls"]]
            pages += 1
            cursor = data["cursor"]
            if not data["has_more"]:
                break
        whole = await client.call_tool("list_recorded_calls", {"date_from": MONTH_AGO, "limit": 100})
    assert pages > 1
    assert seen == [row["record_id"] for row in whole.structured_content["calls"]]


async def test_list_recorded_calls_falls_back_to_the_users_own_calls_and_says_so(connect, platform):
    user = user_without(platform, "can_read_company_call_log")
    async with connect(user=user) as client:
        data = (await client.call_tool("list_recorded_calls", {"date_from": MONTH_AGO})).structured_content
    assert data["level"] == "extension"
    assert "FullCompanyCallLog" in data["hint"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"date_from": "2026-11-20", "date_to": "2026-11-01"}, "swap them"),
        ({"date_from": "2026-13-01"}, "not a real date"),
        ({"date_from": "last tuesday"}, "YYYY-MM-DD"),
        ({"date_from": "2020-01-01", "date_to": "2026-01-01"}, "longer than 366 days"),
        ({"phone_number": "call me maybe"}, "not a phone number"),
        ({"cursor": "not-a-cursor"}, "call again without cursor"),
        ({"limit": 0}, "greater than or equal to 1"),
        ({"limit": 10_000}, "less than or equal to 100"),
        ({"direction": "Sideways"}, "Inbound"),
    ],
)
async def test_list_recorded_calls_refuses_bad_arguments_with_a_clear_error(connect, platform, args, expected):
    async with connect() as client:
        result = await client.call_tool("list_recorded_calls", args)
    assert expected in error_text(result)
    assert not platform.requests_to("/call-log"), "a refused argument sends nothing"


async def test_insights_by_record_give_summary_first_with_names_and_timestamps(connect, platform):
    call = find_call(platform, "sales-discovery")
    record_id = call.recordings[0].record_id
    async with connect() as client:
        result = await client.call_tool("get_insights_by_record", {"record_id": record_id})
    data = result.structured_content
    assert not result.is_error, error_text(result)
    assert data["call"]["record_id"] == record_id
    assert data["call"]["start_time"].endswith("Z")
    assert data["summary"] and data["next_steps"] and data["highlights"]
    speakers = {s["name"] for s in data["speakers"]}
    assert all(step["speaker"] in speakers for step in data["next_steps"] if step["speaker"])
    assert all(":" in step["at"] for step in data["next_steps"])
    assert data["transcript_stats"]["utterances"] > 100 and data["transcript_stats"]["complete"] is True
    assert data["transcript"] is None, "the transcript is opt-in"
    raw = json.dumps(call.recordings[0].insights)
    assert result_size(result) < 0.25 * len(raw)


async def test_insights_fetch_only_the_requested_sections(connect, platform):
    record_id = find_call(platform, "sales-discovery").recordings[0].record_id
    async with connect() as client:
        platform.clear_requests()
        result = await client.call_tool(
            "get_insights_by_record", {"record_id": record_id, "sections": ["summary", "next_steps"]}
        )
    data = result.structured_content
    [request] = platform.requests_to("/insights")
    assert "insightTypes=Summary%2CNextSteps" in request.query or "insightTypes=Summary,NextSteps" in request.query
    assert data["summary"] and data["next_steps"] and data["highlights"] is None and data["transcript_stats"] is None


async def test_insights_keep_unknown_kinds_and_report_skipped_units(connect, platform):
    record_id = find_call(platform, "legacy-format").recordings[0].record_id
    async with connect() as client:
        data = (await client.call_tool("get_insights_by_record", {"record_id": record_id})).structured_content
    assert data["highlights"], "HighLights spelling is read as highlights"
    assert "QnA" in data["other_insights"]
    assert any("Transcript" in warning for warning in data["warnings"])


async def test_unnamed_caller_is_reported_as_unknown_not_guessed(connect, platform):
    record_id = find_call(platform, "unknown-caller").recordings[0].record_id
    async with connect() as client:
        data = (await client.call_tool("get_insights_by_record", {"record_id": record_id})).structured_content
    external = [s for s in data["speakers"] if not s["internal"]]
    assert external and external[0]["name"] == "Unknown caller 1" and external[0]["named"] is False


async def test_conference_transcript_that_stops_early_is_flagged_incomplete(connect, platform):
    record_id = find_call(platform, "conference").recordings[0].record_id
    async with connect() as client:
        data = (await client.call_tool("get_insights_by_record", {"record_id": record_id})).structured_content
    stats = data["transcript_stats"]
    assert stats["complete"] is False and stats["coverage"] < 0.7
    assert "stops at" in data["hint"]


async def test_insights_not_ready_explain_the_delay_and_the_alternatives(connect, platform):
    record_id = find_call(platform, "not-ready").recordings[0].record_id
    async with connect() as client:
        result = await client.call_tool("get_insights_by_record", {"record_id": record_id})
    text = error_text(result)
    assert "15–30 minutes" in text and "list_recorded_calls" in text


async def test_a_session_id_passed_as_record_id_gets_pointed_to_the_session_tool(connect, platform):
    session_id = find_call(platform, "sales-discovery").session_id
    async with connect() as client:
        result = await client.call_tool("get_insights_by_record", {"record_id": session_id})
    assert "get_insights_by_session" in error_text(result)


async def test_permission_error_names_the_missing_permission(connect, platform):
    record_id = find_call(platform, "sales-discovery").recordings[0].record_id
    async with connect(user=user_without(platform, "can_read_insights")) as client:
        result = await client.call_tool("get_insights_by_record", {"record_id": record_id})
    text = error_text(result)
    assert "ReadRingSenseInsights" in text or "Access Insights" in text
    assert "403" in text


async def test_rate_limit_error_tells_the_model_how_long_to_wait(connect, platform):
    record_id = find_call(platform, "sales-discovery").recordings[0].record_id
    platform.faults.inject("*/insights", Fault.status(429, headers={"Retry-After": "3600"}), times=None)
    async with connect() as client:
        result = await client.call_tool("get_insights_by_record", {"record_id": record_id})
    assert "retry_after=3600" in error_text(result)


async def test_session_insights_roll_up_each_leg_in_order(connect, platform):
    call = find_call(platform, "transferred-call")
    async with connect() as client:
        result = await client.call_tool("get_insights_by_session", {"session_id": call.session_id})
    data = result.structured_content
    assert not result.is_error, error_text(result)
    assert [leg["call"]["record_id"] for leg in data["legs"]] == [r.record_id for r in call.recordings]
    assert len(data["rollup"]) == 2 and all(leg["handled_by"] for leg in data["rollup"])
    assert data["rollup"][0]["handled_by"] != data["rollup"][1]["handled_by"]


async def test_render_transcript_pages_of_the_long_call_reassemble_within_budget(connect, platform):
    record_id = find_call(platform, "long-call").recordings[0].record_id
    texts, offset, pages = [], 0, 0
    async with connect() as client:
        while offset is not None:
            result = await client.call_tool(
                "render_transcript", {"record_id": record_id, "format": "json", "offset": offset, "limit": 1000}
            )
            assert not result.is_error, error_text(result)
            assert len(result.content[0].text) <= RESPONSE_BUDGET_CHARS
            page = result.structured_content
            texts += [turn["text"] for turn in json.loads(page["content"])]
            offset, pages = page["next_offset"], pages + 1
    assert pages > 1
    assert len(texts) == page["total_turns"]
    spoken = [u["text"] for u in find_call(platform, "long-call").recordings[0].insights["insights"]["Transcript"]]
    assert " ".join(texts).split() == " ".join(spoken).split(), "nothing lost, nothing repeated"


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
async def test_render_transcript_subtitles_parse_strictly(connect, platform, fmt):
    record_id = find_call(platform, "sales-discovery").recordings[0].record_id
    async with connect() as client:
        page = (await client.call_tool("render_transcript", {"record_id": record_id, "format": fmt})).structured_content
    if fmt == "srt":
        cues = list(srt.parse(page["content"], ignore_errors=False))
    else:
        cues = webvtt.from_buffer(io.StringIO(page["content"])).captions
    assert len(cues) == page["returned"] > 0


async def test_render_transcript_of_a_session_shows_every_leg_on_one_clock(connect, platform):
    call = find_call(platform, "transferred-call")
    async with connect() as client:
        page = (await client.call_tool("render_transcript", {"session_id": call.session_id})).structured_content
    assert page["content"].startswith(CONTENT_BEGIN) and page["content"].endswith(CONTENT_END)
    assert "Leg 1 of 2" in page["content"] and "Leg 2 of 2" in page["content"]


async def test_render_transcript_jumps_to_a_moment_and_filters_speakers(connect, platform):
    call = find_call(platform, "sales-discovery")
    async with connect() as client:
        page = (
            await client.call_tool(
                "render_transcript",
                {"record_id": call.recordings[0].record_id, "start_seconds": 600, "end_seconds": 660},
            )
        ).structured_content
        assert 0 < page["returned"] < 40 and "between 10:00 and 11:00" in page["hint"]
        bad = await client.call_tool(
            "render_transcript", {"record_id": call.recordings[0].record_id, "speakers": ["Nobody Atall"]}
        )
    assert "Speakers in this transcript" in error_text(bad)


async def test_prompt_injection_in_call_content_stays_inside_the_markers(connect, platform):
    record_id = find_call(platform, "prompt-injection").recordings[0].record_id
    async with connect() as client:
        page = (await client.call_tool("render_transcript", {"record_id": record_id, "limit": 1000})).structured_content
    content = page["content"]
    assert content.count(CONTENT_END) == 1 and content.endswith(CONTENT_END)
    assert "ignore previous instructions" in content.lower()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, "exactly one of record_id"),
        ({"record_id": "1", "session_id": "s-1"}, "exactly one of record_id"),
        ({"record_id": "1", "start_seconds": 50, "end_seconds": 10}, "must be after"),
        ({"record_id": "1", "format": "pdf"}, "text"),
        ({"record_id": "1", "limit": -5}, "greater than or equal to 1"),
        ({"record_id": "1", "max_chars": 10_000_000}, "less than or equal to 60000"),
    ],
)
async def test_render_transcript_refuses_bad_arguments_without_a_request(connect, platform, args, expected):
    async with connect() as client:
        platform.clear_requests()
        result = await client.call_tool("render_transcript", args)
    assert expected in error_text(result)
    assert not platform.requests_to("/insights")


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("check_permission", {}),
        ("list_recorded_calls", {"date_from": MONTH_AGO, "date_to": TODAY}),
        ("get_insights_by_record", {"record_id": "sales-discovery", "detail": "full"}),
        ("get_insights_by_session", {"session_id": "transferred-call"}),
    ],
)
async def test_a_tool_result_reads_as_compact_json_of_exactly_its_structured_content(
    connect, platform, tool, arguments
):
    if "record_id" in arguments:
        arguments = {**arguments, "record_id": find_call(platform, arguments["record_id"]).recordings[0].record_id}
    if "session_id" in arguments:
        arguments = {**arguments, "session_id": find_call(platform, arguments["session_id"]).session_id}
    async with connect() as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, error_text(result)
    [block] = result.content
    assert json.loads(block.text) == result.structured_content
    assert "\n" not in block.text, "no indentation: every character is data"


@pytest.mark.parametrize("fmt", ["compact", "text", "markdown", "srt", "vtt", "json"])
async def test_a_transcript_page_reads_as_its_fields_then_the_page_itself_unescaped(connect, platform, fmt):
    record_id = find_call(platform, "sales-discovery").recordings[0].record_id
    async with connect() as client:
        result = await client.call_tool("render_transcript", {"record_id": record_id, "format": fmt})
    assert not result.is_error, error_text(result)
    page = result.structured_content
    head, content = result.content[0].text.split("\n", 1)
    assert content == page["content"], "the page itself, not an escaped string"
    assert json.loads(head) == {key: value for key, value in page.items() if key != "content"}
