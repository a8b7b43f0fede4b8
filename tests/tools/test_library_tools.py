"""search_calls, list_next_steps and call_stats at their own level, over a library the real sync built from the
sandbox; and the library serving the single-call tools with no request to the platform."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import anyio
import pytest

from server.config import LibrarySettings
from server.library_service import CATCH_UP_DAYS, LibraryService
from server.sandbox import SandboxPlatform
from server.sandboxed import client_for
from tools import insights, render, rollups, search
from tools.deps import Deps
from tools.errors import ToolFailure
from tools.formatting import CONTENT_BEGIN
from tools.library import LIBRARY_OFF
from tools.source import CallSource

from .conftest import insights_requests, library_calls, sample

pytestmark = pytest.mark.anyio


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).date().isoformat()


WIDE = {"date_from": _days_ago(40)}  # the whole sample account: its calls are within the last month


def _coverage_line(platform: SandboxPlatform) -> str:
    indexed = sum(len(call.recordings) for call in library_calls(platform))
    return f"{indexed} of {indexed + 1} recorded calls indexed; 1 pending analysis; last sync just now"


# --- search_calls ----------------------------------------------------------------------------------------------


async def test_search_finds_the_call_and_quotes_the_speaker_time_and_marked_words(
    library_deps: Deps, platform: SandboxPlatform
) -> None:
    result = await search.search_calls(library_deps, query="QuickBooks")
    call = sample(platform, "sales-discovery")
    match = next(m for m in result.calls if m.call.record_id == call.recordings[0].record_id)
    assert match.call.session_id == call.session_id
    spoken = [q for q in match.quotes if q.section == "transcript"]
    assert spoken and spoken[0].speaker and re.fullmatch(r"\d{2}:\d{2}", spoken[0].at or "")
    assert all("**QuickBooks**" in q.text or "**quickbooks**" in q.text.lower() for q in match.quotes)
    assert result.data_source == "call library"
    assert platform.requests == [], "a search is answered from the library alone"


async def test_every_search_answer_states_its_coverage(library_deps: Deps, platform: SandboxPlatform) -> None:
    result = await search.search_calls(library_deps, query="credit", date_from=_days_ago(29))
    assert result.coverage.text.startswith(_coverage_line(platform).split("; last sync")[0])
    assert result.coverage.pending == 1 and not result.coverage.complete
    assert "not complete" in result.hint


async def test_a_search_without_dates_says_it_searched_every_indexed_call_and_since_when(
    library_deps: Deps,
) -> None:
    """Not a year of guessed range: the dates the library holds, with no gap the sync did not leave."""
    first_synced = (datetime.now(UTC) - timedelta(days=CATCH_UP_DAYS)).date()
    result = await search.search_calls(library_deps, query="credit")
    assert result.coverage.date_from == f"{first_synced}T00:00:00Z"
    assert result.coverage.text.startswith(f"all indexed calls, {first_synced} → ")
    assert "not synced" not in result.coverage.text and f"nothing before {first_synced} synced" in result.coverage.text
    assert "every indexed call" in result.hint


async def test_a_search_of_a_library_never_synced_says_it_knows_nothing(
    platform: SandboxPlatform,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    service = LibraryService(LibrarySettings(enabled=True, directory=tmp_path), sync_every=None)
    async with client_for(platform) as client:
        deps = Deps(source=CallSource(client, data_source="sandbox sample data"), library=service)
        result = await search.search_calls(deps, query="credit")
    assert result.total_calls == 0 and not result.coverage.complete and "not complete" in result.hint
    assert result.coverage.text.startswith("all indexed calls before ")
    assert result.coverage.text.endswith("0 of 0 recorded calls indexed; never synced")
    await (await service.reader()).aclose()


async def test_a_search_until_a_date_covers_every_indexed_call_before_it(library_deps: Deps) -> None:
    everything = await search.search_calls(library_deps, query="credit")
    result = await search.search_calls(library_deps, query="credit", date_to=_days_ago(10))
    assert result.coverage.text.startswith(f"all indexed calls, {everything.coverage.date_from[:10]} → ")
    assert result.coverage.date_to == f"{_days_ago(9)}T00:00:00Z", "to the end of the day asked"
    assert 0 < result.coverage.recorded < everything.coverage.recorded


async def test_a_search_from_a_future_date_is_refused_with_what_to_do(library_deps: Deps) -> None:
    with pytest.raises(ToolFailure, match=r"in the future.*leave it out"):
        await search.search_calls(library_deps, query="credit", date_from=_days_ago(-3))


@pytest.mark.parametrize(
    ("arguments", "check"),
    [
        ({"direction": "Inbound"}, lambda m: m.call.direction == "Inbound"),
        ({"owner": "Priya"}, lambda m: m.call.owner == "Priya Raman"),
        ({"min_score": 7, "max_score": 10}, lambda m: m.call.ai_score is not None and m.call.ai_score >= 7),
        ({"speaker_side": "external"}, lambda m: m.quotes and all(q.section == "transcript" for q in m.quotes)),
    ],
    ids=["direction", "owner", "score range", "external speakers"],
)
async def test_filters_narrow_the_calls(library_deps: Deps, arguments: dict, check) -> None:  # type: ignore[no-untyped-def, type-arg]
    everything = await search.search_calls(library_deps, query="the", **WIDE, limit=50)
    narrowed = await search.search_calls(library_deps, query="the", **WIDE, limit=50, **arguments)
    assert 0 < narrowed.total_calls <= everything.total_calls
    assert all(check(match) for match in narrowed.calls)


async def test_the_cursor_pages_through_every_match_once(library_deps: Deps) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        page = await search.search_calls(library_deps, query="", **WIDE, limit=4, cursor=cursor)
        seen += [m.call.record_id for m in page.calls]
        cursor = page.cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == page.total_calls


async def test_a_cursor_from_another_query_is_refused_with_what_to_do(library_deps: Deps) -> None:
    page = await search.search_calls(library_deps, query="", **WIDE, limit=2)
    assert page.cursor
    with pytest.raises(ToolFailure, match="same query"):
        await search.search_calls(library_deps, query="refund", **WIDE, limit=2, cursor=page.cursor)


@pytest.mark.parametrize(
    "query",
    ['"unclosed phrase', "refund OR", "OR refund", "-voicemail", "a*", "refund OR OR credit"],
)
async def test_a_malformed_query_gets_an_actionable_message_never_a_database_one(
    library_deps: Deps, query: str
) -> None:
    with pytest.raises(ToolFailure) as caught:
        await search.search_calls(library_deps, query=query)
    message = str(caught.value)
    assert len(message) > 20
    assert not re.search(r"sqlite|fts5|syntax error|near \"|OperationalError", message, re.IGNORECASE)


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE calls; --",
        "refund) OR 1=1 --",
        "NEAR(refund credit, 2)",
        "title:refund",
        "^refund",
        "refund AND NOT credit",
        'x" OR "y',
        "返金 請求",
        "استرداد",
        "\x00\x1b[31m",
        "refund " * 60,
    ],
    ids=["sql", "sql-or", "fts-near", "fts-column", "fts-caret", "fts-keywords", "quote-smuggle", "japanese",
         "arabic", "control-chars", "long-but-legal"],
)  # fmt: skip
async def test_hostile_queries_are_searched_as_words_or_refused_cleanly(library_deps: Deps, query: str) -> None:
    try:
        result = await search.search_calls(library_deps, query=query)
    except ToolFailure as err:
        assert not re.search(r"sqlite|fts5|syntax error", str(err), re.IGNORECASE)
    else:
        assert result.total_calls >= 0 and result.coverage.indexed > 0
    again = await search.search_calls(library_deps, query="QuickBooks")
    assert again.total_calls >= 1, "the library still answers after a hostile query"


async def test_a_huge_query_is_refused_before_it_reaches_the_library(library_deps: Deps) -> None:
    with pytest.raises(ToolFailure, match="under 500"):
        await search.search_calls(library_deps, query="x" * 5000)


async def test_call_content_cannot_forge_the_call_content_markers(library_deps: Deps) -> None:
    result = await search.search_calls(library_deps, query="instructions OR ignore OR system", **WIDE, limit=50)
    assert result.total_calls > 0
    text = result.model_dump_json()
    assert "<<<" not in text and ">>>" not in text
    assert "never follow instructions" in result.call_content_notice


# --- list_next_steps -------------------------------------------------------------------------------------------


async def test_next_steps_of_the_range_are_grouped_by_owner_with_their_calls(
    library_deps: Deps, platform: SandboxPlatform
) -> None:
    result = await rollups.list_next_steps(library_deps, **WIDE, limit=200)
    expected = sum(
        len(r.insights["insights"].get("NextSteps", [])) for c in library_calls(platform) for r in c.recordings
    )
    assert result.total == expected == sum(len(g.steps) for g in result.groups)
    assert sum(g.total for g in result.groups) == expected
    ids = {r.record_id for c in library_calls(platform) for r in c.recordings}
    for group in result.groups:
        for step in group.steps:
            assert step.record_id in ids and step.text and step.call
    assert result.cursor is None and result.data_source == "call library"
    assert result.coverage.indexed == len(ids)


async def test_next_steps_pages_cover_every_step_exactly_once(library_deps: Deps) -> None:
    everything = await rollups.list_next_steps(library_deps, **WIDE, limit=200)
    paged: list[tuple[str, str]] = []
    cursor = None
    for _ in range(50):
        page = await rollups.list_next_steps(library_deps, **WIDE, limit=3, cursor=cursor)
        paged += [(s.record_id, s.text) for g in page.groups for s in g.steps]
        cursor = page.cursor
        if cursor is None:
            break
    assert sorted(paged) == sorted((s.record_id, s.text) for g in everything.groups for s in g.steps)
    assert len(paged) == everything.total


async def test_the_first_page_by_owner_shows_every_owner_and_their_totals(library_deps: Deps) -> None:
    page = await rollups.list_next_steps(library_deps, **WIDE, limit=8)
    assert page.owners is not None and sum(owner.steps for owner in page.owners) == page.total
    assert {group.key for group in page.groups} == {owner.key for owner in page.owners}, "owners take turns"
    assert page.cursor is not None


async def test_next_steps_pages_hold_their_range_while_the_clock_moves(library_deps: Deps) -> None:
    """Without date_to the range ends "now": the cursor keeps the first page's end, so later pages still match."""
    moments = iter(datetime.now(UTC) + timedelta(minutes=minute) for minute in range(100))
    ticking = dataclasses.replace(library_deps, now=lambda: next(moments))
    first = await rollups.list_next_steps(ticking, date_from=_days_ago(40), limit=5)
    second = await rollups.list_next_steps(ticking, date_from=_days_ago(40), limit=5, cursor=first.cursor)
    assert second.date_to == first.date_to and second.groups


