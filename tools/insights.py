"""get_insights_by_record and get_insights_by_session: RingSense insights shaped for a model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar, get_args

from server.ringsense.models import ConversationalUnit, InsightType, RecordingInsights, SessionInsights

from .deps import Deps
from .formatting import RESPONSE_BUDGET_CHARS, SpeakerDirectory, clock, iso_utc, neutralise, response_chars
from .models import (
    CallInfo,
    DataSource,
    Detail,
    LegRollup,
    RecordingInsightsResult,
    RecordingSummary,
    Section,
    SessionInsightsResult,
    TimedItem,
    TranscriptStats,
)
from .transcript import PageRequest, render_page
from .transcript_stats import transcript_stats
from .turns import Leg, build_turns, place_legs

# Everything but the transcript itself, which is opt-in.
DEFAULT_SECTIONS: tuple[Section, ...] = tuple(s for s in get_args(Section) if s != "transcript")
_TYPES: dict[Section, InsightType | None] = {
    "summary": InsightType.SUMMARY,
    "bulleted_summary": InsightType.BULLETED_SUMMARY,
    "highlights": InsightType.HIGHLIGHTS,
    "next_steps": InsightType.NEXT_STEPS,
    "ai_score": InsightType.AI_SCORE,
    "sentiment": InsightType.SENTIMENT,
    "call_notes": InsightType.CALL_NOTES,
    "other": None,  # kinds outside the documented enum come only when no insightTypes filter is sent
    "transcript_stats": InsightType.TRANSCRIPT,
    "transcript": InsightType.TRANSCRIPT,
}
# How many items each list keeps in concise detail; `full` keeps everything.
CONCISE_LIMITS = {"highlights": 8, "bulleted_summary": 12, "call_notes": 20, "other": 10}
INLINE_TRANSCRIPT_TURNS = 60

T = TypeVar("T")


def insight_types_for(sections: Iterable[Section]) -> list[InsightType] | None:
    """The `insightTypes` to request for these sections; None (no filter) when every kind is wanted."""
    wanted = set(sections)
    if "other" in wanted:
        return None
    types = {kind for section in wanted if (kind := _TYPES[section]) is not None}
    if types == set(InsightType):
        return None
    return sorted(types, key=list(InsightType).index)


def _limit(items: list[T], section: str, detail: Detail, truncated: dict[str, int]) -> list[T]:
    cap = CONCISE_LIMITS.get(section)
    if detail == "full" or cap is None or len(items) <= cap:
        return items
    truncated[section] = len(items) - cap
    return items[:cap]


def _timed(
    units: Sequence[ConversationalUnit], names: SpeakerDirectory, detail: Detail, offset: float = 0.0
) -> list[dict[str, Any]]:
    """The fields of each unit's `TimedItem`, in time order. Items are made by the validation of the answer that
    holds them (one call into pydantic-core for the whole answer, not one Python `__init__` per item); every field
    is given, as a constructor call would, so the items' `model_fields_set` is the same."""
    full = detail == "full"
    return [
        {
            "text": neutralise(unit.value),
            "speaker": names.name(unit.speaker_id) if unit.speaker_id else None,
            "at": clock(unit.start + offset) if unit.start is not None else None,
            "start_seconds": round(unit.start + offset, 2) if full and unit.start is not None else None,
        }
        for unit in sorted(units, key=lambda u: (u.start is None, u.start or 0.0))
    ]


def call_info(record: RecordingInsights, names: SpeakerDirectory) -> CallInfo:
    seconds = record.recording_duration_ms / 1000 if record.recording_duration_ms is not None else None
    owner = next(
        (s.name for s in names.speakers if s.extension_id and s.extension_id == record.owner_extension_id),
        None,
    )
    return CallInfo(
        record_id=record.source_record_id,
        session_id=record.source_session_id,
        domain=record.domain,
        title=neutralise(record.title),
        direction=record.call_direction,
        start_time=iso_utc(record.recording_start_time),
        duration=clock(seconds),
        duration_seconds=seconds,
        owner_extension_id=record.owner_extension_id,
        owner=owner,
        ringsense_url=record.rs_record_uri,
    )


