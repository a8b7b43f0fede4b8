"""The PostgreSQL backend's full text: call text as `tsvector` literals, a parsed query as a `tsquery`, and the
search statement built on them.

Not PostgreSQL's parser: `to_tsvector` would keep `dana@example.com` or `1e10x` as odd tokens and split `e-mail`
into three, `websearch_to_tsquery` speaks another query language (no `prefix*`, lower-case `or`). Here the index
holds exactly the words `query.words` finds, folded by `query.fold` — the words the query side produces — with
their positions, and every lexeme is quoted, so nothing in a transcript or a query is syntax.

```python
tsvector_parts("Refund the e-mail")   # ["'refund':1 'the':2 'e':3 'mail':4"]
any_tsquery(parse_query('"price increase" OR integ*').all_of[0])   # "('price' <-> 'increase') | ('integ':*)"
```
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from . import queries
from .query import Atom, fold
from .sql_reads import CALL_COLUMNS, Dialect, search_frame

__all__ = ["MAX_LEXEME_BYTES", "MAX_POSITIONS", "PART_OVERLAP", "PART_WORDS", "any_tsquery", "atom_tsquery",
           "search_sql", "tsvector_parts"]  # fmt: skip

PART_WORDS = 2_000  # words per indexed part (tsvector's own limit is 16,383 positions)
MAX_POSITIONS = 256  # positions tsvector keeps for one word
PART_OVERLAP = 64  # words repeated at the start of the next part, so a phrase across the cut is still found
MAX_LEXEME_BYTES = 2_046  # PostgreSQL's limit; longer "words" (a pasted token) are left out of the index

_WORD = re.compile(r"[^\W_]+")  # as query.words: letters and digits


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _fits(word: str) -> bool:
    return len(word.encode()) <= MAX_LEXEME_BYTES


def _folded_words(text: str) -> list[str]:
    if text.isascii():  # the common case, in C: fold is lower() for ASCII
        found = _WORD.findall(text.lower())
    else:
        found = [word.lower() if word.isascii() else fold(word) for word in _WORD.findall(text)]
    if found and max(map(len, found)) * 4 > MAX_LEXEME_BYTES:
        found = [word for word in found if _fits(word)]
    return found


def _literal(found: Sequence[str]) -> str:
    positions: dict[str, list[int]] = defaultdict(list)
    for position, word in enumerate(found, 1):
        positions[word].append(position)
    return " ".join(f"{_lexeme(word)}:{','.join(map(str, at))}" for word, at in positions.items())


def tsvector_parts(text: str) -> list[str]:
    """`text` as `tsvector` literals, positions counted from 1 in each. The words are those the query side finds
    (`query.words`, `query.fold`). A part ends after PART_WORDS words, or before a word's 257th occurrence
    (tsvector keeps 256 positions a word, and a phrase needs them all); the next part repeats the last
    PART_OVERLAP words, so a phrase across the cut is still found."""
    found = _folded_words(text)
    if not found:
        return []
    if len(found) <= PART_WORDS and max(Counter(found).values()) <= MAX_POSITIONS:
        return [_literal(found)]  # one part: most speakers of most calls
    parts: list[str] = []
    start = 0
    while start < len(found):
        counts: Counter[str] = Counter()
        end = start
        while end < len(found) and end - start < PART_WORDS and counts[found[end]] < MAX_POSITIONS:
            counts[found[end]] += 1
            end += 1
        parts.append(_literal(found[start:end]))
        if end == len(found):
            break
        start = end - PART_OVERLAP  # a part holds at least 256 words, so this moves forward
    return parts


def atom_tsquery(atom: Atom) -> str:
    lexemes = [_lexeme(word) for word in atom.words]
    if atom.prefix:
        lexemes[-1] += ":*"
    return " <-> ".join(lexemes)


def any_tsquery(atoms: Sequence[Atom]) -> str:
    """A tsquery matching any of `atoms`."""
    return " | ".join(f"({atom_tsquery(atom)})" for atom in atoms)


# A group's score: calls whose title or AI sections (slot 0: summary, highlights, next steps, notes) match rank
# first — the call is about it — ordered by `ts_rank` there (normalised by length, as bm25 favours the shorter
# text); then by how many parts of the transcript match. `ts_rank` reads the whole tsvector, so it runs on the
# small AI-section rows only: on every matching transcript part it cost three times the rest of the search.
_GROUP_SCORE = (
    "coalesce(1 + max(ts_rank(t.doc, q.q, 1)) FILTER (WHERE t.slot = 0), 0) "
    "+ ln(1 + count(*) FILTER (WHERE t.slot > 0)) / 10"
)


def search_sql(plan: queries.SearchPlan, dialect: Dialect) -> tuple[str, list[Any]]:
    """The search as one statement, shaped as the SQLite backend's: one CTE per AND group (each may match in any
    part of the call, so "refund policy" finds a call where the customer said one word and the agent the other),
    joined, minus the calls with an excluded word. A call's score is the sum of its groups' (see _GROUP_SCORE)."""
    params: list[Any] = []
    ctes: list[str] = []
    speaker_sql = ""
    speaker_params: list[Any] = []
    if plan.speaker_words:
        speaker_sql += " AND t.who @> %s::text[]"
        speaker_params.append(list(plan.speaker_words))
    if plan.filters.speaker_side:
        speaker_sql += " AND t.side = %s"
        speaker_params.append(plan.filters.speaker_side)
    groups = plan.parsed.all_of
    for index, group in enumerate(groups):
        ctes.append(
            f"g{index} AS (SELECT t.call_id, {_GROUP_SCORE} AS score "
            f"FROM call_text t, (SELECT %s::tsquery AS q) q WHERE t.doc @@ q.q{speaker_sql} GROUP BY t.call_id)"
        )
        params += [any_tsquery(group), *speaker_params]
    if plan.parsed.none_of:
        ctes.append("nx AS (SELECT DISTINCT t.call_id FROM call_text t WHERE t.doc @@ %s::tsquery)")
        params.append(any_tsquery(plan.parsed.none_of))
    if speaker_sql and not groups:
        ctes.append(f"sp AS (SELECT DISTINCT t.call_id FROM call_text t WHERE true{speaker_sql})")
        params += speaker_params

    source, score, conditions, filter_params = search_frame(plan, dialect, speaker=bool(speaker_sql))
    order = "score DESC, c.started_at DESC NULLS LAST, c.id" if groups else "c.started_at DESC NULLS LAST, c.id"
    with_ctes = f"WITH {', '.join(ctes)} " if ctes else ""
    sql = (
        f"{with_ctes}SELECT {CALL_COLUMNS}, {score} AS score, count(*) OVER () AS total "
        f"FROM {source}{conditions} ORDER BY {order} LIMIT ? OFFSET ?"
    )
    return dialect.sql(sql), [*params, *filter_params, plan.limit, plan.offset]
