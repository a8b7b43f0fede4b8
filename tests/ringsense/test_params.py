"""Ids are validated before any request and sent as exactly one path segment."""

from __future__ import annotations

import pytest

from server.ringsense.errors import InvalidIdError
from server.ringsense.params import DOMAINS, MAX_ID_LENGTH, path_segment, validate_domain, validate_id

VALID_IDS = [
    "2728084995017",
    "s-a0e7b361acc0az191bec7e275z7cae070000",
    "cbac2b78-f7ad-4e2a-98d9-62e4b2a3c2c7!us-10-dca09@us-10",
    "4b57_384543",
    "ASaxDDkSZ5s42MA",
    "a.b",
    "x" * MAX_ID_LENGTH,
]

# Each is refused with InvalidIdError; the client tests prove no request is made for them either.
HOSTILE_IDS = [
    "",
    ".",
    "..",
    "../x",
    "x/..",
    "a..b",
    "a/b",
    "/abs",
    "a\\b",
    "%2e%2e",
    "%2E%2E%2F",
    "a%2Fb",
    "%00",
    "a?b",
    "a?insightTypes=Transcript",
    "a#b",
    "a b",
    " a",
    "a ",
    "a\tb",
    "a\nb",
    "a\r\nHost: evil",
    "a\x00b",
    "\x7f",
    "１２３",  # full-width digits
    "abc\u200b",  # zero-width space
    "аbc",  # Cyrillic a
    "ａbc",  # full-width a
    "a\u2215b",  # division slash
    "a\uff0fb",  # full-width solidus
    "e\u0301",  # combining accent
    "x" * (MAX_ID_LENGTH + 1),
    "x" * 10_240,
    "a;b",
    "a&b",
    "a=b",
    "a+b",
    "a:b",
    "~",
    "a'b",
    'a"b',
    "<script>",
    "a,b",
    "a*",
]


@pytest.mark.parametrize("value", VALID_IDS)
def test_real_ids_are_accepted_unchanged(value: str) -> None:
    assert validate_id(value) == value
    assert path_segment(value) == value


@pytest.mark.parametrize("value", HOSTILE_IDS, ids=[ascii(v)[:30] for v in HOSTILE_IDS])
def test_hostile_ids_are_refused(value: str) -> None:
    with pytest.raises(InvalidIdError) as caught:
        validate_id(value, what="recording id")
    assert "recording id" in caught.value.message
    assert len(caught.value.message) < 400  # a 10 KB id is not echoed back whole


@pytest.mark.parametrize("value", [None, 123, b"abc", ["a"]])
def test_non_strings_are_refused(value: object) -> None:
    with pytest.raises(InvalidIdError):
        validate_id(value)


def test_the_hostile_table_is_big_enough() -> None:
    assert len(HOSTILE_IDS) >= 30


@pytest.mark.parametrize("domain", DOMAINS)
def test_documented_domains_are_accepted(domain: str) -> None:
    assert validate_domain(domain) == domain


@pytest.mark.parametrize("domain", ["PBX", "connect-and-sell", "", "pbx/../x", "pbx ", None])
def test_other_domains_are_refused(domain: object) -> None:
    with pytest.raises(InvalidIdError, match="pbx, rcv, rcx, nice-incontact, ms-teams"):
        validate_domain(domain)
