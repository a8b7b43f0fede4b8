"""Search over the sample calls: ranking across speakers, filters, snippets, paging and its errors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.library import CallFilters, LibraryQueryError, SearchQuery
from server.library.sqlite import SqliteStore
from server.sandbox.samples import Dataset

pytestmark = pytest.mark.anyio


def _titles(page) -> set[str]:  # type: ignore[no-untyped-def]
    return {hit.call.title for hit in page.hits}


@pytest.mark.parametrize(
    ("query", "expected_titles"),
    [
        ('"technical deep dive"', {"Call from Marcus Oyelaran to Karen Halvorsen"}),
        ("SLA penalty", {"Call from Greg Tanaka to Priya Raman"}),
        ("zanzibarquux", set()),
        ('"deep dive technical"', set()),
    ],
)
async def test_words_and_phrases_find_the_calls_that_contain_them(
    filled: SqliteStore, query: str, expected_titles: set[str]
) -> None:
    page = await filled.search(SearchQuery(query))
    assert _titles(page) == expected_titles
    assert page.total_calls == len(expected_titles)


async def test_or_finds_either_and_exclusion_removes_calls(filled: SqliteStore) -> None:
    credit = await filled.search(SearchQuery("credit", limit=50))
    refund = await filled.search(SearchQuery("refund", limit=50))
    either = await filled.search(SearchQuery("credit OR refund", limit=50))
    assert _titles(either) == _titles(credit) | _titles(refund)
    without = await filled.search(SearchQuery("credit -Priya", limit=50))
    assert without.total_calls < credit.total_calls
    assert all("Priya" not in hit.call.title for hit in without.hits)


async def test_a_prefix_matches_every_word_that_starts_with_it(filled: SqliteStore) -> None:
    page = await filled.search(SearchQuery("integ*", limit=50))
    words = {snippet.text[s:e].lower() for hit in page.hits for snippet in hit.snippets for s, e in snippet.marks}
    assert {"integration", "integrate"} <= words
    assert all(word.startswith("integ") for word in words)


async def test_words_said_by_different_speakers_still_find_the_call(filled: SqliteStore) -> None:
    """Each speaker is indexed apart; an AND across the call must not need one speaker to say both."""
    page = await filled.search(SearchQuery("QuickBooks Halvorsen"))
    assert "Call from Marcus Oyelaran to Karen Halvorsen" in _titles(page)


async def test_snippets_quote_the_speaker_time_and_marked_words(filled: SqliteStore) -> None:
    page = await filled.search(SearchQuery("QuickBooks", snippets_per_call=2))
    snippet = next(s for s in page.hits[0].snippets if s.section == "transcript")
    assert snippet.speaker and snippet.start_seconds is not None and snippet.speaker_side in ("internal", "external")
    assert all(snippet.text[s:e].lower() == "quickbooks" for s, e in snippet.marks)
    assert "**QuickBooks**" in snippet.marked()
    assert len(page.hits[0].snippets) <= 2


async def test_a_long_line_is_cut_around_the_match(filled: SqliteStore) -> None:
    page = await filled.search(SearchQuery("leadership", snippets_per_call=5))
    for snippet in (s for hit in page.hits for s in hit.snippets):
        assert len(snippet.text) <= 242
        assert snippet.marks and all(snippet.text[s:e].lower() == "leadership" for s, e in snippet.marks)


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        (CallFilters(direction="Inbound"), lambda hit: hit.call.direction == "Inbound"),
        (CallFilters(owner="Marcus"), lambda hit: hit.call.owner_name == "Marcus Oyelaran"),
        (CallFilters(owner="63378292008"), lambda hit: hit.call.owner_extension_id == "63378292008"),
        (CallFilters(min_score=8), lambda hit: hit.call.ai_score is not None and hit.call.ai_score >= 8),
        (CallFilters(max_score=6), lambda hit: hit.call.ai_score is not None and hit.call.ai_score <= 6),
        (CallFilters(domain="rcv"), lambda hit: hit.call.domain == "rcv"),
        (CallFilters(speaker="Karen Halvorsen"), lambda hit: "Karen Halvorsen" in hit.call.title),
    ],
    ids=["direction", "owner-name", "owner-extension", "min-score", "max-score", "domain", "speaker"],
)
async def test_each_filter_keeps_only_matching_calls(filled: SqliteStore, filters: CallFilters, check) -> None:  # type: ignore[no-untyped-def]
    everything = await filled.search(SearchQuery("", limit=50))
    page = await filled.search(SearchQuery("", filters, limit=50))
    assert 0 < page.total_calls < everything.total_calls
    assert all(check(hit) for hit in page.hits)


async def test_the_phone_filter_matches_the_end_of_a_number(filled: SqliteStore) -> None:
    page = await filled.search(SearchQuery("", CallFilters(phone_number="0126"), limit=50))
    assert page.total_calls >= 1
    assert all("Brenda Walsh" in hit.call.title for hit in page.hits)


async def test_the_date_filter_keeps_calls_started_in_the_range(filled: SqliteStore, dataset: Dataset) -> None:
    everything = await filled.search(SearchQuery("", limit=50))
    starts = sorted(hit.call.started_at for hit in everything.hits if hit.call.started_at)
    middle = starts[len(starts) // 2]
    page = await filled.search(SearchQuery("", CallFilters(date_from=middle), limit=50))
    assert page.total_calls == sum(1 for s in starts if s >= middle)
    assert page.coverage.date_from == middle


async def test_a_side_filter_limits_matches_and_snippets_to_that_side(filled: SqliteStore) -> None:
    """The customer saying "price" is what a manager asks about, not the agent."""
    page = await filled.search(SearchQuery("price", CallFilters(speaker_side="external"), limit=50))
    assert page.total_calls >= 1
    snippets = [s for hit in page.hits for s in hit.snippets]
    assert snippets and all(s.section == "transcript" and s.speaker_side == "external" for s in snippets)


async def test_a_speaker_filter_limits_snippets_to_what_they_said(filled: SqliteStore) -> None:
    page = await filled.search(SearchQuery("proposal", CallFilters(speaker="Karen"), limit=50))
    snippets = [s for hit in page.hits for s in hit.snippets]
    assert snippets and all(s.speaker == "Karen Halvorsen" for s in snippets)


async def test_pages_follow_the_cursor_without_repeats(filled: SqliteStore) -> None:
    first = await filled.search(SearchQuery("the", limit=3))
    assert first.next_cursor and first.total_calls > 6
    seen = [hit.call.record_id for hit in first.hits]
    cursor = first.next_cursor
    while cursor:
        page = await filled.search(SearchQuery("the", limit=3, cursor=cursor))
        seen += [hit.call.record_id for hit in page.hits]
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == first.total_calls
    ranks = [hit.rank for hit in first.hits]
    assert ranks == sorted(ranks, reverse=True)


@pytest.mark.parametrize(
    ("query", "advice"),
    [
        (SearchQuery("credit", cursor="not-a-cursor"), "cursor does not belong to this search"),
        (SearchQuery("x", limit=0), "limit must be between 1 and 50"),
        (SearchQuery("x", limit=51), "limit must be between 1 and 50"),
        (SearchQuery("x", snippets_per_call=9), "snippets_per_call"),
        (SearchQuery("x", CallFilters(min_score=11)), "between 0 and 10"),
        (SearchQuery("x", CallFilters(min_score=8, max_score=2)), "min_score must not be greater"),
        (SearchQuery("x", CallFilters(phone_number="12")), "3 to 15 digits"),
        (SearchQuery("x", CallFilters(direction="Sideways")), "Inbound or Outbound"),  # type: ignore[arg-type]
        (SearchQuery("x", CallFilters(speaker_side="both")), "internal or external"),  # type: ignore[arg-type]
        (SearchQuery("x", CallFilters(speaker="!!!")), "speaker must contain a name"),
    ],
)
async def test_bad_arguments_get_an_actionable_error(filled: SqliteStore, query: SearchQuery, advice: str) -> None:
    with pytest.raises(LibraryQueryError) as caught:
        await filled.search(query)
    assert advice in caught.value.message


async def test_a_cursor_from_another_search_is_refused(filled: SqliteStore) -> None:
    first = await filled.search(SearchQuery("the", limit=2))
    assert first.next_cursor
    with pytest.raises(LibraryQueryError, match="does not belong"):
        await filled.search(SearchQuery("proposal", limit=2, cursor=first.next_cursor))


async def test_a_reversed_date_range_is_refused(filled: SqliteStore, now) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LibraryQueryError, match="earlier than"):
        await filled.search(SearchQuery("x", CallFilters(date_from=now, date_to=now - timedelta(days=1))))


@pytest.mark.parametrize(
    ("line", "query"),
    [
        ("Привет, мы обсудили новый контракт.", "контракт"),
        ("Le café était excellent, merci.", "cafe"),
        ("Wir senden das Angebot am Freitag.", "angebot"),
        ("Η πρόταση στάλθηκε χθες.", "πρόταση"),
        ("Ο λόγος της κλήσης ήταν σαφής.", "κλήσης"),
        ("Die Straße ist gesperrt.", "STRAßE"),
        ("東京 の 会議 は 明日 です", "会議"),
    ],
    ids=["cyrillic", "accents", "german", "greek", "greek-final-sigma", "sharp-s", "japanese-spaced"],
)
async def test_text_in_other_scripts_is_found_and_marked(
    store: SqliteStore, dataset: Dataset, line: str, query: str
) -> None:
    import copy

    from server.library.ingest import ingest

    from .conftest import sample_bodies

    body = copy.deepcopy(sample_bodies(dataset)["unknown-caller"][0])
    body["insights"]["Transcript"][0]["text"] = line
    await ingest(store, body)
    page = await store.search(SearchQuery(query))
    assert page.total_calls == 1
    snippet = page.hits[0].snippets[0]
    assert snippet.text == line and len(snippet.marks) == 1


async def test_a_search_without_a_start_reports_the_coverage_of_every_indexed_call(filled: SqliteStore) -> None:
    everything = await filled.search(SearchQuery("", limit=50))
    first = min(hit.call.started_at for hit in everything.hits if hit.call.started_at)
    assert everything.coverage.whole_library and everything.coverage.date_from == first
    assert everything.coverage.recorded == everything.total_calls
    bounded = await filled.search(SearchQuery("", CallFilters(date_from=first), limit=50))
    assert not bounded.coverage.whole_library and bounded.coverage.date_from == first


def _accented_call(dataset: Dataset) -> dict:  # type: ignore[type-arg]
    """A sample call whose owner is José Núñez-O'Brien and whose customer is Zoë Ångström."""
    import copy

    from .conftest import sample_bodies

    body = copy.deepcopy(sample_bodies(dataset)["sales-discovery"][0])
    body["sourceRecordId"] = "accented-1"
    body["speakerInfo"][0]["name"] = "José Núñez-O'Brien"
    body["speakerInfo"][1]["name"] = "Zoë Ångström"
    return body


