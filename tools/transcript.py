"""Transcripts: turns, statistics, and paged rendering in compact text, text, markdown, SRT, WebVTT and JSON.

Pages are cut by turn, never inside one, so the pages of a transcript reassemble to the whole with nothing lost
or repeated. Every page stays inside the response budget.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress
from json.encoder import encode_basestring as _json_string  # json.dumps' own string escaping (C), no ASCII-only
from operator import eq, lt
from typing import NamedTuple

from server.ringsense.models import RecordingInsights, SharedResponse, Transcript

from . import compact
from .formatting import (
    CONTENT_BEGIN,
    CONTENT_END,
    RESPONSE_BUDGET_CHARS,
    SpeakerDirectory,
    clock,
    neutralise,
    response_chars,
)
from .models import TranscriptFormat, TranscriptPage, TranscriptStats

# A merged turn is closed at this size so that any one turn fits comfortably in the smallest page.
MAX_TURN_CHARS = 2_000
# What render_transcript accepts (its input schema is built from these) and its defaults.
DEFAULT_PAGE_TURNS = 200
MAX_PAGE_TURNS = 1_000
DEFAULT_MAX_CHARS = 40_000
MIN_MAX_CHARS = 4_000  # twice MAX_TURN_CHARS: the smallest page holds the longest turn with room for markers
MAX_MAX_CHARS = 60_000
MAX_OFFSET = 100_000
MAX_SECONDS = 86_400  # a day: no recording is longer
MAX_SPEAKERS = 20
MAX_SPEAKER_CHARS = 100
# A transcript ending this close to the end of the recording counts as complete.
COMPLETE_SLACK_SECONDS = 30.0
COMPLETE_COVERAGE = 0.9


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


def _in_order(transcript: Transcript) -> Sequence[int]:
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
        for i in _in_order(transcript):
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


def transcript_stats(insights: RecordingInsights) -> TranscriptStats:
    """Statistics of a recording's transcript, counted once per response (a cached response is shared, so a
    cache hit need not recount 1,500 lines); the copy returned is the caller's to change."""
    return insights.derived("transcript_stats", lambda: _transcript_stats(insights)).model_copy()


def _transcript_stats(insights: RecordingInsights) -> TranscriptStats:
    lines = insights.insights.transcript
    recording = insights.recording_duration_ms / 1000 if insights.recording_duration_ms else None
    if not lines:
        return TranscriptStats(
            utterances=0,
            turns=0,
            words=0,
            transcribed_seconds=0.0,
            recording_seconds=recording,
            coverage=0.0 if recording else None,
            complete=False,
            note="RingSense returned no transcript for this recording.",
        )
    first = min(lines.starts)
    last = max(lines.ends)
    span = max(0.0, last - first)
    coverage = round(min(1.0, span / recording), 3) if recording else None
    complete = recording is None or last >= recording - COMPLETE_SLACK_SECONDS or span >= recording * COMPLETE_COVERAGE
    note = None
    if not complete:
        note = (
            f"The transcript stops at {clock(last)} of a {clock(recording)} recording: nothing said after "
            f"{clock(last)} was transcribed, so do not infer how the call ended."
        )
    words, turns = _words_and_turns(lines)
    return TranscriptStats(
        utterances=len(lines),
        turns=turns,
        words=words,
        first_at=clock(first),
        last_at=clock(last),
        transcribed_seconds=round(span, 2),
        recording_seconds=recording,
        coverage=coverage,
        complete=complete,
        note=note,
    )


def _words_and_turns(lines: Transcript) -> tuple[int, int]:
    """Words, and how many turns build_turns makes of one recording, without building any text.

    Each speaker change opens a turn; within a run of lines by one speaker, a turn also closes at MAX_TURN_CHARS,
    and only such runs are measured (a raw length bounds the normalised one from above; neutralising markers
    keeps a line's length). The scans are C-level (`map`, `join`, `compress`): this runs on every insights fetch.
    """
    order = _in_order(lines)
    texts = lines.texts if isinstance(order, range) else [lines.texts[i] for i in order]
    ids = lines.speaker_ids if isinstance(order, range) else [lines.speaker_ids[i] for i in order]
    joined = " ".join(texts)
    if _single_spaced(joined):
        # The usual transcript. Joined single-spaced, every line has words, no space at either end, no double
        # space and no other whitespace: its words are its spaces plus one (no string per word), and it is already
        # what build_turns makes of it.
        words = joined.count(" ") + 1
    else:
        words = len(joined.split())
        if not all(texts) or any(map(str.isspace, texts)):  # lines without words open no turn: drop them
            kept = [i for i, text in enumerate(texts) if text and not text.isspace()]
            texts, ids = [texts[i] for i in kept], [ids[i] for i in kept]
    continues = list(compress(range(1, len(ids)), map(eq, ids[1:], ids[:-1])))
    turns = len(texts) - len(continues)
    for first, last in _runs(continues):
        run = texts[first : last + 1]
        if sum(map(len, run)) + len(run) - 1 < MAX_TURN_CHARS:
            continue  # fits one turn even before whitespace is collapsed
        size = MAX_TURN_CHARS  # so that the run's first line opens a turn (already counted)
        for text in run:
            length = len(" ".join(text.split()))
            if size + length < MAX_TURN_CHARS:
                size += length + 1
            else:
                turns, size = turns + 1, length
        turns -= 1  # the run's first turn was counted with the speaker change
    return words, turns