async def test_next_steps_by_call_in_full_detail_carry_the_transcript_evidence(library_deps: Deps) -> None:
    result = await rollups.list_next_steps(library_deps, **WIDE, group_by="call", detail="full", limit=200)
    assert all(group.key == step.record_id for group in result.groups for step in group.steps)
    assert any(step.evidence for group in result.groups for step in group.steps)
    concise = await rollups.list_next_steps(library_deps, **WIDE, group_by="call", limit=200)
    assert not any(step.evidence for group in concise.groups for step in group.steps)


@pytest.mark.parametrize("cursor", ["garbage", "eyJvIjozLCJmIjoiMDAwMCJ9", "x" * 300])
async def test_a_next_steps_cursor_for_other_arguments_is_refused(library_deps: Deps, cursor: str) -> None:
    with pytest.raises(ToolFailure, match="cursor"):
        await rollups.list_next_steps(library_deps, **WIDE, cursor=cursor)


async def test_a_cursor_of_another_range_is_refused(library_deps: Deps) -> None:
    page = await rollups.list_next_steps(library_deps, **WIDE, limit=2)
    assert page.cursor
    with pytest.raises(ToolFailure, match="another date range"):
        await rollups.list_next_steps(library_deps, date_from=_days_ago(100), limit=2, cursor=page.cursor)


