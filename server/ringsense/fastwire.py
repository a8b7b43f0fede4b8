"""A fast decoder for insights bodies of exactly the documented shape; anything else is left to the models.

`SharedResponse.from_body` parses every RingSense insights response the client fetches: 60 KB and ~340
transcript lines for a 30-minute call. The tolerant path (JSON to dicts, then pydantic, then the transcript's
columns) takes ~0.75 ms of CPU a call in a loop. msgspec decodes the body straight into typed, GC-untracked structs
in C, and the transcript's columns come from those structs a column at a time: ~0.35 ms with the models' part.

The fast path is only a shortcut, never a second set of rules. msgspec is strict where pydantic is lax: it refuses
NaN and Infinity, numbers out of range, booleans or strings where numbers belong, numbers where strings belong,
and unknown fields. So it accepts only bodies of the documented shape (documented top-level fields holding
scalars, `speakerInfo` objects holding scalars, insight kinds spelled as documented, units with their documented
fields), which it turns into the very `data` the tolerant path would validate, except that the transcript is
already a `Transcript`. For anything else, `decode_*` returns None and the caller parses the body the tolerant
way, which warns, keeps unknown kinds and fields, folds spellings and raises as it always did. Where both
parsers accept the JSON they read it alike (a repeated key keeps its last value at its first place; `-0`, `1e5`,
big integers, escapes), which `tests/ringsense/test_fastwire.py` checks against generated bodies.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

import msgspec
from msgspec import UNSET, Struct, UnsetType

from .transcript import Transcript

__all__ = ["decode_recording", "decode_session"]

# A JSON scalar. Objects and arrays where the documents have scalars are not the documented shape (and are where
# the two parsers could differ: nesting depth limits), so msgspec refuses them and the tolerant path decides.
_Scalar = str | int | float | bool | None


class _Unit(Struct, gc=False, forbid_unknown_fields=True):
    """A transcript line, or a unit of any other documented kind: every field a documented unit has.

    One struct for all kinds because the kinds share one JSON object (`insights`) whose key order is kept (it is
    the order of `Insights.present`), so it is decoded as a dict, whose values must all be of one type.
    """

    speakerId: str | UnsetType | None = UNSET
    text: str | UnsetType = UNSET
    value: str | int | float | UnsetType = UNSET  # AIScore values may be numbers
    section: str | UnsetType | None = UNSET
    # Numbers as sent (an int stays an int), so the models convert them exactly as they convert parsed JSON.
    start: int | float | UnsetType | None = UNSET
    end: int | float | UnsetType | None = UNSET


class _Recording(Struct, forbid_unknown_fields=True):
    """`RecordingInsights` with its documented fields, spelled as on the wire."""

    sourceRecordId: _Scalar | UnsetType = UNSET
    sourceSessionId: _Scalar | UnsetType = UNSET
    domain: _Scalar | UnsetType = UNSET
    title: _Scalar | UnsetType = UNSET
    rsRecordUri: _Scalar | UnsetType = UNSET
    callDirection: _Scalar | UnsetType = UNSET
    ownerExtensionId: _Scalar | UnsetType = UNSET
    recordingDurationMs: _Scalar | UnsetType = UNSET
    recordingStartTime: _Scalar | UnsetType = UNSET
    creationTime: _Scalar | UnsetType = UNSET
    lastModifiedTime: _Scalar | UnsetType = UNSET
    speakerInfo: list[dict[str, _Scalar]] | UnsetType | None = UNSET
    insights: dict[str, list[_Unit]] | UnsetType | None = UNSET


class _Session(Struct, forbid_unknown_fields=True):
    """`SessionsInsightsResource`: records and paging."""

    records: list[_Recording] | UnsetType = UNSET
    paging: dict[str, _Scalar] | UnsetType | None = UNSET


# The fields each documented kind's units may carry; a unit with any other is left to the tolerant path, which
# keeps it as an extra field.
_UNIT_FIELDS = {
    "Transcript": frozenset(("speakerId", "text", "start", "end")),
    "Summary": frozenset(("value", "start", "end")),
    "Highlights": frozenset(("speakerId", "value", "start", "end")),
    "NextSteps": frozenset(("speakerId", "value", "start", "end")),
    "BulletedSummary": frozenset(("value", "section")),
    "AIScore": frozenset(("value",)),
    "CallNotes": frozenset(("value",)),
    "Sentiment": frozenset(("value",)),
}
_RECORDING_FIELDS = _Recording.__struct_fields__

_RECORDING_DECODER = msgspec.json.Decoder(_Recording)
_SESSION_DECODER = msgspec.json.Decoder(_Session)


class _Declined(Exception):
    """The body is not of the documented shape."""


def decode_recording(body: bytes) -> dict[str, Any] | None:
    """The data `RecordingInsights` validates, when `body` is of exactly the documented shape; None otherwise."""
    return _decode(_RECORDING_DECODER, body, _recording)


def decode_session(body: bytes) -> dict[str, Any] | None:
    """The data `SessionInsights` validates, when `body` is of exactly the documented shape; None otherwise."""
    return _decode(_SESSION_DECODER, body, _session)


def _decode(
    decoder: msgspec.json.Decoder[Any], body: bytes, build: Callable[[Any], dict[str, Any]]
) -> dict[str, Any] | None:
    try:
        return build(decoder.decode(body))
    except (msgspec.DecodeError, _Declined):
        return None


def _session(session: _Session) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if session.records is not UNSET:
        data["records"] = [_recording(record) for record in session.records]
    if session.paging is not UNSET:
        data["paging"] = session.paging
    return data


def _recording(record: _Recording) -> dict[str, Any]:
    data = {
        name: value
        for name, value in zip(_RECORDING_FIELDS, msgspec.structs.astuple(record), strict=True)
        if value is not UNSET
    }
    insights = data.get("insights")
    if insights:
        data["insights"] = {kind: _kind(kind, units) for kind, units in insights.items()}
    return data


def _kind(kind: str, units: list[_Unit]) -> Any:
    allowed = _UNIT_FIELDS.get(kind)
    if allowed is None:  # an unknown kind (QnA), or a documented one spelled otherwise (HighLights)
        raise _Declined
    if kind == "Transcript":
        return _transcript(units) if units else units
    wire: list[dict[str, Any]] = msgspec.to_builtins(units)  # UNSET fields are left out, as absent on the wire
    if not allowed.issuperset(set().union(*wire)):
        raise _Declined
    return wire


def _transcript(lines: list[_Unit]) -> Transcript:
    # List comprehensions, not map(attrgetter(...)): CPython specialises attribute loads from a struct's slots,
    # which makes them twice as fast here.
    texts = [line.text for line in lines]
    try:
        "".join(texts)  # type: ignore[arg-type]  # refuses a missing text (UNSET): TypeError
        # msgspec has refused NaN, Infinity and numbers out of range, and array() refuses None, a missing time and
        # an int too large for a float (OverflowError): every time is finite.
        starts = array("d", [line.start for line in lines])  # type: ignore[type-var]
        ends = array("d", [line.end for line in lines])  # type: ignore[type-var]
    except (TypeError, OverflowError):
        raise _Declined from None
    if [line for line in lines if line.value is not UNSET or line.section is not UNSET]:
        raise _Declined  # a line with fields of other kinds' units, which the tolerant path keeps as extras
    return Transcript.from_columns([line.speakerId for line in lines], texts, starts, ends, absent=UNSET)  # type: ignore[arg-type]
