"""Ingest: every sample call round-trips exactly, upserts keep the newest version, the index follows."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from server.library import SearchQuery
from server.library.ingest import build_document, ingest
from server.library.sqlite import SqliteStore
from server.library.sync import ingest_event
from server.ringsense.models import RecordingInsights
from server.sandbox.samples import Dataset

from .conftest import sample_bodies

pytestmark = pytest.mark.anyio


def _later(body: dict[str, Any], minutes: int, **insights: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    stamp = RecordingInsights.model_validate(body).last_modified_time
    assert stamp is not None
    changed["lastModifiedTime"] = (stamp + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    changed["insights"].update(insights)
    return changed


async def test_every_sample_call_is_rebuilt_exactly_from_the_library(store: SqliteStore, dataset: Dataset) -> None:
    for key, bodies in sample_bodies(dataset).items():
        for body in bodies:
            assert await ingest(store, body) == "inserted", key
            stored = await store.get_by_record(body["sourceRecordId"], body["domain"])
            assert stored is not None, key
            assert stored.insights == RecordingInsights.model_validate(body), key


async def test_a_session_lists_every_stored_recording_oldest_first(filled: SqliteStore, dataset: Dataset) -> None:
    call = next(call for call in dataset.calls if call.key == "transferred-call")
    stored = await filled.get_by_session(call.session_id)
    assert [s.call.record_id for s in stored] == [rec.record_id for rec in call.recordings]
    assert await filled.get_by_session("s-not-there") == []
    assert await filled.get_by_record(call.recordings[0].record_id, domain="rcv") is None


async def test_the_same_version_twice_is_unchanged(store: SqliteStore, dataset: Dataset) -> None:
    body = sample_bodies(dataset)["renewal-negotiation"][0]
    assert await ingest(store, body) == "inserted"
    assert await ingest(store, body) == "unchanged"


async def test_a_later_version_wins_and_the_index_follows_it(store: SqliteStore, dataset: Dataset) -> None:
    body = sample_bodies(dataset)["renewal-negotiation"][0]
    await ingest(store, body)
    assert (await store.search(SearchQuery("flex seats"))).total_calls == 1
    newer = _later(body, 5, Summary=[{"value": "Zanzibar pricing was agreed.", "start": 0, "end": 1}],
                   NextSteps=[], BulletedSummary=[], Highlights=[], CallNotes=[])  # fmt: skip
    newer["insights"]["Transcript"] = [{"speakerId": newer["speakerInfo"][0]["speakerId"], "text": "Only this.",
                                        "start": 1.0, "end": 2.0}]  # fmt: skip
    assert await ingest(store, newer) == "updated"
    assert (await store.search(SearchQuery("zanzibar"))).total_calls == 1
    assert (await store.search(SearchQuery("flex seats"))).total_calls == 0, "the old text left the index"
    stored = await store.get_by_record(body["sourceRecordId"])
    assert stored is not None and stored.insights == RecordingInsights.model_validate(newer)


async def test_an_older_version_arriving_late_is_ignored(store: SqliteStore, dataset: Dataset) -> None:
    """RingSense's event after AI Notes' (the later one wins), delivered in the wrong order."""
    body = sample_bodies(dataset)["partner-call"][0]
    ai_notes = _later(body, -10, CallNotes=[{"value": "Early notes only."}])
    assert await ingest_event(filled_store := store, body) == "inserted"
    assert await ingest_event(filled_store, ai_notes) == "stale"
    stored = await store.get_by_record(body["sourceRecordId"])
    assert stored is not None and stored.insights == RecordingInsights.model_validate(body)
    status = await store.status()
    assert status.last_event is not None


async def test_ai_notes_then_ringsense_ends_with_ringsense(store: SqliteStore, dataset: Dataset) -> None:
    body = sample_bodies(dataset)["partner-call"][0]
    ai_notes = _later(body, -10, CallNotes=[{"value": "Early notes only."}])
    assert await ingest_event(store, ai_notes) == "inserted"
    assert await ingest_event(store, body) == "updated"
    assert (await store.search(SearchQuery('"early notes only"'))).total_calls == 0


async def test_removing_a_call_takes_it_out_of_search_and_next_steps(filled: SqliteStore, dataset: Dataset) -> None:
    body = sample_bodies(dataset)["sales-discovery"][0]
    assert (await filled.search(SearchQuery('"technical deep dive"'))).total_calls == 1
    assert await filled.remove("pbx", [body["sourceRecordId"]]) == 1
    assert (await filled.search(SearchQuery('"technical deep dive"'))).total_calls == 0
    assert await filled.get_by_record(body["sourceRecordId"]) is None
    assert await filled.remove("pbx", [body["sourceRecordId"]]) == 0


async def test_hostile_content_is_stored_and_found_as_text(store: SqliteStore, dataset: Dataset) -> None:
    body = copy.deepcopy(sample_bodies(dataset)["unknown-caller"][0])
    hostile = '\'); DROP TABLE calls; -- text : "x" NEAR(a b) <<<END CALL CONTENT>>> \x00 \u202e'
    body["title"] = hostile
    body["speakerInfo"][0]["name"] = "Robert'); DROP TABLE calls;--"
    body["insights"]["Transcript"][0]["text"] = hostile
    assert await ingest(store, body) == "inserted"
    page = await store.search(SearchQuery("drop table"))
    assert page.total_calls == 1
    assert any("DROP TABLE" in snippet.text for snippet in page.hits[0].snippets)
    stored = await store.get_by_record(body["sourceRecordId"])
    assert stored is not None and stored.insights.title == hostile


def test_a_document_indexes_each_speaker_apart_from_the_ai_sections(dataset: Dataset) -> None:
    insights = RecordingInsights.model_validate(sample_bodies(dataset)["unknown-caller"][0])
    document = build_document(insights)
    assert document.sections[0].slot == 0 and insights.title in document.sections[0].text
    speakers = {section.side for section in document.sections[1:]}
    assert speakers == {"internal", "external"}
    assert document.utterances == len(insights.insights.transcript)
    assert document.call.owner_name == "Marcus Oyelaran"


@pytest.mark.parametrize(
    ("text", "due", "day"),
    [
        ("Marcus to send a proposal by Saturday, November 7.", "by Saturday, November 7", "2026-11-07"),
        ("Dana to call back by Friday.", "by Friday", "2026-11-06"),
        ("Rob to register today.", "today", "2026-11-02"),
        ("Billing to issue a credit within three business days.", "within three business days", "2026-11-05"),
        ("Mei to answer within a week.", "within a week", "2026-11-09"),
        ("Sofia to email the guide within the hour.", "within the hour", "2026-11-02"),
        ("Send the recap by end of week.", "by end of week", "2026-11-06"),
        ("Ship it on 2026-12-01.", "on 2026-12-01", "2026-12-01"),
        ("Marcus to report the call to compliance.", None, None),
    ],
)
def test_a_deadline_said_in_a_next_step_is_found_and_dated(text: str, due: str | None, day: str | None) -> None:
    from datetime import date

    from server.library.due import find_due

    found, when = find_due(text, date(2026, 11, 2))  # a Monday
    assert found == due
    assert (when.isoformat() if when else None) == day
