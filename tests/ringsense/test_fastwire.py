"""Bodies of the documented shape are decoded fast; the result is always what the tolerant parser makes of them.

The tolerant parser is the reference: JSON to Python with pydantic-core, then the models. `from_body` must give
the same model (fields, warnings, transcript columns, fields set, size), or raise the same error, for any body,
and take the fast path for the bodies RingSense documents, so the shortcut cannot quietly stop running.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from server.ringsense import fastwire
from server.ringsense.models import (
    _UNIT_MODELS,
    Insights,
    InsightType,
    RecordingInsights,
    SessionInsights,
    Transcript,
)
from server.sandbox.dataset import build_dataset

from .wirebodies import (
    Pairs,
    Raw,
    assert_same_as_tolerant,
    dumps,
    encode,
    ids,
    objects,
    recordings,
    texts,
    times,
)

# --- documented bodies, and what is not documented --------------------------------------------------------


def reference_body() -> dict[str, Any]:
    """The sandbox's 30-minute sales call (the benchmarks' reference), as RingSense sends it."""
    call = next(call for call in build_dataset().calls if call.key == "sales-discovery")
    insights = call.recordings[0].insights
    assert insights is not None
    return insights


def small_body() -> dict[str, Any]:
    return {
        "sourceRecordId": "2728084995017",
        "title": "Call from John Smith to Tracy Debolah",
        "speakerInfo": [{"speakerId": "p-1", "name": "John Smith", "accountId": "809646999", "extensionId": "1"}],
        "insights": {
            "Transcript": [
                {"speakerId": "p-1", "text": "Hello.", "start": 0, "end": 1.5},
                {"text": "Hi.", "start": 2, "end": 3},
            ],
            "Summary": [{"value": "They said hello.", "start": 0, "end": 3}],
            "Highlights": [{"speakerId": "p-1", "value": "Hello", "start": 0, "end": 1}],
            "AIScore": [{"value": 7}],
        },
    }


def with_insight(key: str, units: Any) -> dict[str, Any]:
    body = small_body()
    body["insights"] = {**body["insights"], key: units}
    return body


def with_line(**fields: Any) -> dict[str, Any]:
    body = small_body()
    body["insights"]["Transcript"][1] = {"text": "Hi.", "start": 2, "end": 3, **fields}
    return body


def test_the_reference_call_takes_the_fast_path_and_parses_as_the_tolerant_parser_does():
    body = encode(reference_body())
    assert fastwire.decode_recording(body) is not None
    assert_same_as_tolerant(RecordingInsights, body)
    parsed = RecordingInsights.from_body(body)
    assert len(parsed.insights.transcript) > 300 and parsed.insights.present[0] == "Transcript"


def test_a_session_of_documented_records_takes_the_fast_path():
    body = encode({"records": [reference_body(), small_body()], "paging": {"page": 1, "perPage": 2}})
    data = fastwire.decode_session(body)
    assert data is not None and isinstance(data["records"][0]["insights"]["Transcript"], Transcript)
    assert_same_as_tolerant(SessionInsights, body)


def test_a_key_given_twice_keeps_its_last_value_at_its_first_place_as_the_tolerant_parser_reads_it():
    line = Pairs([("text", "first"), ("start", 0), ("text", "second"), ("end", 1)])
    insights = Pairs([("Summary", [{"value": "a"}]), ("Transcript", [line]), ("Summary", [{"value": "b"}])])
    body = encode(Pairs([("sourceRecordId", "1"), ("title", "x"), ("insights", insights), ("title", "y")]))
    assert fastwire.decode_recording(body) is not None
    assert_same_as_tolerant(RecordingInsights, body)
    parsed = RecordingInsights.from_body(body)
    assert parsed.title == "y" and parsed.insights.present == ["Summary", "Transcript"]
    assert parsed.insights.transcript.texts == ("second",) and parsed.insights.summary[0].value == "b"


def test_a_documented_body_the_models_refuse_raises_the_tolerant_parsers_error():
    """Decoded fast, refused by the models (no `sourceRecordId`): the error is the one the tolerant path raises."""
    body = {key: value for key, value in small_body().items() if key != "sourceRecordId"}
    assert fastwire.decode_recording(encode(body)) is not None
    with pytest.raises(ValidationError, match="sourceRecordId"):
        RecordingInsights.from_body(encode(body))
    assert_same_as_tolerant(RecordingInsights, encode(body))


NOT_DOCUMENTED = {
    "an unknown top-level field": Raw(dumps({**small_body(), "eventType": "Create"})),
    "a snake_case field name": Raw(dumps({**small_body(), "source_session_id": "s-1"})),
    "an object where a scalar belongs": Raw(dumps({**small_body(), "title": {"text": "Call"}})),
    "a speaker holding an object": Raw(dumps({**small_body(), "speakerInfo": [{"speakerId": "p-1", "name": {}}]})),
    "an unknown insight kind (QnA)": Raw(dumps(with_insight("QnA", [{"value": "Q: price? A: $40"}]))),
    "HighLights spelled so": Raw(dumps(with_insight("HighLights", [{"value": "Pricing"}]))),
    "transcript spelled in lower case": Raw(dumps(with_insight("transcript", []))),
    "a null insight kind": Raw(dumps(with_insight("NextSteps", None))),
    "an insight kind that is not a list": Raw(dumps(with_insight("Summary", "not a list"))),
    "a unit with a field of another kind": Raw(dumps(with_insight("Sentiment", [{"value": "Up", "section": "x"}]))),
    "a unit with an unknown field": Raw(dumps(with_insight("Summary", [{"value": "a", "confidence": 0.9}]))),
    "a unit whose value is a bool": Raw(dumps(with_insight("AIScore", [{"value": True}]))),
    "a line with an unknown field": Raw(dumps(with_line(confidence=0.93))),
    "a line with a value": Raw(dumps(with_line(value="x"))),
    "a line without text": Raw(dumps({**with_line(), "insights": {"Transcript": [{"start": 0, "end": 1}]}})),
    "a line whose start is null": Raw(dumps(with_line(start=None))),
    "a line without an end": Raw(dumps({**with_line(), "insights": {"Transcript": [{"text": "a", "start": 0}]}})),
    "a time that is a string": Raw(dumps(with_line(start="1.5"))),
    "a time that is a bool": Raw(dumps(with_line(end=True))),
    "a time that is NaN": Raw(dumps(with_line(start=Raw("NaN")))),
    "a time that is Infinity": Raw(dumps(with_line(end=Raw("Infinity")))),
    "a time out of range (1e400)": Raw(dumps(with_line(end=Raw("1e400")))),
    "an int time too large for a float": Raw(dumps(with_line(end=10**400))),
    "a speaker id that is a number": Raw(dumps(with_line(speakerId=7))),
    "a text that is a number": Raw(dumps(with_line(text=42))),
    "a lone surrogate escape": Raw(dumps(with_line(text=Raw('"\\ud800"')))),
    "a line that is not an object": Raw(dumps({**with_line(), "insights": {"Transcript": [["p-1", "a", 0, 1]]}})),
    "a body that is a list": Raw(dumps([small_body()])),
    "a body that is not JSON": Raw("{'sourceRecordId': 1}"),
}


@pytest.mark.parametrize("body", NOT_DOCUMENTED.values(), ids=NOT_DOCUMENTED.keys())
def test_a_body_not_of_the_documented_shape_is_left_to_the_tolerant_parser(body):
    assert_same_as_tolerant(RecordingInsights, body.encode())
    assert fastwire.decode_recording(body.encode()) is None


def test_the_fast_decoder_knows_the_fields_the_models_read():
    """Its documented fields are the models' (else a new model field would quietly send every body the slow way)."""
    aliases = {field.alias for name, field in RecordingInsights.model_fields.items() if name != "warnings"}
    assert set(fastwire._Recording.__struct_fields__) == aliases
    assert set(fastwire._UNIT_FIELDS) == set(InsightType)
    for kind, model in _UNIT_MODELS.items():
        assert fastwire._UNIT_FIELDS[kind] == {field.alias for field in model.model_fields.values()}
    assert fastwire._UNIT_FIELDS["Transcript"] == {"speakerId", "text", "start", "end"}