def summarize_recording(
    record: RecordingInsights,
    sections: Sequence[Section],
    detail: Detail,
    *,
    leg: Leg | None = None,
) -> RecordingSummary:
    """Shape one recording's insights; `leg` puts its timestamps on a session's clock."""
    return RecordingSummary(**_summary_fields(record, sections, detail, leg or Leg(record)))


def _summary_fields(record: RecordingInsights, sections: Sequence[Section], detail: Detail, leg: Leg) -> dict[str, Any]:
    """The fields of a RecordingSummary, gathered before any model is made: the answer is built once, not
    built and then changed field by field (each assignment to a pydantic model is a validated call)."""
    names = SpeakerDirectory(record)
    found = record.insights
    truncated: dict[str, int] = {}
    out: dict[str, Any] = {"call": call_info(record, names), "warnings": list(record.warnings)}
    wanted = set(sections)
    missing = []

    def has(kind: InsightType) -> bool:
        present = str(kind) in found.present
        if not present:
            missing.append(kind.value)
        return present

    if "summary" in wanted and has(InsightType.SUMMARY):
        out["summary"] = [neutralise(unit.value) for unit in found.summary]
    if "bulleted_summary" in wanted and has(InsightType.BULLETED_SUMMARY):
        bullets = [{"section": u.section, "text": neutralise(u.value)} for u in found.bulleted_summary]  # see _timed
        out["bulleted_summary"] = _limit(bullets, "bulleted_summary", detail, truncated)
    if "highlights" in wanted and has(InsightType.HIGHLIGHTS):
        out["highlights"] = _limit(_timed(found.highlights, names, detail, leg.offset), "highlights", detail, truncated)
    if "next_steps" in wanted and has(InsightType.NEXT_STEPS):
        out["next_steps"] = _timed(found.next_steps, names, detail, leg.offset)
    if "ai_score" in wanted and has(InsightType.AI_SCORE) and found.ai_score:
        out["ai_score"] = found.ai_score[0].value
    if "sentiment" in wanted and has(InsightType.SENTIMENT) and found.sentiment:
        out["sentiment"] = found.sentiment[0].value
    if "call_notes" in wanted and has(InsightType.CALL_NOTES):
        lines = [neutralise(line).strip() for unit in found.call_notes for line in unit.value.splitlines()]
        out["call_notes"] = _limit([line for line in lines if line], "call_notes", detail, truncated)
    if "other" in wanted and found.other:
        other: dict[str, list[dict[str, Any]]] = {}
        for kind, units in found.other.items():
            objects = [unit for unit in units if isinstance(unit, dict)]
            if len(objects) < len(units):
                out["warnings"].append(
                    f"insights.{kind}: {len(units) - len(objects)} unit(s) that are not objects skipped"
                )
            other[neutralise(kind)] = _limit(objects, "other", detail, truncated)
        out["other_insights"] = other
    if "transcript_stats" in wanted and has(InsightType.TRANSCRIPT):
        out["transcript_stats"] = transcript_stats(record)
    if "transcript" in wanted and has(InsightType.TRANSCRIPT):
        turns = build_turns([leg])
        out["transcript"] = render_page(
            turns, [leg], PageRequest(limit=INLINE_TRANSCRIPT_TURNS), record_id=record.source_record_id
        )
    # Speakers last: shaping the insights may have named speakers that speakerInfo did not list.
    out["speakers"] = names.speakers
    out["missing_sections"] = sorted(set(missing))
    out["truncated"] = truncated
    return out


def _record_hint(record_id: str, stats: TranscriptStats | None, truncated: Mapping[str, int]) -> str:
    hint = f"For exact quotes, call render_transcript(record_id='{record_id}') (it pages by turn)."
    if stats is not None and not stats.complete and stats.note:
        hint += " " + stats.note
    if truncated:
        hint += " Some lists were shortened (see `truncated`); pass detail='full' for all items."
    return hint


