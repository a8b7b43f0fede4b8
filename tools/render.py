"""render_transcript: a page of a recording's or a session's transcript, filtered and formatted."""

from __future__ import annotations

from collections.abc import Sequence

from server.ringsense.models import InsightType, SharedResponse

from .deps import Deps
from .errors import ToolFailure
from .formatting import clock
from .models import TranscriptFormat, TranscriptPage
from .transcript import DEFAULT_MAX_CHARS, DEFAULT_PAGE_TURNS, PageRequest, render_all, render_page
from .transcript_stats import transcript_stats
from .turns import Leg, Turn, place_legs, turns_of


def _filter_speakers(turns: Sequence[Turn], wanted: Sequence[str]) -> Sequence[Turn]:
    present = list(dict.fromkeys(turn.speaker for turn in turns))
    folded = [w.casefold().strip() for w in wanted if w.strip()]
    if not folded:
        return turns
    chosen = {name for name in present if any(w == name.casefold() or w in name.casefold() for w in folded)}
    if not chosen:
        raise ToolFailure(
            f"No speaker matches {list(wanted)!r}. Speakers in this transcript: {', '.join(present) or 'none'}."
        )
    return [turn for turn in turns if turn.speaker in chosen]


async def render_transcript(
    deps: Deps,
    *,
    record_id: str | None = None,
    session_id: str | None = None,
    domain: str = "pbx",
    format: TranscriptFormat = "compact",
    merge_turns: bool = True,
    timestamps: bool = True,
    speakers: Sequence[str] | None = None,
    start_seconds: float | None = None,
    end_seconds: float | None = None,
    offset: int = 0,
    limit: int = DEFAULT_PAGE_TURNS,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> TranscriptPage:
    if bool(record_id) == bool(session_id):
        raise ToolFailure(
            "Give exactly one of record_id (one recording) or session_id (every recording of a telephony session)."
        )
    if start_seconds is not None and end_seconds is not None and end_seconds <= start_seconds:
        raise ToolFailure(f"end_seconds ({end_seconds:g}) must be after start_seconds ({start_seconds:g}).")

    types = [InsightType.TRANSCRIPT]
    response: SharedResponse
    if record_id:
        served_record = await deps.source.recording(record_id, domain, types)
        response = served_record.insights
        legs, served_from = [Leg(response)], served_record.served_from
    else:
        served_session = await deps.source.session(session_id or "", domain, types)
        response = served_session.insights
        legs, served_from = place_legs(served_session.insights.records), served_session.served_from

    # Built once per response: a model reading a long transcript page by page does not rebuild every turn per page.
    turns = turns_of(response, legs, merge=merge_turns)
    filters = []
    if speakers:
        turns = _filter_speakers(turns, speakers)
        filters.append("speakers " + ", ".join(dict.fromkeys(t.speaker for t in turns)))
    if start_seconds is not None or end_seconds is not None:
        low = start_seconds if start_seconds is not None else 0.0
        high = end_seconds if end_seconds is not None else float("inf")
        turns = [t for t in turns if t.end > low and t.start < high]
        filters.append(f"between {clock(low)} and {clock(high) if high != float('inf') else 'the end'}")
    if offset > len(turns):
        raise ToolFailure(
            f"offset={offset} is past the end: {len(turns)} turns match. Use offset from 0 to {max(0, len(turns) - 1)}."
        )
    described = f" ({'; '.join(filters)})" if filters else ""
    page = render_page(
        turns,
        legs,
        PageRequest(format=format, timestamps=timestamps, offset=offset, limit=limit, max_chars=max_chars),
        record_id=record_id,
        session_id=session_id,
        describe_filters=described,
    )
    page.data_source = served_from
    incomplete = [leg for leg in legs if _stops_early(leg)]
    if incomplete and page.next_offset is None:
        page.hint += " Note: RingSense transcribed only part of this recording; the transcript ends before the call."
    return page


def _stops_early(leg: Leg) -> bool:
    return not transcript_stats(leg.insights).complete


async def whole_transcript(deps: Deps, record_id: str, domain: str = "pbx") -> str:
    """One recording's whole transcript as markdown, wrapped in call-content markers."""
    served = await deps.source.recording(record_id, domain, [InsightType.TRANSCRIPT])
    return render_all([Leg(served.insights)], "markdown")