# Every ASCII character `str.split` takes for whitespace, but the space, is a control character (below 0x20).
_ASCII_CONTROLS = bytes(range(0x20))


def _single_spaced(text: str) -> bool:
    """Whether `text` is words separated by single spaces: not empty, no space at either end, no double space and
    no whitespace but the space. ASCII text (the usual) is checked for control characters with one `translate`
    in C, five times faster than `isprintable`; any other text by `isprintable`, since every whitespace character
    `split` knows other than the space is unprintable."""
    if not text or text[0] == " " or text[-1] == " " or "  " in text:
        return False
    if text.isascii():
        raw = text.encode("ascii")
        return len(raw.translate(None, _ASCII_CONTROLS)) == len(raw)
    return text.isprintable()


def _word_count(text: str) -> int:
    """`len(text.split())`, without making a string per word when the text is single-spaced (the usual case)."""
    if _single_spaced(text):
        return text.count(" ") + 1
    return len(text.split())


def _runs(continues: Sequence[int]) -> list[tuple[int, int]]:
    """(first, last) line of each run of one speaker, from the indexes of lines that continue the line before."""
    runs: list[tuple[int, int]] = []
    for index in continues:
        if runs and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index - 1, index))
    return runs


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


# --- rendering -------------------------------------------------------------------------------


# Zero-padded numbers looked up rather than formatted: two stamps a cue made formatting most of a subtitle page.
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))
_THREE_DIGITS = tuple(f"{n:03d}" for n in range(1000))


def _stamp(seconds: float, sep: str) -> str:
    """`hh:mm:ss,mmm` (SRT) or `hh:mm:ss.mmm` (WebVTT)."""
    secs, millis = divmod(round(seconds * 1000) if seconds > 0 else 0, 1000)
    minutes, secs = divmod(secs, 60)
    hours, minutes = divmod(minutes, 60)
    hh = _TWO_DIGITS[hours] if hours < 100 else str(hours)
    return f"{hh}:{_TWO_DIGITS[minutes]}:{_TWO_DIGITS[secs]}{sep}{_THREE_DIGITS[millis]}"


def _cue_text(text: str) -> str:
    return text.replace("-->", "→")


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _leg_header(legs: Sequence[Leg], index: int, style: TranscriptFormat) -> str | None:
    if len(legs) < 2:
        return None
    leg = legs[index]
    label = f"Leg {index + 1} of {len(legs)} · recording {leg.insights.source_record_id} · starts {clock(leg.offset)}"
    if style == "markdown":
        return f"### {label}"
    if style in ("text", "compact"):
        return f"--- {label} ---"
    return None


def _render_one(turn: Turn, number: int, style: TranscriptFormat, timestamps: bool) -> str:
    if style == "text":
        return f"[{clock(turn.start)}] {turn.speaker}: {turn.text}" if timestamps else f"{turn.speaker}: {turn.text}"
    if style == "markdown":
        stamp = f" _{clock(turn.start)}_" if timestamps else ""
        return f"**{turn.speaker}**{stamp}: {turn.text}"
    end = turn.end if turn.end >= turn.start + 0.001 else turn.start + 0.001
    if style == "srt":
        return f"{number}\n{_stamp(turn.start, ',')} --> {_stamp(end, ',')}\n{turn.speaker}: {_cue_text(turn.text)}"
    if style == "vtt":
        body = (
            _vtt_escape(_cue_text(turn.text)) if "<" in turn.text or ">" in turn.text or "&" in turn.text else turn.text
        )
        return f"{number}\n{_stamp(turn.start, '.')} --> {_stamp(end, '.')}\n<v {_vtt_escape(turn.speaker)}>{body}"
    raise ValueError(style)


def _json_items(turns: Sequence[Turn], first_number: int, legs: Sequence[Leg], timestamps: bool) -> str:
    """The turns as a JSON array, written directly: building a dict per turn for json.dumps cost more than
    the rest of a page. Strings are escaped by json's own (C) encoder; times are finite (validated) floats."""
    record_ids = [leg.insights.source_record_id for leg in legs] if len(legs) > 1 else None
    items = []
    for number, turn in enumerate(turns, first_number):
        item = f'{{"n":{number},"speaker":{_json_string(turn.speaker)},"text":{_json_string(turn.text)}'
        if record_ids is not None:
            item += f',"leg":{turn.leg + 1},"record_id":{_json_string(record_ids[turn.leg])}'
        if timestamps:
            item += f',"at":"{clock(turn.start)}","start":{round(turn.start, 2)!r},"end":{round(turn.end, 2)!r}'
        items.append(item + "}")
    return "[" + ",".join(items) + "]"


