"""The wire models tolerate what the real (beta) API and its docs disagree on."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from pydantic import ValidationError

from server.ringsense.models import CallLogPage, PermissionCheck, RecordingInsights, SessionInsights, TranscriptUnit


def body(**insights: Any) -> dict[str, Any]:
    return {
        "title": "Call from John Smith to Tracy Debolah",
        "domain": "pbx",
        "sourceRecordId": "2728084995017",
        "sourceSessionId": "s-a0e7b361acc0az191bec7e275z7cae070000",
        "callDirection": "Outbound",
        "ownerExtensionId": "62288329999",
        "recordingDurationMs": 125963,
        "recordingStartTime": "2024-09-04T20:44:16.390Z",
        "creationTime": "2024-09-04T21:15:43.597Z",
        "lastModifiedTime": "2024-09-04T21:15:43.591Z",
        "speakerInfo": [
            {"speakerId": "p-1", "name": "John Smith", "accountId": "809646999", "extensionId": "62288329999"},
            {"speakerId": "p-2", "name": "Tracy Debolah", "accountId": None, "extensionId": None},
        ],
        "insights": insights,
    }


@pytest.mark.parametrize("key", ["Highlights", "HighLights", "highlights"])
def test_both_highlights_spellings_are_read_as_highlights(key):
    parsed = RecordingInsights.model_validate(
        body(**{key: [{"speakerId": "p-1", "value": "Pricing", "start": 1, "end": 2}]})
    )
    assert [h.value for h in parsed.insights.highlights] == ["Pricing"]
    assert parsed.insights.present == ["Highlights"]


def test_null_names_and_ids_on_speakers_are_accepted():
    data = body()
    data["speakerInfo"].append(
        {"speakerId": "p-3", "name": None, "accountId": None, "extensionId": None, "phoneNumber": None}
    )
    parsed = RecordingInsights.model_validate(data)
    assert parsed.speaker("p-3").name is None
    assert parsed.speaker("p-1").is_internal and not parsed.speaker("p-2").is_internal


@pytest.mark.parametrize(("value", "expected"), [("7", "7"), (7, "7"), (7.5, "7.5")])
def test_ai_score_may_be_a_string_or_a_number(value, expected):
    parsed = RecordingInsights.model_validate(body(AIScore=[{"value": value}]))
    assert parsed.insights.ai_score[0].value == expected


@pytest.mark.parametrize("sentiment", ["Positive", "Negative", "Neutral"])
def test_sentiment_values_are_kept(sentiment):
    parsed = RecordingInsights.model_validate(body(Sentiment=[{"value": sentiment}]))
    assert parsed.insights.sentiment[0].value == sentiment


def test_unknown_insight_kinds_and_fields_are_kept_not_dropped():
    data = body(QnA=[{"speakerId": "p-2", "value": "Q: price? A: $40", "start": 3, "end": 5}])
    data["eventType"] = "Create"
    parsed = RecordingInsights.model_validate(data)
    assert parsed.insights.other == {"QnA": [{"speakerId": "p-2", "value": "Q: price? A: $40", "start": 3, "end": 5}]}
    assert parsed.model_extra == {"eventType": "Create"}


def test_summary_ordinals_are_told_apart_from_seconds():
    ordinal = RecordingInsights.model_validate(
        body(Summary=[{"value": "a", "start": 0, "end": 1}, {"value": "b", "start": 1, "end": 2}])
    )
    timed = RecordingInsights.model_validate(body(Summary=[{"value": "a", "start": 12.5, "end": 80}]))
    assert ordinal.insights.summary_timing == "ordinal"
    assert timed.insights.summary_timing == "seconds"


def test_missing_sections_and_empty_arrays_are_fine():
    parsed = RecordingInsights.model_validate(body(Transcript=[], NextSteps=None))
    assert parsed.insights.transcript == [] and parsed.insights.next_steps == []
    assert parsed.insights.summary == [] and parsed.warnings == []
    minimal = RecordingInsights.model_validate({"sourceRecordId": 42})
    assert minimal.source_record_id == "42" and minimal.insights.present == []


def test_one_malformed_unit_is_skipped_and_reported_without_failing_the_call():
    parsed = RecordingInsights.model_validate(
        body(
            Transcript=[
                {"speakerId": "p-1", "text": "Hello.", "start": 0, "end": 1},
                {"speakerId": "p-2", "start": 1, "end": 2},
                {"speakerId": "p-2", "text": "Hi!", "start": 2, "end": "soon"},
                {"speakerId": "p-1", "text": "Let's start.", "start": 3, "end": 4},
            ],
            Summary="not a list",
        )
    )
    assert [u.text for u in parsed.insights.transcript] == ["Hello.", "Let's start."]
    assert len(parsed.warnings) == 3
    assert any("Transcript[1]" in w and "text" in w for w in parsed.warnings)
    assert any("Summary" in w for w in parsed.warnings)


def test_a_malformed_speaker_is_skipped_and_reported():
    data = body()
    data["speakerInfo"].append({"name": "No id"})
    parsed = RecordingInsights.model_validate(data)
    assert len(parsed.speaker_info) == 2 and "speakerInfo[2]" in parsed.warnings[0]


def test_a_body_of_the_wrong_shape_is_a_validation_error():
    with pytest.raises(ValidationError):
        RecordingInsights.model_validate({"unexpected": True})
    with pytest.raises(ValidationError):
        RecordingInsights.model_validate(["not", "an", "object"])


def test_session_keeps_good_records_and_reports_bad_ones():
    parsed = SessionInsights.model_validate(
        {"records": [body(), {"title": "no id"}], "paging": {"page": 1, "perPage": 100, "totalElements": 2}}
    )
    assert len(parsed.records) == 1 and "records[1]" in parsed.warnings[0]
    assert parsed.paging.total_elements == 2


def test_permission_check_false_response_has_no_details():
    parsed = PermissionCheck.model_validate(
        {"uri": "https://x/check?permissionId=ReadRingSenseInsights", "successful": False}
    )
    assert parsed.successful is False and parsed.details is None
    granted = PermissionCheck.model_validate(
        {"successful": True, "details": {"effectiveRole": {"id": "1"}, "scopes": ["AllExtensions"]}}
    )
    assert granted.details.effective_role.id == "1" and granted.details.scopes == ["AllExtensions"]


def test_call_log_records_expose_every_recording_and_paging():
    page = CallLogPage.model_validate(
        {
            "records": [
                {
                    "id": "ASaxDDkSZ5s42MA",
                    "telephonySessionId": "s-1",
                    "from": {"phoneNumber": "+16505550142", "name": None},
                    "recording": {"id": 1662272004, "uri": "u", "type": "Automatic", "contentUri": "c"},
                    "legs": [{"recording": {"id": "1662272004"}}, {"recording": {"id": "1662272005"}}],
                }
            ],
            "paging": {"page": 1, "totalPages": 2},
            "navigation": {},
        }
    )
    record = page.records[0]
    assert [r.id for r in record.recordings] == ["1662272004", "1662272005"]
    assert record.from_.phone_number == "+16505550142"
    assert page.has_next is True


def test_transcript_lines_are_held_in_a_handful_of_objects_not_one_model_per_line():
    """A cached response used to cost ~760 GC-tracked objects; the collector walks every one on a full pass."""
    lines = [{"speakerId": f"p-{i % 3}", "text": f"Line {i}.", "start": i, "end": i + 0.5} for i in range(1500)]
    gc.collect()
    before = len(gc.get_objects())
    parsed = RecordingInsights.model_validate(body(Transcript=lines))
    gc.collect()
    assert len(gc.get_objects()) - before < 60
    assert len(parsed.insights.transcript) == 1500
    assert parsed.insights.transcript[1499] == ("p-2", "Line 1499.", 1499.0, 1499.5)


def test_unknown_transcript_line_fields_are_kept_and_serialised_back():
    lines = [
        {"speakerId": "p-1", "text": "Hello.", "start": 0, "end": 1, "confidence": 0.93},
        {"speakerId": "p-2", "text": "Hi.", "start": 1, "end": 2},
    ]
    parsed = RecordingInsights.model_validate(body(Transcript=lines))
    assert (
        parsed.insights.transcript.extra_fields(0) == {"confidence": 0.93}
        and parsed.insights.transcript.extra_fields(1) == {}
    )
    dumped = parsed.model_dump(by_alias=True)["insights"]["Transcript"]
    assert dumped == [{**line, "start": float(line["start"]), "end": float(line["end"])} for line in lines]
    assert RecordingInsights.model_validate(parsed.model_dump(by_alias=True)) == parsed


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "soon", None])
def test_a_transcript_line_whose_time_is_not_a_finite_number_is_skipped_and_reported(bad):
    lines = [{"speakerId": "p-1", "text": "Kept.", "start": 0, "end": 1}, {"text": "Dropped.", "start": bad, "end": 2}]
    parsed = RecordingInsights.model_validate(body(Transcript=lines))
    assert [unit.text for unit in parsed.insights.transcript] == ["Kept."]
    assert any("Transcript[1] skipped" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"speakerId": "p-2", "text": 42, "start": 1, "end": 2}, id="text not a string"),
        pytest.param({"speakerId": "p-2", "text": None, "start": 1, "end": 2}, id="text null"),
        pytest.param({"speakerId": ["p-2"], "text": "Bad.", "start": 1, "end": 2}, id="speaker id a list"),
        pytest.param({"speakerId": {"id": "p-2"}, "text": "Bad.", "start": 1, "end": 2}, id="speaker id an object"),
        pytest.param({"speakerId": "p-2", "text": "Bad.", "start": 1, "end": float("-inf")}, id="end -Infinity"),
        pytest.param(["p-2", "Bad.", 1, 2], id="line not an object"),
    ],
)
def test_a_malformed_transcript_line_among_good_ones_is_judged_line_by_line(bad):
    """The column-at-a-time check sends anything it does not accept to pydantic, which keeps the good lines."""
    good = [{"speakerId": "p-1", "text": f"Line {i}.", "start": i * 3.0, "end": i * 3.0 + 1} for i in range(3)]
    parsed = RecordingInsights.model_validate(body(Transcript=[*good[:2], bad, good[2]]))
    assert [unit.text for unit in parsed.insights.transcript] == [line["text"] for line in good]
    assert any("Transcript[2] skipped" in w for w in parsed.warnings)


def test_finite_times_whose_sum_overflows_are_kept():
    lines = [{"speakerId": "p-1", "text": f"Late {i}.", "start": 1.7e308, "end": 1.7e308} for i in range(2)]
    parsed = RecordingInsights.model_validate(body(Transcript=lines))
    assert [unit.start for unit in parsed.insights.transcript] == [1.7e308, 1.7e308] and not parsed.warnings


def test_transcript_lines_share_one_string_per_speaker():
    lines = [{"speakerId": "p-" + str(i % 2), "text": "Hi.", "start": i, "end": i + 1} for i in range(6)]
    transcript = RecordingInsights.model_validate(body(Transcript=lines)).insights.transcript
    assert len({id(speaker) for speaker in transcript.speaker_ids}) == 2
    assert transcript.speaker_ids == ("p-0", "p-1") * 3


def test_a_transcript_reads_as_a_sequence_of_units_and_by_column():
    lines = [{"speakerId": "p-1", "text": "One.", "start": 0, "end": 1}, {"text": "Two.", "start": 1, "end": 3}]
    transcript = RecordingInsights.model_validate(body(Transcript=lines)).insights.transcript
    assert list(transcript) == [TranscriptUnit("p-1", "One.", 0.0, 1.0), TranscriptUnit(None, "Two.", 1.0, 3.0)]
    assert transcript[-1].speaker_id is None and transcript[:1] == [TranscriptUnit("p-1", "One.", 0.0, 1.0)]
    assert (transcript.texts, list(transcript.ends)) == (("One.", "Two."), [1.0, 3.0])
