"""Transcript pages: turns rendered in compact text, text, markdown, SRT, WebVTT and JSON, a page at a time.

Pages are cut by turn, never inside one, so the pages of a transcript reassemble to the whole with nothing lost
or repeated. Every page stays inside the response budget. The turns come from `turns.py`; the statistics shown
beside a page from `transcript_stats.py`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring as _json_string  # json.dumps' own string escaping (C), no ASCII-only

from . import compact
from .formatting import CONTENT_BEGIN, CONTENT_END, RESPONSE_BUDGET_CHARS, clock, response_chars
from .models import TranscriptFormat, TranscriptPage
from .turns import Leg, Turn, build_turns, speaker_names

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
