"""Bodies of the documented shape are decoded fast; the result is always what the tolerant parser makes of them.

The tolerant parser is the reference: JSON to Python with pydantic-core, then the models. `from_body` must give
the same model (fields, warnings, transcript columns, fields set, size), or raise the same error, for any body,
and take the fast path for the bodies RingSense documents, so the shortcut cannot quietly stop running.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic_core
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from server.ringsense import fastwire
from server.ringsense.models import (
    _UNIT_MODELS,
    Insights,
    InsightType,
    RecordingInsights,
    SessionInsights,
    SharedResponse,
    Transcript,
)
from server.sandbox.dataset import build_dataset

# --- a JSON writer that can also write what json.dumps will not: duplicate keys, NaN, 1e400, lone surrogates --


class Raw(str):
    """JSON text written as it is."""


class Pairs(list[tuple[str, Any]]):
    """A JSON object as (key, value) pairs, so a key may appear twice."""


def dumps(value: Any, *, ascii_only: bool = False) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        value = Pairs(value.items())
    if isinstance(value, Pairs):
        members = (f"{dumps(k, ascii_only=ascii_only)}:{dumps(v, ascii_only=ascii_only)}" for k, v in value)
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps(item, ascii_only=ascii_only) for item in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def encode(value: Any, *, ascii_only: bool = False) -> bytes:
    return dumps(value, ascii_only=ascii_only).encode()


# --- the reference: the tolerant parser, and comparing its result with from_body's -------------------------


def tolerant(model: type[SharedResponse], body: bytes) -> SharedResponse:
    data = pydantic_core.from_json(body)
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    parsed = model.model_validate(data)
    parsed._wire_bytes = len(body)
    return parsed


def outcome(parse: Any, model: type[SharedResponse], body: bytes) -> tuple[str, Any]:
    try:
        return "parsed", parse(model, body)
    except (ValueError, ValidationError) as err:  # ValidationError is a ValueError; named for the reader
        return "raised", (type(err), str(err))


def fields_set(value: Any) -> Any:
    """Every model's fields set, all the way down (what `exclude_unset` dumps depend on)."""
    if isinstance(value, BaseModel):
        return (
            sorted(value.model_fields_set),
            {name: fields_set(getattr(value, name)) for name in type(value).model_fields},
        )
    if isinstance(value, list):
        return [fields_set(item) for item in value]
    return None


def assert_same_as_tolerant(model: type[SharedResponse], body: bytes) -> None:
    fast = outcome(lambda m, b: m.from_body(b), model, body)
    slow = outcome(tolerant, model, body)
    if fast[0] == "raised" or slow[0] == "raised":
        assert fast == slow
        return
    got, want = fast[1], slow[1]
    assert got == want
    assert got.model_dump_json(by_alias=True) == want.model_dump_json(by_alias=True)  # extras in the same order
    assert fields_set(got) == fields_set(want)
    assert got.wire_bytes == want.wire_bytes
    for got_record, want_record in zip(records(got), records(want), strict=True):
        got_transcript, want_transcript = got_record.insights.transcript, want_record.insights.transcript
        assert got_transcript.speaker_ids == want_transcript.speaker_ids
        assert len({id(s) for s in got_transcript.speaker_ids}) == len(set(got_transcript.speaker_ids))
        assert [got_transcript.extra_fields(i) for i in range(len(got_transcript))] == [
            want_transcript.extra_fields(i) for i in range(len(want_transcript))
        ]


def records(parsed: SharedResponse) -> list[RecordingInsights]:
    return parsed.records if isinstance(parsed, SessionInsights) else [parsed]  # type: ignore[list-item]


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


# --- generated bodies: documented shapes with random content, and hostile variants --------------------------

texts = st.text(max_size=40)
ids = st.one_of(st.none(), st.sampled_from(["p-1", "p-2", "p-3"]), texts)
times = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -0.0, 1.7e308, 5e-324]).map(float),
    st.sampled_from(["1e5", "1E-3", "-0", "2.5e+2", "0.0", "-0e-0"]).map(Raw),
)
hostile_numbers = st.one_of(
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400"]).map(Raw),
    st.booleans(),
    st.text(max_size=4),
    st.none(),
    st.integers(min_value=10**308, max_value=10**320),
)
hostile_strings = st.one_of(
    st.integers(), st.floats(), st.none(), st.sampled_from(['"\\ud800"', '"a\\udfff"', '"\\ud83d\\ude00"']).map(Raw)
)


