"""Insights bodies for comparing `from_body` with the tolerant parser: a JSON writer that can write what json.dumps
will not, the comparison itself, and Hypothesis strategies for documented bodies and hostile variants of them."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from server.ringsense.models import RecordingInsights, SessionInsights, SharedResponse

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
    return model.from_body_tolerantly(body)


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


# Ids the models read as strings: ints become their decimal strings, bools and floats are refused.
wire_ids = texts | st.integers() | hostile(st.none(), st.booleans() | st.floats(allow_nan=False))


@st.composite
def speakers(draw: st.DrawFn) -> Pairs:
    """A speaker; now and then with a field spelled in snake_case, which the models read by its name too."""
    pairs = draw(
        objects(
            {
                "speakerId": hostile(texts, st.none() | st.integers()),
                "name": st.none() | texts,
                "accountId": st.none() | wire_ids,
                "extensionId": st.none() | wire_ids,
                "phoneNumber": st.none() | wire_ids,
            },
            required=("speakerId",),
            strangers=False,
        )
    )
    if draw(rarely):
        name = draw(st.sampled_from(["speaker_id", "account_id", "extension_id", "phone_number", "email"]))
        pairs.insert(draw(st.integers(0, len(pairs))), (name, draw(texts | st.integers())))
    return pairs


@st.composite
def rfc3339(draw: st.DrawFn) -> str:
    """A time as RFC 3339 writes it, or nearly: lower-case t/z, a space, 1 to 9 fraction digits, offsets of any
    size, leap seconds, years before 1000, days a month does not have, a date alone."""
    year = draw(st.integers(0, 9999))
    month, day = (
        draw(hostile(st.integers(1, 12), st.integers(0, 13))),
        draw(hostile(st.integers(1, 28), st.integers(0, 32))),
    )
    date = f"{year:04d}-{month:02d}-{day:02d}"
    if draw(rarely):
        return date
    hour, minute = draw(hostile(st.integers(0, 23), st.just(24))), draw(st.integers(0, 59))
    second = draw(hostile(st.integers(0, 59), st.sampled_from([60, 61])))
    digits = draw(st.integers(0, 9))
    fraction = "." + draw(st.text("0123456789", min_size=digits, max_size=digits)) if digits else ""
    separator = draw(st.sampled_from(["T", "T", "T", "t", " "]))
    offset = draw(
        st.sampled_from(["Z", "Z", "z", "+00:00", "-00:00", "+05:30", "-08:00", "+23:59", "-23:59", ""])
        | hostile(st.just("Z"), st.sampled_from(["+24:00", "+99:99", "+0530", "+05", "-25:00", "+00:00:30"]))
    )
    return f"{date}{separator}{hour:02d}:{minute:02d}:{second:02d}{fraction}{offset}"


# Times as sent, and what pydantic reads as times too (Unix seconds as numbers, digits in a string) or refuses.
odd_instants = st.sampled_from(["2026-02-30T00:00:00Z", "2024-12-31T23:59:60Z", "1700000000", "yesterday", ""]) | (
    st.integers(-(10**12), 10**12) | st.floats(allow_nan=False) | st.booleans()
)
instants = rfc3339() | hostile(st.just("2024-09-04T20:44:16.390Z"), odd_instants)
# Durations the models refuse or convert: negative, fractional, bools, huge, strings of digits.
odd_durations = st.one_of(
    st.integers(max_value=-1),
    st.integers(min_value=10**18, max_value=10**40),
    st.floats(),
    st.booleans(),
    st.sampled_from([5.0, "123", "1e3", "-0"]),
)
durations = hostile(st.integers(0, 10**9), odd_durations)
recordings = objects(
    {
        "sourceRecordId": hostile(texts | st.integers(), st.none() | st.booleans() | st.floats()),
        "sourceSessionId": st.none() | wire_ids,
        "domain": st.sampled_from(["pbx", "rcv"]),
        "title": hostile(texts, st.integers()),
        "rsRecordUri": st.none() | texts,
        "callDirection": st.sampled_from(["Inbound", "Outbound"]) | st.none(),
        "ownerExtensionId": st.none() | wire_ids,
        "recordingDurationMs": st.none() | durations,
        "recordingStartTime": instants,
        "creationTime": instants | st.none(),
        "lastModifiedTime": instants,
        "speakerInfo": hostile(st.lists(speakers(), max_size=3), st.none() | st.just("nobody")),
        "insights": hostile(insights(), st.none() | st.just([])),
    },
)