@pytest.mark.parametrize("owner", ["jose", "José", "JOSE", "nunez", "Núñez", "brien", "o'brien", "jose nunez"])
async def test_the_owner_filter_ignores_accents_case_and_punctuation_on_every_backend(
    store: SqliteStore,
    dataset: Dataset,
    now,
    owner: str,  # type: ignore[no-untyped-def]
) -> None:
    """The same owner finds the same calls on SQLite and PostgreSQL: folded as query words are."""
    from server.library import NextStepsQuery, StatsQuery
    from server.library.ingest import ingest

    await ingest(store, _accented_call(dataset))
    page = await store.search(SearchQuery("", CallFilters(owner=owner)))
    assert [hit.call.owner_name for hit in page.hits] == ["José Núñez-O'Brien"]
    month = (now - timedelta(days=40), now + timedelta(minutes=1))
    steps = await store.next_steps(NextStepsQuery(*month, owner=owner))
    assert [group.label for group in steps.groups] == ["José Núñez-O'Brien"]
    stats = await store.stats(StatsQuery(*month, owner=owner))
    assert stats.totals.calls == 1


@pytest.mark.parametrize("owner", ["josef", "nunez jose maria", "zoe"])
async def test_the_owner_filter_needs_every_word_to_start_a_word_of_the_name(
    store: SqliteStore, dataset: Dataset, owner: str
) -> None:
    from server.library.ingest import ingest

    await ingest(store, _accented_call(dataset))
    assert (await store.search(SearchQuery("", CallFilters(owner=owner)))).total_calls == 0


@pytest.mark.parametrize("speaker", ["Zoe", "ZOË", "zoe angstrom", "Ångström"])
async def test_the_speaker_filter_ignores_accents_and_case_on_every_backend(
    store: SqliteStore, dataset: Dataset, speaker: str
) -> None:
    from server.library.ingest import ingest

    await ingest(store, _accented_call(dataset))
    page = await store.search(SearchQuery("", CallFilters(speaker=speaker)))
    assert page.total_calls == 1
    said = await store.search(SearchQuery("QuickBooks", CallFilters(speaker=speaker)))
    assert said.hits and all(s.speaker == "Zoë Ångström" for h in said.hits for s in h.snippets)