def test_a_ready_transcript_beside_lines_under_another_spelling_joins_them_in_wire_order():
    first = Transcript.from_wire([{"speakerId": "p-1", "text": "One.", "start": 0, "end": 1}])
    parsed = Insights.model_validate({"Transcript": first, "transcript": [{"text": "Two.", "start": 1, "end": 2}]})
    assert parsed.transcript.texts == ("One.", "Two.") and parsed.present == ["Transcript", "Transcript"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=recordings, ascii_only=st.booleans())
def test_from_body_parses_any_recording_as_the_tolerant_parser_does(body, ascii_only):
    assert_same_as_tolerant(RecordingInsights, encode(body, ascii_only=ascii_only))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=objects({"records": st.lists(recordings, max_size=3) | st.none(), "paging": objects({"page": st.integers()})})
    | st.lists(recordings, max_size=1)
    | st.none()
)
def test_from_body_parses_any_session_as_the_tolerant_parser_does(body):
    assert_same_as_tolerant(SessionInsights, encode(body))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    transcript=st.lists(
        objects(
            {"speakerId": ids, "text": texts, "start": times, "end": times},
            required=("text", "start", "end"),
            strangers=False,
        ),
        max_size=12,
    )
)
def test_documented_transcripts_take_the_fast_path(transcript):
    """Lines of the documented shape, with any text, speaker id and times (a key given twice too): decoded fast."""
    raw = encode({**small_body(), "insights": {"Transcript": transcript}})
    assert_same_as_tolerant(RecordingInsights, raw)
    assert fastwire.decode_recording(raw) is not None