async def get_insights_by_record(
    deps: Deps,
    record_id: str,
    *,
    domain: str = "pbx",
    sections: Sequence[Section] = DEFAULT_SECTIONS,
    detail: Detail = "concise",
) -> RecordingInsightsResult:
    served = await deps.source.recording(record_id, domain, insight_types_for(sections))
    record, served_from = served.insights, served.served_from
    result = _record_result(served_from, record, sections, detail)
    # Cheap tests first: the common answer (concise, no inline transcript) is never serialised twice.
    if result.transcript is not None and response_chars(result) > RESPONSE_BUDGET_CHARS:
        result = _record_result(served_from, record, [s for s in sections if s != "transcript"], detail)
        result.hint += " The inline transcript was left out to stay within the response budget; use render_transcript."
    if detail == "full" and response_chars(result) > RESPONSE_BUDGET_CHARS:
        result = _record_result(served_from, record, [s for s in sections if s != "transcript"], "concise")
        result.hint += " Full detail did not fit the response budget, so lists were shortened to concise detail."
    return result


def _record_result(
    data_source: DataSource, record: RecordingInsights, sections: Sequence[Section], detail: Detail
) -> RecordingInsightsResult:
    fields = _summary_fields(record, sections, detail, Leg(record))
    hint = _record_hint(record.source_record_id, fields.get("transcript_stats"), fields["truncated"])
    return RecordingInsightsResult(**fields, data_source=data_source, hint=hint)


async def get_insights_by_session(
    deps: Deps,
    session_id: str,
    *,
    domain: str = "pbx",
    sections: Sequence[Section] = DEFAULT_SECTIONS,
    detail: Detail = "concise",
) -> SessionInsightsResult:
    served = await deps.source.session(session_id, domain, insight_types_for(sections))
    session = served.insights
    legs = place_legs(session.records)
    shaped = [summarize_recording(leg.insights, sections, detail, leg=leg) for leg in legs]
    result = _session_result(served.served_from, session_id, domain, session, legs, shaped)
    if response_chars(result) > RESPONSE_BUDGET_CHARS:
        lean = [s for s in sections if s != "transcript"]
        shaped = [summarize_recording(leg.insights, lean, "concise", leg=leg) for leg in legs]
        result = _session_result(served.served_from, session_id, domain, session, legs, shaped)
        result.hint += " Legs were shortened to concise detail without transcripts to stay within the response budget."
    return result


def _session_result(
    data_source: DataSource,
    session_id: str,
    domain: str,
    session: SessionInsights,
    legs: Sequence[Leg],
    shaped: Sequence[RecordingSummary],
) -> SessionInsightsResult:
    rollup = []
    combined: list[TimedItem] = []
    for leg, summary in zip(legs, shaped, strict=True):
        rollup.append(
            LegRollup(
                record_id=leg.insights.source_record_id,
                start_time=summary.call.start_time,
                duration=summary.call.duration,
                handled_by=[s.name for s in summary.speakers if s.internal],
                other_parties=[s.name for s in summary.speakers if not s.internal],
            )
        )
        combined.extend(summary.next_steps or [])
    warnings = list(session.warnings) + [w for s in shaped for w in s.warnings]
    ids = ", ".join(f"'{leg.insights.source_record_id}'" for leg in legs)
    hint = (
        f"{len(legs)} recording(s) in this session, oldest first; times are on one clock from the first recording. "
        f"For exact quotes, call render_transcript(session_id='{session_id}') or per leg with record_id in ({ids})."
    )
    return SessionInsightsResult(
        session_id=session_id,
        domain=domain,
        legs=list(shaped),
        rollup=rollup,
        combined_next_steps=combined,
        warnings=warnings,
        data_source=data_source,
        hint=hint,
    )