def _body(
    turns: Sequence[Turn], first_number: int, legs: Sequence[Leg], style: TranscriptFormat, timestamps: bool
) -> str:
    if style == "json":
        return _json_items(turns, first_number, legs, timestamps)
    if style == "compact":
        return _compact_body(turns, legs, timestamps)
    blocks: list[str] = []
    previous_leg: int | None = None
    for i, turn in enumerate(turns):
        if turn.leg != previous_leg:
            header = _leg_header(legs, turn.leg, style)
            if header:
                blocks.append(header)
            previous_leg = turn.leg
        blocks.append(_render_one(turn, first_number + i, style, timestamps))
    separator = "\n\n" if style in ("markdown", "srt", "vtt") else "\n"
    return separator.join(blocks)


def _compact_body(turns: Sequence[Turn], legs: Sequence[Leg], timestamps: bool) -> str:
    if not turns:
        return ""
    # Labels from every speaker of every leg, so a label means the same person on every page.
    labels = compact.speaker_labels(name for leg in legs for name in speaker_names(leg.insights).values())
    blocks = [compact.legend(labels, (turn.speaker for turn in turns))]
    for leg_index, in_leg in itertools.groupby(turns, key=lambda turn: turn.leg):
        header = _leg_header(legs, leg_index, "compact")
        if header:
            blocks.append(header)
        blocks += compact.lines(list(in_leg), labels, timestamps=timestamps)
    return "\n".join(blocks)


def wrap(body: str, style: TranscriptFormat) -> str:
    """Put a page body inside the call-content markers in the form each format allows."""
    if style in ("text", "compact", "markdown"):
        return f"{CONTENT_BEGIN}\n{body}\n{CONTENT_END}"
    if style == "vtt":
        return f"WEBVTT\n\nNOTE {CONTENT_BEGIN}\n\n{body}\n\nNOTE {CONTENT_END}\n"
    if style == "srt":
        return f"{body}\n\n" if body else ""  # a blank line ends the last cue, so pages concatenate
    return body


# An estimate of what one rendered turn adds to its text and speaker name, used to fill a page.
_TURN_OVERHEAD: dict[str, int] = {"compact": 6, "text": 12, "markdown": 16, "srt": 45, "vtt": 50, "json": 90}


@dataclass(frozen=True)
class PageRequest:
    format: TranscriptFormat = "compact"
    timestamps: bool = True
    offset: int = 0
    limit: int = DEFAULT_PAGE_TURNS
    max_chars: int = DEFAULT_MAX_CHARS


def render_page(
    turns: Sequence[Turn],
    legs: Sequence[Leg],
    request: PageRequest,
    *,
    record_id: str | None = None,
    session_id: str | None = None,
    describe_filters: str = "",
) -> TranscriptPage:
    """Render turns[offset : offset+limit], shortened as needed to stay inside `max_chars` and the budget."""
    total = len(turns)
    offset = min(request.offset, total)
    chosen: list[Turn] = []
    size = 0
    overhead = _TURN_OVERHEAD[request.format]
    for turn in turns[offset : offset + request.limit]:
        cost = len(turn.speaker) + len(turn.text) + overhead
        if chosen and size + cost > request.max_chars:
            break
        chosen.append(turn)
        size += cost
    while True:
        page = _page(turns, chosen, legs, request, offset, total, record_id, session_id, describe_filters)
        if response_chars(page) <= RESPONSE_BUDGET_CHARS or len(chosen) <= 1:
            return page
        chosen = chosen[: max(1, int(len(chosen) * 0.8))]


def _page(
    turns: Sequence[Turn],
    chosen: Sequence[Turn],
    legs: Sequence[Leg],
    request: PageRequest,
    offset: int,
    total: int,
    record_id: str | None,
    session_id: str | None,
    describe_filters: str,
) -> TranscriptPage:
    body = _body(chosen, offset + 1, legs, request.format, request.timestamps)
    end = offset + len(chosen)
    next_offset = end if end < total else None
    if total == 0:
        hint = f"No transcript turns{describe_filters}."
    elif next_offset is None and offset == 0:
        hint = f"The whole transcript{describe_filters}: {total} turns."
    else:
        span = f"{clock(chosen[0].start)}–{clock(chosen[-1].end)}" if chosen else "none"
        hint = f"Turns {offset + 1}–{end} of {total}{describe_filters} ({span})."
        if next_offset is not None:
            hint += f" For more, call render_transcript again with the same arguments and offset={next_offset}."
        else:
            hint += " This is the last page."
    return TranscriptPage(
        record_id=record_id,
        session_id=session_id,
        format=request.format,
        content=wrap(body, request.format),
        total_turns=total,
        offset=offset,
        returned=len(chosen),
        next_offset=next_offset,
        hint=hint,
    )


def render_all(legs: Sequence[Leg], style: TranscriptFormat = "markdown", *, timestamps: bool = True) -> str:
    """The whole transcript as one document (for resources, which a user attaches deliberately)."""
    return wrap(_body(build_turns(legs), 1, legs, style, timestamps), style)
