"""Wire models for the RingSense, permission-check and call-log endpoints.

The RingSense API is in beta and its docs and OpenAPI spec disagree, so these models are tolerant by design:

- `Highlights` and `HighLights` are both accepted and normalised to `Highlights`.
- `null` is accepted for speaker `name`, `accountId`, `extensionId` and `phoneNumber`.
- `AIScore.value` may be a string or a number; it is kept as a string.
- Insight kinds this client does not know (such as `QnA`) are kept, not dropped, in `Insights.other`.
- Unknown fields are kept (`extra="allow"`).
- `Summary` start/end that are ordinals (0, 1, 2 …) rather than seconds are detected (`Insights.summary_timing`).
- Missing optional sections and empty arrays are fine.
- One malformed unit (say a transcript line without `text`) is skipped and described in `warnings`; it never
  fails the whole response.

`from_body` decodes a body of exactly the documented shape fast (`fastwire`, msgspec) into the data these models
would validate anyway, and leaves any other body to the tolerant path: the result is the same either way.

API response models are kept apart from the tools' output models. The permission-check and call-log models live
in `platform_models` and are re-exported here, so `server.ringsense.models` stays the one place to import from.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from types import GenericAlias
from typing import Any, Literal, cast

from pydantic import (
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from .platform_models import (
    CallLogLeg,
    CallLogPage,
    CallLogParty,
    CallLogRecord,
    CallLogRecording,
    PermissionCheck,
)
from .response import SharedResponse
from .transcript import Transcript, TranscriptUnit
from .wire import Paging, WireModel

__all__ = [
    "AIScoreUnit",
    "BulletedSummaryUnit",
    "CallLogLeg",
    "CallLogPage",
    "CallLogParty",
    "CallLogRecord",
    "CallLogRecording",
    "CallNotesUnit",
    "ConversationalUnit",
    "InsightType",
    "Insights",
    "Paging",
    "PermissionCheck",
    "RecordingInsights",
    "SentimentUnit",
    "SessionInsights",
    "SharedResponse",
    "SpeakerInfo",
    "SummaryUnit",
    "Transcript",
    "TranscriptUnit",
]


class InsightType(StrEnum):
    """The documented `insightTypes` values."""

    TRANSCRIPT = "Transcript"
    SUMMARY = "Summary"
    HIGHLIGHTS = "Highlights"
    NEXT_STEPS = "NextSteps"
    BULLETED_SUMMARY = "BulletedSummary"
    AI_SCORE = "AIScore"
    CALL_NOTES = "CallNotes"
    SENTIMENT = "Sentiment"


# --- RingSense insight units -------------------------------------------------------------------


class SummaryUnit(WireModel):
    value: str = Field(description="A paragraph of the summary.")
    start: float | None = Field(None, description="Seconds, or an ordinal in some responses.")
    end: float | None = Field(None, description="Seconds, or an ordinal in some responses.")


class ConversationalUnit(WireModel):
    """A highlight, a next step, or any other speaker-attributed insight (e.g. `QnA`)."""

    speaker_id: str | None = Field(None, description="Refers to `speakerInfo[].speakerId`.")
    value: str = Field(description="The insight text.")
    start: float | None = Field(None, description="Seconds from the start of the recording.")
    end: float | None = Field(None, description="Seconds from the start of the recording.")


class BulletedSummaryUnit(WireModel):
    value: str = Field(description="One bullet.")
    section: str | None = Field(None, description="Optional heading the bullet belongs to.")


class AIScoreUnit(WireModel):
    value: str = Field(description="The score as sent, e.g. '7' (numbers are kept as strings).")

    @field_validator("value", mode="before")
    @classmethod
    def _number_to_string(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("AIScore value must be a string or a number")
        if isinstance(value, int | float):
            return f"{value:g}"
        return value


class CallNotesUnit(WireModel):
    value: str = Field(description="Notes separated by newlines.")


class SentimentUnit(WireModel):
    value: str = Field(description="Positive, Negative or Neutral (other values are kept as sent).")


_UNIT_MODELS: dict[str, type[WireModel]] = {
    InsightType.SUMMARY: SummaryUnit,
    InsightType.HIGHLIGHTS: ConversationalUnit,
    InsightType.NEXT_STEPS: ConversationalUnit,
    InsightType.BULLETED_SUMMARY: BulletedSummaryUnit,
    InsightType.AI_SCORE: AIScoreUnit,
    InsightType.CALL_NOTES: CallNotesUnit,
    InsightType.SENTIMENT: SentimentUnit,
}
# Spellings seen in the docs and spec, folded to the documented `insightTypes` name.
_KIND_BY_FOLDED_NAME = {kind.lower(): str(kind) for kind in InsightType}


def _describe_error(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "unit"
    return f"{where}: {first['msg']}"


class Insights(WireModel):
    """The `insights` object: arrays keyed by insight kind."""

    transcript: Transcript = Field(default_factory=Transcript, alias="Transcript")
    summary: list[SummaryUnit] = Field(default_factory=list, alias="Summary")
    highlights: list[ConversationalUnit] = Field(default_factory=list, alias="Highlights")
    next_steps: list[ConversationalUnit] = Field(default_factory=list, alias="NextSteps")
    bulleted_summary: list[BulletedSummaryUnit] = Field(default_factory=list, alias="BulletedSummary")
    ai_score: list[AIScoreUnit] = Field(default_factory=list, alias="AIScore")
    call_notes: list[CallNotesUnit] = Field(default_factory=list, alias="CallNotes")
    sentiment: list[SentimentUnit] = Field(default_factory=list, alias="Sentiment")
    other: dict[str, list[Any]] = Field(
        default_factory=dict, description="Insight kinds this client does not know (e.g. QnA), as sent."
    )
    present: list[str] = Field(
        default_factory=list, description="The insight kinds the response contained (normalised names)."
    )
    summary_timing: Literal["seconds", "ordinal"] | None = Field(
        None, description="Whether Summary start/end are seconds or ordinals (0, 1, 2 …)."
    )
    warnings: list[str] = Field(default_factory=list, description="Malformed units that were skipped.")

    @model_validator(mode="before")
    @classmethod
    def _tolerate(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "present" in data:
            return data  # already normalised (e.g. a model instance re-validated)
        parsed: dict[str, Any] = {"other": {}, "present": [], "warnings": []}
        transcript: list[list[Any] | Transcript] = []  # the lines under each spelling, in wire order
        where = "insights.Transcript"
        for raw_key, units in data.items():
            kind = _KIND_BY_FOLDED_NAME.get(str(raw_key).lower())
            if units is None:
                units = []
            if kind == InsightType.TRANSCRIPT and isinstance(units, list | Transcript):
                # Held in columns (see .transcript): one model per line made a cached response ~760 GC objects.
                transcript.append(units)
                where = f"insights.{raw_key}"
                parsed["present"].append(kind)
                continue
            if not isinstance(units, list):
                parsed["warnings"].append(f"insights.{raw_key}: expected a list, got {type(units).__name__}")
                continue
            if kind is None:
                parsed["other"][str(raw_key)] = units
                parsed["present"].append(str(raw_key))
                continue
            parsed[kind] = parsed.get(kind, []) + _units(_UNIT_MODELS[kind], units, f"insights.{raw_key}", parsed)
            parsed["present"].append(kind)
        if len(transcript) == 1 and isinstance(transcript[0], Transcript):
            if transcript[0]:  # built from the wire already (see .fastwire)
                parsed[InsightType.TRANSCRIPT] = transcript[0]
        else:
            lines = [line for part in transcript for line in (part.to_wire() if isinstance(part, Transcript) else part)]
            if lines:
                parsed[InsightType.TRANSCRIPT] = Transcript.from_wire(lines, where=where, warnings=parsed["warnings"])
        summary = parsed.get(InsightType.SUMMARY)
        if summary:
            parsed["summary_timing"] = "ordinal" if _looks_ordinal(summary) else "seconds"
        return parsed


_ADAPTERS: dict[type[WireModel], TypeAdapter[Any]] = {}
_LIST_ADAPTERS: dict[type[WireModel], TypeAdapter[list[Any]]] = {}


def _adapter(model: type[WireModel]) -> TypeAdapter[Any]:
    if model not in _ADAPTERS:
        _ADAPTERS[model] = TypeAdapter(model)
    return _ADAPTERS[model]


def _units(model: type[WireModel], units: list[Any], where: str, parsed: dict[str, Any]) -> list[Any]:
    """Validate a list of units in one pass; only when that fails, unit by unit, skipping the bad ones."""
    if model not in _LIST_ADAPTERS:
        # list[model] with `model` known only at run time: a checker cannot see that as a type, hence the cast.
        _LIST_ADAPTERS[model] = TypeAdapter(cast("type[list[Any]]", GenericAlias(list, (model,))))
    try:
        return _LIST_ADAPTERS[model].validate_python(units)
    except ValidationError:
        pass  # some unit is malformed: find it, keep the rest
    good = []
    for index, unit in enumerate(units):
        try:
            good.append(_adapter(model).validate_python(unit))
        except ValidationError as err:
            parsed["warnings"].append(f"{where}[{index}] skipped: {_describe_error(err)}")
    return good


def _looks_ordinal(units: list[SummaryUnit]) -> bool:
    """Summary paragraphs numbered 0, 1, 2 … (end = start + 1) rather than timed in seconds."""
    for index, unit in enumerate(units):
        if unit.start is None or unit.end is None:
            return False
        if unit.start != index or unit.end != index + 1:
            return False
    return True


# --- RingSense responses -----------------------------------------------------------------------


class SpeakerInfo(WireModel):
    speaker_id: str = Field(description="Id used by transcript lines and insights.")
    name: str | None = Field(None, description="Display name; null for unidentified external parties.")
    account_id: str | None = Field(None, description="Set for speakers inside the RingCentral account.")
    extension_id: str | None = Field(None, description="Set for internal users.")
    phone_number: str | None = Field(None, description="Sent by some domains.")

    @field_validator("account_id", "extension_id", "phone_number", mode="before")
    @classmethod
    def _ids_as_strings(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @property
    def is_internal(self) -> bool:
        return bool(self.extension_id or self.account_id)


class RecordingInsights(SharedResponse):
    """`RecordingInsights`: the insights of one recording (one leg of a call)."""

    source_record_id: str = Field(description="Call-log `recording.id` for pbx.")
    source_session_id: str | None = Field(None, description="Call-log `telephonySessionId` for pbx.")
    domain: str = Field("pbx", description="pbx, rcv, rcx, nice-incontact or ms-teams.")
    title: str = Field("", description="e.g. 'Call from John Smith to Tracy Debolah'.")
    rs_record_uri: str | None = Field(None, description="Link to the call in the RingSense web app.")
    call_direction: str | None = Field(None, description="Inbound or Outbound (phone calls only).")
    owner_extension_id: str | None = Field(None, description="The extension holding the license.")
    recording_duration_ms: int | None = Field(None, ge=0)
    recording_start_time: datetime | None = None
    creation_time: datetime | None = None
    last_modified_time: datetime | None = None
    speaker_info: list[SpeakerInfo] = Field(default_factory=list)
    insights: Insights = Field(default_factory=Insights)
    warnings: list[str] = Field(default_factory=list, description="Problems skipped while parsing.")

    @classmethod
    def _decode_documented(cls, body: bytes) -> dict[str, Any] | None:
        from . import fastwire  # here, not at the top: msgspec stays out of start-up until a first response

        return fastwire.decode_recording(body)

    @field_validator("source_record_id", "source_session_id", "owner_extension_id", mode="before")
    @classmethod
    def _ids_as_strings(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="before")
    @classmethod
    def _tolerate(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        warnings: list[str] = list(data.get("warnings") or [])
        speakers = data.get("speakerInfo", data.get("speaker_info"))
        if speakers is None:
            data.pop("speakerInfo", None)
        elif isinstance(speakers, list):
            good = []
            for index, speaker in enumerate(speakers):
                try:
                    good.append(_adapter(SpeakerInfo).validate_python(speaker))
                except ValidationError as err:
                    warnings.append(f"speakerInfo[{index}] skipped: {_describe_error(err)}")
            data["speakerInfo"] = good
        if data.get("insights") is None:
            data.pop("insights", None)
        data["warnings"] = warnings
        return data

    @model_validator(mode="after")
    def _collect_warnings(self) -> RecordingInsights:
        for warning in self.insights.warnings:
            if warning not in self.warnings:
                self.warnings.append(warning)
        return self

    def speaker(self, speaker_id: str | None) -> SpeakerInfo | None:
        for speaker in self.speaker_info:
            if speaker.speaker_id == speaker_id:
                return speaker
        return None


class SessionInsights(SharedResponse):
    """`SessionsInsightsResource`: one `RecordingInsights` per recording in a telephony session."""

    records: list[RecordingInsights] = Field(default_factory=list)
    paging: Paging = Field(default_factory=Paging)
    warnings: list[str] = Field(default_factory=list)

    @classmethod
    def _decode_documented(cls, body: bytes) -> dict[str, Any] | None:
        from . import fastwire  # here, not at the top: msgspec stays out of start-up until a first response

        return fastwire.decode_session(body)

    @model_validator(mode="before")
    @classmethod
    def _tolerate(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("records"), list):
            return data  # let validation report the wrong shape
        data = dict(data)
        warnings: list[str] = list(data.get("warnings") or [])
        good = []
        for index, record in enumerate(data["records"]):
            try:
                good.append(_adapter(RecordingInsights).validate_python(record))
            except ValidationError as err:
                warnings.append(f"records[{index}] skipped: {_describe_error(err)}")
        data["records"] = good
        data["warnings"] = warnings
        if data.get("paging") is None:
            data.pop("paging", None)
        return data
