"""Transcript statistics: lines, turns, words, coverage of the recording, and whether the transcript is complete.

Counted once per response (`transcript_stats`) without building the turns' text: this runs on every insights
fetch, so the scans are C-level. The turn count agrees with what `turns.build_turns` makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress
from operator import eq

from server.ringsense.models import RecordingInsights, Transcript

from .formatting import clock
from .models import TranscriptStats
from .turns import MAX_TURN_CHARS, lines_in_order

__all__ = ["COMPLETE_COVERAGE", "COMPLETE_SLACK_SECONDS", "transcript_stats"]

# A transcript ending this close to the end of the recording counts as complete.
COMPLETE_SLACK_SECONDS = 30.0
COMPLETE_COVERAGE = 0.9


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
    order = lines_in_order(lines)
    first = lines.starts[order[0]]  # the lines in order are sorted by start: no scan for the smallest
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
    words, turns = _words_and_turns(lines, order)
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


def _words_and_turns(lines: Transcript, order: Sequence[int]) -> tuple[int, int]:
    """Words, and how many turns build_turns makes of one recording, without building any text.

    Each speaker change opens a turn; within a run of lines by one speaker, a turn also closes at MAX_TURN_CHARS,
    and only such runs are measured (a raw length bounds the normalised one from above; neutralising markers
    keeps a line's length). The scans are C-level (`map`, `join`, `compress`): this runs on every insights fetch.
    """
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