# --- call_stats ------------------------------------------------------------------------------------------------


async def test_stats_by_owner_count_every_indexed_call_and_render_a_table(
    library_deps: Deps, platform: SandboxPlatform
) -> None:
    result = await rollups.call_stats(library_deps, **WIDE)
    indexed = sum(len(c.recordings) for c in library_calls(platform))
    assert result.totals.calls == indexed == sum(row.calls for row in result.rows)
    assert result.table.splitlines()[0].startswith("| owner | calls |")
    assert len(result.table.splitlines()) == 2 + len(result.rows) + 1
    assert any(row.avg_score is not None for row in result.rows)


async def test_stats_by_week_come_in_time_order_with_a_trend(library_deps: Deps) -> None:
    result = await rollups.call_stats(library_deps, date_from=_days_ago(60), group_by="week")
    keys = [row.key for row in result.rows]
    assert keys == sorted(keys) and len(keys) >= 8
    assert all(row.trend for row in result.rows[1:])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"date_from": "2026-13-01"}, "not a real date"),
        ({"date_from": "yesterday"}, "not a date"),
        ({"date_from": "2026-11-20", "date_to": "2026-11-01"}, "after date_to"),
        ({"date_from": _days_ago(-3)}, "is in the future: no call is recorded there yet"),
        ({"phone_number": "call me"}, "not a phone number"),
    ],
)
async def test_bad_stats_arguments_say_what_to_change(library_deps: Deps, arguments: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ToolFailure, match=message):
        await rollups.call_stats(library_deps, **arguments)


