"""A transcript held in columns gives back every text exactly as it went in, whatever the text."""

from __future__ import annotations

import copy
import json
from array import array

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.ringsense.models import RecordingInsights
from server.ringsense.transcript import Transcript, TranscriptUnit

# Any text a line may carry: every plane but surrogates (not valid in JSON text), plus the hostile shapes spelled
# out, since random text rarely hits them: empty, only spaces, spaces at the ends, newlines, a very long text.
TEXTS = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.sampled_from(["", " ", "  ", " a", "a ", "a  b", "\n", "a\nb", "\t \x1f", "\u3000", "é\U0001f600", "𐍈 "]),
    st.builds(
        lambda word, times: (word + " ") * times, st.sampled_from(["w", "é", "\U00010348"]), st.integers(0, 3000)
    ),
)
LINES = st.lists(st.tuples(st.sampled_from(["p-1", "p-2", None]), TEXTS), max_size=30)


def columns(lines: list[tuple[str | None, str]]) -> Transcript:
    ids = [speaker for speaker, _ in lines]
    texts = [text for _, text in lines]
    times = array("d", [float(i) for i in range(len(lines))])
    return Transcript.from_columns(ids, texts, times, array("d", [t + 0.5 for t in times]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=LINES)
def test_a_transcript_built_from_columns_gives_back_every_text_exactly(lines):
    transcript = columns(lines)
    texts = [text for _, text in lines]
    units = [TranscriptUnit(speaker, text, float(i), i + 0.5) for i, (speaker, text) in enumerate(lines)]
    assert transcript.texts == tuple(texts)
    assert list(transcript) == units and len(transcript) == len(units)
    assert [transcript[i] for i in range(len(units))] == units
    assert [transcript[-i] for i in range(1, len(units) + 1)] == units[::-1]
    assert transcript[1::2] == units[1::2] and transcript[::-3] == units[::-3]
    assert transcript == Transcript(units) == units, "built from units or from columns: the same transcript"
    assert [line["text"] for line in transcript.to_wire()] == texts
    assert copy.deepcopy(transcript) is transcript


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=LINES.filter(bool))
def test_a_transcript_parsed_from_a_body_gives_back_every_text_exactly(lines):
    wire = [{"speakerId": s, "text": t, "start": i, "end": i + 1} for i, (s, t) in enumerate(lines)]
    body = {"sourceRecordId": "1", "insights": {"Transcript": wire}}
    for parsed in (
        RecordingInsights.from_body(json.dumps(body).encode()),
        RecordingInsights.model_validate(body),
    ):
        assert parsed.insights.transcript.texts == tuple(text for _, text in lines)
        assert parsed.insights.transcript.to_wire() == [
            {**line, "start": float(line["start"]), "end": float(line["end"])} for line in wire
        ]


def test_transcripts_whose_texts_join_to_the_same_string_differ_when_their_lines_do():
    one, other = columns([("p-1", "a b"), ("p-1", "c")]), columns([("p-1", "a"), ("p-1", "b c")])
    assert " ".join(one.texts) == " ".join(other.texts) and one != other
    assert columns([("p-1", "")]) != columns([("p-1", " ")]) and columns([]) == columns([]) == []


@pytest.mark.parametrize("index", [1, -2])
def test_an_index_past_either_end_raises_index_error(index: int):
    with pytest.raises(IndexError):
        columns([("p-1", "only")])[index]
