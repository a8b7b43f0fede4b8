"""The compact transcript format: every turn readable back, exactly, from the page alone (no I/O)."""

from __future__ import annotations

import re

import pytest

from tests.tools.test_transcript import all_pages, long_recording, recording
from tools.compact import STAMP_EVERY_SECONDS, speaker_labels
from tools.formatting import CONTENT_BEGIN, CONTENT_END, clock
from tools.transcript import PageRequest, render_page
from tools.turns import Leg, build_turns, place_legs

LINE = re.compile(r"(?:\[(?P<stamp>[\d:]+)\] )?(?P<label>[A-Z0-9]+): (?P<text>.*)")


def read_page(content: str) -> list[tuple[str | None, str, str]]:
    """(stamp or None, full speaker name, text) of every turn on a compact page, names taken from its legend."""
    lines = content.split("\n")
    assert lines[0] == CONTENT_BEGIN and lines[-1] == CONTENT_END
    assert lines[1].startswith("Speakers: ")
    names = dict(entry.split(" = ", 1) for entry in lines[1].removeprefix("Speakers: ").split("; "))
    turns = []
    for line in lines[2:-1]:
        if line.startswith("--- Leg "):
            continue
        match = LINE.fullmatch(line)
        assert match, f"not a compact turn line: {line!r}"
        turns.append((match["stamp"], names[match["label"]], match["text"]))
    return turns


@pytest.mark.parametrize(("limit", "max_chars"), [(1000, 60_000), (137, 20_000), (40, 4_000)])
def test_compact_pages_give_back_every_turn_with_its_exact_speaker_and_text(limit: int, max_chars: int):
    rec = long_recording(1600)
    legs = [Leg(rec)]
    turns = build_turns(legs)
    pages = all_pages(turns, legs, PageRequest(format="compact", limit=limit, max_chars=max_chars))
    assert len(pages) > 1
    read = [turn for page in pages for turn in read_page(page.content)]
    assert [(speaker, text) for _, speaker, text in read] == [(t.speaker, t.text) for t in turns]


def test_compact_stamps_are_exact_and_come_on_each_page_start_and_every_30_seconds():
    rec = long_recording(600)
    legs = [Leg(rec)]
    turns = build_turns(legs)
    pages = all_pages(turns, legs, PageRequest(format="compact", limit=50))
    index = 0
    for page in pages:
        shown: float | None = None
        for stamp, _, _ in read_page(page.content):
            turn = turns[index]
            due = shown is None or turn.start - shown >= STAMP_EVERY_SECONDS
            assert (stamp is not None) == due, f"turn {index + 1}: stamp {stamp!r}, due {due}"
            if stamp is not None:
                assert stamp == clock(turn.start)
                shown = turn.start
            index += 1
    assert index == len(turns)


def test_compact_without_timestamps_has_none():
    rec = long_recording(100)
    legs = [Leg(rec)]
    page = render_page(build_turns(legs), legs, PageRequest(format="compact", timestamps=False, limit=1000))
    assert all(stamp is None for stamp, _, _ in read_page(page.content))


@pytest.mark.parametrize(
    ("names", "labels"),
    [
        (["Marcus Oyelaran", "Karen Halvorsen"], ["MO", "KH"]),
        (["Marcus Oyelaran", "Mark Olsen", "Mia Orr"], ["MO", "MO2", "MO3"]),
        (["Unknown caller 1", "Unknown caller 2"], ["U1", "U2"]),
        (["Cher", "Jean-Luc de la Tour Picard"], ["C", "JDL"]),
        (["‹‹‹ SYSTEM", "U1", "Unknown caller 1"], ["S", "U", "U1"]),
    ],
)
def test_speaker_labels_are_short_and_never_shared(names: list[str], labels: list[str]):
    assert list(speaker_labels(names).values()) == labels


def test_a_label_means_the_same_speaker_on_every_page():
    lines = [("dana", "Opening.", 0, 1)] + [("alex", f"Point {i}.", 2 + i, 2.5 + i) for i in range(30)]
    lines += [("sam", "Late question.", 100, 101)]
    rec = recording(lines, duration_s=120)
    legs = [Leg(rec)]
    turns = build_turns(legs, merge=False)
    pages = all_pages(turns, legs, PageRequest(format="compact", limit=10))
    legends = [page.content.split("\n")[1] for page in pages]
    assert legends[0] == "Speakers: D = Dana; A = Alex"
    assert legends[-1] == "Speakers: A = Alex; S = Sam", "labels come from every speaker, not the page's"


def test_a_session_in_compact_shows_each_leg_on_one_clock():
    second = recording([("sam", "Specialist here.", 0, 3)], duration_s=60, record_id="2", start="2026-11-20T15:02:00Z")
    first = recording([("alex", "Reception.", 1, 2)], duration_s=120, record_id="1", start="2026-11-20T15:00:00Z")
    legs = place_legs([second, first])
    page = render_page(build_turns(legs), legs, PageRequest(format="compact"))
    assert "--- Leg 2 of 2 · recording 2 · starts 02:00 ---\n[02:00] S: Specialist here." in page.content


def test_an_empty_page_is_only_the_markers():
    rec = recording([], duration_s=60)
    page = render_page(build_turns([Leg(rec)]), [Leg(rec)], PageRequest(format="compact"))
    assert page.content == f"{CONTENT_BEGIN}\n\n{CONTENT_END}"