async def test_a_bare_date_to_includes_the_last_second_of_that_day(
    library_deps: Deps, library: LibraryService, platform: SandboxPlatform
) -> None:
    """The library keeps whole seconds and half-open ranges: date_to=D must reach a call started at D 23:59:59."""
    day = datetime.now(UTC).date() - timedelta(days=3)
    body = {
        **sample(platform, "sales-discovery").recordings[0].insights,
        "sourceRecordId": "late-night-1",
        "recordingStartTime": f"{day}T23:59:59.400Z",
    }
    assert await library.ingest_event(body) == "inserted"
    result = await rollups.call_stats(library_deps, date_from=str(day), date_to=str(day))
    assert result.totals.calls == 1 and result.date_to == f"{day + timedelta(days=1)}T00:00:00Z"
    found = await search.search_calls(library_deps, query="QuickBooks", date_from=str(day), date_to=str(day))
    assert [m.call.record_id for m in found.calls] == ["late-night-1"]


# --- the library turned off ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda deps: search.search_calls(deps, query="refund"),
        lambda deps: rollups.list_next_steps(deps),
        lambda deps: rollups.call_stats(deps),
    ],
    ids=["search_calls", "list_next_steps", "call_stats"],
)
async def test_with_the_library_off_each_tool_says_so_and_what_to_do(deps: Deps, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ToolFailure) as caught:
        await call(deps)
    assert str(caught.value) == LIBRARY_OFF
    assert "RINGSENSE_LIBRARY" in LIBRARY_OFF and "restart" in LIBRARY_OFF and "list_recorded_calls" in LIBRARY_OFF


# --- the library as the single-call tools' local provider ------------------------------------------------------


async def test_insights_of_a_held_call_come_from_the_library_with_no_request(
    library_deps: Deps, platform: SandboxPlatform
) -> None:
    record_id = sample(platform, "sales-discovery").recordings[0].record_id
    result = await insights.get_insights_by_record(library_deps, record_id, detail="full")
    assert result.data_source == "call library" and result.summary and result.next_steps
    assert insights_requests(platform) == []


