"""Turns: a call's transcript lines, on one clock across its recordings, merged into turns by speaker.

A `Leg` is one recording placed on the call's clock (`place_legs` orders a session's recordings); `build_turns`
walks every line of every leg once and merges consecutive lines of one speaker into a `Turn`, closed at
`MAX_TURN_CHARS`; `turns_of` does it once per response. Paging and rendering are `transcript.py`; counting is
`transcript_stats.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import lt
from typing import NamedTuple

from server.ringsense.models import RecordingInsights, SharedResponse, Transcript

from .formatting import SpeakerDirectory, neutralise

__all__ = ["MAX_TURN_CHARS", "Leg", "Turn", "build_turns", "lines_in_order", "place_legs", "speaker_names", "turns_of"]

# A merged turn is closed at this size so that any one turn fits comfortably in the smallest page.
MAX_TURN_CHARS = 2_000


@dataclass(frozen=True)
class Leg:
    """One recording of a call placed on the call's clock (`offset` seconds after the first recording)."""

    insights: RecordingInsights
    offset: float = 0.0


class Turn(NamedTuple):
    """Consecutive lines of one speaker (a tuple: tens of thousands are made for a long call, and a tuple is the
    cheapest object to make)."""

    leg: int
    speaker: str
    start: float
    end: float
    text: str


def lines_in_order(transcript: Transcript) -> Sequence[int]:
    """Line indexes by (start, end); RingSense sends them in order, so usually no sort is needed."""
    starts, ends = transcript.starts, transcript.ends
    if all(map(lt, starts[:-1], starts[1:])):  # strictly increasing starts: in order, checked in C
        return range(len(starts))
    if all(
        starts[i - 1] < starts[i] or (starts[i - 1] == starts[i] and ends[i - 1] <= ends[i])
        for i in range(1, len(starts))
    ):
        return range(len(starts))
    return sorted(range(len(starts)), key=lambda i: (starts[i], ends[i]))


def speaker_names(insights: RecordingInsights) -> dict[str | None, str]:
    """Display name of every speaker id, those in `speakerInfo` first, then any other id the transcript uses, in
    order of appearance (see SpeakerDirectory); computed once per response."""

    def compute() -> dict[str | None, str]:
        directory = SpeakerDirectory(insights)
        ids = [info.speaker_id for info in insights.speaker_info]
        return {
            speaker_id: directory.name(speaker_id)
            for speaker_id in dict.fromkeys([*ids, *insights.insights.transcript.speaker_ids])
        }

    return insights.derived("speaker_names", compute)


def build_turns(legs: Sequence[Leg], *, merge: bool = True) -> list[Turn]:
    """Transcript lines of every leg on one clock, consecutive lines of one speaker merged into turns.

    This walks every line: a caller reading page after page uses `turns_of`, which builds them once a response.
    """
    turns: list[Turn] = []
    for leg_index, leg in enumerate(legs):
        transcript = leg.insights.insights.transcript
        names = speaker_names(leg.insights)
        ids, texts, starts, ends, offset = (
            transcript.speaker_ids,
            transcript.texts,
            transcript.starts,
            transcript.ends,
            leg.offset,
        )
        # The turn being built: its speaker, start, end and text parts (joined once, when it closes).
        speaker: str | None = None
        first = last = 0.0
        parts: list[str] = []
        size = 0
        for i in lines_in_order(transcript):
            text = " ".join(texts[i].split())
            if not text:
                continue
            if "<<<" in text or ">>>" in text:
                text = neutralise(text)
            name = names[ids[i]]
            start = starts[i] + offset
            end = ends[i] + offset
            if end < start:
                end = start
            if merge and name == speaker and size + len(text) < MAX_TURN_CHARS:
                parts.append(text)
                size += len(text) + 1
                if end > last:
                    last = end
                continue
            if speaker is not None:
                turns.append(Turn(leg_index, speaker, first, last, " ".join(parts)))
            speaker, first, last, parts, size = name, start, end, [text], len(text)
        if speaker is not None:
            turns.append(Turn(leg_index, speaker, first, last, " ".join(parts)))
    return turns


def turns_of(response: SharedResponse, legs: Sequence[Leg], *, merge: bool = True) -> Sequence[Turn]:
    """`build_turns(legs)`, once per response: `legs` must be made from `response` (its one recording, or
    `place_legs` of a session's records), so that reading a long transcript page by page stays linear."""
    return response.derived(("turns", merge), lambda: tuple(build_turns(legs, merge=merge)))


def place_legs(records: Sequence[RecordingInsights]) -> list[Leg]:
    """Order a session's recordings chronologically and put them on one clock (the first recording's start)."""
    ordered = sorted(
        records,
        key=lambda r: (r.recording_start_time is None, r.recording_start_time or 0, r.source_record_id),
    )
    legs: list[Leg] = []
    base = ordered[0].recording_start_time if ordered else None
    cursor = 0.0
    for record in ordered:
        if base is not None and record.recording_start_time is not None:
            offset = max(0.0, (record.recording_start_time - base).total_seconds())
        else:
            offset = cursor  # no start time: place the leg right after the previous one
        legs.append(Leg(record, offset))
        cursor = offset + (record.recording_duration_ms or 0) / 1000
    return legs
