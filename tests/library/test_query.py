"""The query language: what each form means, and that any input is either a valid search or a clear error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.library import LibraryQueryError, SearchQuery
from server.library.query import MAX_QUERY_CHARS, parse_query
from server.library.sqlite import SqliteStore

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("text", "understood"),
    [
        ("refund policy", "refund AND policy"),
        ('"price increase"', '"price increase"'),
        ("refund OR cancel", "(refund OR cancel)"),
        ("refund OR cancel invoice", "(refund OR cancel) AND invoice"),
        ("proposal -voicemail", "proposal NOT voicemail"),
        ('proposal -"call me back"', 'proposal NOT "call me back"'),
        ("NOT voicemail proposal", "proposal NOT voicemail"),
        ("proposal AND pilot", "proposal AND pilot"),
        ("integ*", "integ*"),
        ('"deep div"*', '"deep div"*'),
        ("Refund", "refund"),
        ("café", "cafe"),
        ("e-mail", '"e mail"'),
        ("don't", '"don t"'),
        ("or", "or"),  # lower-case or is a word
        ("日本語", "日本語"),
        ("привет мир", "привет AND мир"),
    ],
)
def test_each_form_of_the_language_is_understood(text: str, understood: str) -> None:
    assert parse_query(text).describe() == understood


@pytest.mark.parametrize(
    ("text", "advice"),
    [
        ("OR refund", "OR needs a word or phrase on each side"),
        ("refund OR", "OR needs a word or phrase on each side"),
        ("refund OR OR cancel", "OR needs a word or phrase on each side"),
        ("-voicemail", "cannot only exclude"),
        ('-"call me"', "cannot only exclude"),
        ('"price increase', 'opening " without a closing one'),
        ('refund "price', 'opening " without a closing one'),
        ("a*", "at least 2 characters"),
        ("refund NOT", "NOT needs a word or phrase after it"),
        ("refund OR -cancel", "OR cannot be followed by an excluded word"),
        ("x" * (MAX_QUERY_CHARS + 1), f"the limit is {MAX_QUERY_CHARS}"),
        (" ".join(f"w{i}" for i in range(30)), "more than 24 words"),
        ("refund\x00", "NUL character"),
    ],
)
def test_a_malformed_query_gets_an_actionable_error(text: str, advice: str) -> None:
    with pytest.raises(LibraryQueryError) as caught:
        parse_query(text)
    assert advice in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "'; DROP TABLE calls; --",
        "proposal' OR 1=1 --",
        'text : "x" OR who : y',
        "NEAR(proposal pilot, 2)",
        "proposal^ {who} : dana",
        "call_text MATCH 'x'",
        "rank:bm25(10.0)",
        "(((proposal",
        "* proposal",
        '"" proposal',
        "proposal -",
        "🙂 proposal",
        "proposal\u202e\u200b",
    ],
)
async def test_sql_and_fts_syntax_in_a_query_are_only_words(filled: SqliteStore, text: str) -> None:
    page = await filled.search(SearchQuery(text))
    assert page.total_calls >= 0
    assert await filled.search(SearchQuery("proposal")) is not None  # the library is intact


async def test_punctuation_only_lists_calls_like_an_empty_query(filled: SqliteStore) -> None:
    everything = await filled.search(SearchQuery(""))
    punctuation = await filled.search(SearchQuery("&& ;; --"))
    assert punctuation.total_calls == everything.total_calls > 0


_ALPHABET = st.sampled_from(list("abcXYZ \"*-()':;^{}ñé日\u0301 OR NOT AND"))
_QUERY = st.lists(st.one_of(_ALPHABET, st.sampled_from(["OR", "NOT", "AND", '"', "-", "*", "proposal", "pilot"])))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=_QUERY)
async def test_any_input_is_a_search_or_a_query_error_never_a_database_error(
    filled: SqliteStore, pieces: list[str]
) -> None:
    text = " ".join(pieces)
    try:
        page = await filled.search(SearchQuery(text, limit=3))
    except LibraryQueryError as error:
        assert "sqlite" not in error.message.lower() and "fts5" not in error.message.lower()
    else:
        assert page.total_calls >= 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=80))
async def test_arbitrary_unicode_is_a_search_or_a_query_error(filled: SqliteStore, text: str) -> None:
    try:
        await filled.search(SearchQuery(text, limit=2))
    except LibraryQueryError:
        pass