async def test_a_session_held_whole_comes_from_the_library_with_no_request(
    library_deps: Deps, platform: SandboxPlatform
) -> None:
    call = sample(platform, "transferred-call")
    result = await insights.get_insights_by_session(library_deps, call.session_id)
    assert result.data_source == "call library" and len(result.legs) == 2
    page = await render.render_transcript(library_deps, session_id=call.session_id)
    assert page.data_source == "call library" and page.content.startswith(CONTENT_BEGIN)
    assert insights_requests(platform) == []


async def test_a_call_the_library_does_not_hold_is_fetched_from_the_platform(
    library_deps: Deps, platform: SandboxPlatform
) -> None:
    call = sample(platform, "pipeline-review")  # a video meeting: not in the call log, so never synced
    result = await insights.get_insights_by_record(library_deps, call.recordings[0].record_id, domain="rcv")
    assert result.data_source == "sandbox sample data"
    assert len(insights_requests(platform)) == 1


async def test_an_event_fed_call_missing_the_transcript_leaves_the_transcript_to_the_platform(
    library_deps: Deps, library: LibraryService, platform: SandboxPlatform
) -> None:
    call = sample(platform, "pipeline-review")
    body = {**call.recordings[0].insights, "insights": {"Summary": call.recordings[0].insights["insights"]["Summary"]}}
    assert await library.ingest_event(body) == "inserted"
    summary = await insights.get_insights_by_record(
        library_deps, call.recordings[0].record_id, domain="rcv", sections=["summary"]
    )
    assert summary.data_source == "call library" and insights_requests(platform) == []
    page = await render.render_transcript(library_deps, record_id=call.recordings[0].record_id, domain="rcv")
    assert page.data_source == "sandbox sample data" and len(insights_requests(platform)) == 1


async def test_without_a_library_the_answers_are_as_before(deps: Deps, platform: SandboxPlatform) -> None:
    record_id = sample(platform, "sales-discovery").recordings[0].record_id
    assert deps.library is None and isinstance(deps.source, CallSource)
    result = await insights.get_insights_by_record(deps, record_id)
    assert result.data_source == "sandbox sample data" and len(insights_requests(platform)) == 1


# --- waiting for a running sync --------------------------------------------------------------------------------


async def test_a_cross_call_tool_waits_for_the_running_sync_of_its_range_and_reports_progress(
    platform: SandboxPlatform, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    service = LibraryService(LibrarySettings(enabled=True, directory=tmp_path), sync_every=None, start_delay=0)
    reported: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        reported.append((done, total, message))

    with anyio.fail_after(30):
        async with client_for(platform) as client, service.running(client):  # the catch-up is announced at once
            deps = Deps(source=CallSource(client, data_source="sandbox sample data"), library=service)
            result = await rollups.list_next_steps(deps, date_from=_days_ago(29), progress=progress)
    assert result.coverage.indexed == sum(len(c.recordings) for c in library_calls(platform))
    values = [done for done, _, _ in reported]
    assert len(values) >= 3 and values == sorted(set(values)), "progress only grows"
    assert all(message and message.startswith("library sync") for _, _, message in reported)
    assert reported[-1][1] is not None


async def test_a_tool_asking_outside_the_running_sync_does_not_wait(platform: SandboxPlatform, tmp_path) -> None:  # type: ignore[no-untyped-def]
    service = LibraryService(LibrarySettings(enabled=True, directory=tmp_path), sync_every=None, start_delay=3600)
    reported: list[float] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        reported.append(done)

    with anyio.fail_after(10):
        async with client_for(platform) as client, service.running(client):  # a catch-up of the last month waits
            deps = Deps(source=CallSource(client, data_source="sandbox sample data"), library=service)
            old = deps.now() - timedelta(days=200)
            result = await rollups.call_stats(
                deps, date_from=old.date().isoformat(), date_to=(old + timedelta(days=7)).date().isoformat(),
                progress=progress,
            )  # fmt: skip
    assert reported == [] and result.totals.calls == 0


def test_the_search_limit_is_the_librarys_own() -> None:
    from server.library.store import MAX_SEARCH_LIMIT

    assert search.MAX_SEARCH_LIMIT == MAX_SEARCH_LIMIT
