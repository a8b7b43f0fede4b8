"""render_transcript and whole_transcript, called directly (no MCP) against the sandbox."""

from __future__ import annotations

import json

import pytest

from server.sandbox import SandboxPlatform
from tools.deps import Deps
from tools.errors import ToolFailure
from tools.formatting import CONTENT_BEGIN, CONTENT_END
from tools.render import render_transcript, whole_transcript
from tools.transcript import MAX_MAX_CHARS

from .conftest import sample

pytestmark = pytest.mark.anyio


async def turns(deps: Deps, *, limit: int = 1000, **arguments: object) -> list[dict[str, object]]:
    """Every turn, as JSON items, by following next_offset from 0."""
    read: list[dict[str, object]] = []
    offset: int | None = 0
    while offset is not None:
        page = await render_transcript(
            deps, format="json", offset=offset, limit=limit, max_chars=MAX_MAX_CHARS, **arguments
        )  # type: ignore[arg-type]
        assert page.returned <= limit
        read += json.loads(page.content)
        offset = page.next_offset
    return read


async def test_following_next_offset_reads_every_turn_once_in_order(deps: Deps, platform: SandboxPlatform):
    record_id = sample(platform, "sales-discovery").recordings[0].record_id
    everything = await turns(deps, record_id=record_id)
    in_pages_of_7 = await turns(deps, record_id=record_id, limit=7)
    assert in_pages_of_7 == everything and len(everything) > 7
    assert [turn["n"] for turn in everything] == list(range(1, len(everything) + 1))


async def test_text_pages_are_wrapped_in_the_call_content_markers(deps: Deps, platform: SandboxPlatform):
    record_id = sample(platform, "sales-discovery").recordings[0].record_id
    page = await render_transcript(deps, record_id=record_id)
    assert page.content.startswith(CONTENT_BEGIN) and page.content.endswith(CONTENT_END)


async def test_a_session_renders_every_leg_under_a_leg_header(deps: Deps, platform: SandboxPlatform):
    call = sample(platform, "transferred-call")
    page = await render_transcript(deps, session_id=call.session_id, limit=1000)
    for number, recording in enumerate(call.recordings, start=1):
        assert f"Leg {number} of 2 · recording {recording.record_id}" in page.content
    legs = {turn["leg"] for turn in await turns(deps, session_id=call.session_id)}
    assert legs == {1, 2}


async def test_a_speaker_filter_keeps_only_that_speakers_turns(deps: Deps, platform: SandboxPlatform):
    record_id = sample(platform, "sales-discovery").recordings[0].record_id
    speakers = {turn["speaker"] for turn in await turns(deps, record_id=record_id)}
    chosen = sorted(speakers)[0]
    kept = await turns(deps, record_id=record_id, speakers=[str(chosen).split()[0].lower()])
    assert kept and {turn["speaker"] for turn in kept} == {chosen}


async def test_an_unknown_speaker_is_refused_with_the_speakers_present(deps: Deps, platform: SandboxPlatform):
    record_id = sample(platform, "sales-discovery").recordings[0].record_id
    speakers = {str(turn["speaker"]) for turn in await turns(deps, record_id=record_id)}
    with pytest.raises(ToolFailure, match="No speaker matches") as caught:
        await render_transcript(deps, record_id=record_id, speakers=["Nobody Here"])
    assert all(name in str(caught.value) for name in speakers)


async def test_a_time_window_keeps_only_turns_that_overlap_it(deps: Deps, platform: SandboxPlatform):
    record_id = sample(platform, "sales-discovery").recordings[0].record_id
    window = await turns(deps, record_id=record_id, start_seconds=60, end_seconds=120)
    everything = await turns(deps, record_id=record_id)
    assert 0 < len(window) < len(everything)
    assert all(float(t["end"]) > 60 and float(t["start"]) < 120 for t in window)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "exactly one of record_id"),
        ({"record_id": "2793284513355", "session_id": "s-1"}, "exactly one of record_id"),
        ({"record_id": "2793284513355", "start_seconds": 90, "end_seconds": 30}, "must be after start_seconds"),
        ({"record_id": "2793284513355", "offset": 100_000}, "past the end"),
    ],
)
async def test_contradictory_arguments_are_refused_with_what_to_do(deps: Deps, arguments, message):
    with pytest.raises(ToolFailure, match=message):
        await render_transcript(deps, **arguments)


async def test_the_whole_transcript_is_markdown_inside_the_markers(deps: Deps, platform: SandboxPlatform):
    call = sample(platform, "sales-discovery")
    text = await whole_transcript(deps, call.recordings[0].record_id)
    assert text.startswith(CONTENT_BEGIN) and text.endswith(CONTENT_END)
    last_line = call.recordings[0].insights["insights"]["Transcript"][-1]["text"]
    assert " ".join(last_line.split()) in text