# True about one time in 25 (an integer range would not do: Hypothesis favours its ends).
rarely = st.sampled_from([False] * 24 + [True])


@st.composite
def objects(
    draw: st.DrawFn,
    fields: dict[str, st.SearchStrategy[Any]],
    required: tuple[str, ...] = (),
    *,
    strangers: bool = True,
) -> Pairs:
    """An object with some of `fields` (always `required`), in any order; now and then a key twice or (unless not
    `strangers`) a field it does not have."""
    names = [name for name in fields if name in required or draw(st.booleans())]
    names = draw(st.permutations(names))
    pairs = Pairs((name, draw(fields[name])) for name in names)
    if pairs and draw(rarely):
        name = draw(st.sampled_from([name for name, _ in pairs]))
        pairs.append((name, draw(fields[name])))
    if strangers and draw(rarely):
        pairs.append(
            (
                draw(st.sampled_from(["confidence", "Value", "value", "section", "text", "speakerId"])),
                draw(st.integers() | texts),
            )
        )
    return pairs


def hostile(strategy: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly `strategy`, now and then a value of the wrong kind (rarely enough that most bodies are documented)."""
    return rarely.flatmap(lambda wrong: other if wrong else strategy)


lines = objects(
    {
        "speakerId": hostile(ids, hostile_strings),
        "text": hostile(texts, hostile_strings),
        "start": hostile(times, hostile_numbers),
        "end": hostile(times, hostile_numbers),
    },
    required=("text", "start", "end"),
)
timed = {"value": texts, "start": st.none() | times, "end": st.none() | times}
highlights = objects({"speakerId": ids, **timed}, required=("value",))
units = {
    "Summary": objects(timed, required=("value",)),
    "Highlights": highlights,
    "NextSteps": objects({"speakerId": ids, **timed}, required=("value",)),
    "BulletedSummary": objects({"value": texts, "section": st.none() | texts}, required=("value",)),
    "AIScore": objects({"value": st.one_of(texts, st.integers(0, 10), st.floats(0, 10))}, required=("value",)),
    "CallNotes": objects({"value": texts}, required=("value",)),
    "Sentiment": objects({"value": st.sampled_from(["Positive", "Negative", "Neutral"]) | texts}, required=("value",)),
}
insight_kinds = {
    "Transcript": hostile(st.lists(lines, max_size=8), st.none()),
    **{kind: hostile(st.lists(unit, max_size=3), st.none()) for kind, unit in units.items()},
}


@st.composite
def insights(draw: st.DrawFn) -> Pairs:
    """Documented kinds; now and then one the tolerant parser folds (HighLights, transcript) or keeps (QnA)."""
    pairs = draw(objects(insight_kinds, required=("Transcript",)))
    if draw(rarely):
        kind = draw(st.sampled_from(["HighLights", "QnA", "transcript", "Transcript"]))
        units = draw(st.lists(lines if kind.lower() == "transcript" else highlights, max_size=2))
        pairs.insert(draw(st.integers(0, len(pairs))), (kind, units))
    return pairs


speakers = objects(
    {
        "speakerId": texts,
        "name": st.none() | texts,
        "accountId": st.none() | texts | st.integers(0, 10**12),
        "extensionId": st.none() | texts | st.integers(0, 10**12),
        "phoneNumber": st.none() | texts,
    },
    required=("speakerId",),
)
instants = st.sampled_from(["2024-09-04T20:44:16.390Z", "2026-11-04T18:05:06Z", "yesterday", ""])
recordings = objects(
    {
        "sourceRecordId": hostile(texts | st.integers(0, 10**15), st.booleans()),
        "sourceSessionId": st.none() | texts,
        "domain": st.sampled_from(["pbx", "rcv"]),
        "title": hostile(texts, st.integers()),
        "rsRecordUri": st.none() | texts,
        "callDirection": st.sampled_from(["Inbound", "Outbound"]) | st.none(),
        "ownerExtensionId": st.none() | texts | st.integers(0, 10**12),
        "recordingDurationMs": hostile(st.integers(0, 10**9), st.integers(max_value=-1) | st.floats()),
        "recordingStartTime": instants,
        "creationTime": instants | st.none(),
        "lastModifiedTime": instants,
        "speakerInfo": hostile(st.lists(speakers, max_size=3), st.none() | st.just("nobody")),
        "insights": hostile(insights(), st.none() | st.just([])),
    },
)


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
