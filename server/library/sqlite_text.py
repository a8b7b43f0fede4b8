"""The SQLite backend's full text: the FTS5 rowid layout and the search statement.

`call_text` is a contentless FTS5 table with one row per call for its title and AI sections (slot 0) and one per
speaker for the transcript (slots 1…): rowid = call id << SLOT_BITS | slot, columns `text` (ranked by bm25),
`who` (the speaker's name) and `side`, so speaker filters are FTS column filters. Every word of a query reaches
FTS5 as a quoted string bound as a parameter (see `query.Atom.fts5`).
"""

from __future__ import annotations

from typing import Any

from . import queries
from .sql_reads import Dialect, search_frame

__all__ = ["SLOT_BITS", "search_sql"]

SLOT_BITS = 8  # FTS rowid = call id << SLOT_BITS | slot


def _speaker_expression(plan: queries.SearchPlan) -> str:
    """FTS5 conditions on who said it: every word of the speaker's name, and/or their side."""
    parts = [f'who : "{word}"' for word in plan.speaker_words]
    if plan.filters.speaker_side:
        parts.append(f'side : "{plan.filters.speaker_side}"')
    return " AND ".join(parts)


def search_sql(plan: queries.SearchPlan, dialect: Dialect) -> tuple[str, list[Any]]:
    """The search as one statement returning every match (id, bm25 score, start; the caller picks the page): one
    CTE per AND group (each matches anywhere in the call, so "refund policy" finds a call where the customer said
    one word and the agent the other), intersected, minus excluded calls."""
    params: list[Any] = []
    ctes = []
    speaker = _speaker_expression(plan)
    groups = [
        f"({' OR '.join(atom.fts5('text') for atom in group)})" + (f" AND {speaker}" if speaker else "")
        for group in plan.parsed.all_of
    ]
    excluded = " OR ".join(atom.fts5("text") for atom in plan.parsed.none_of)
    for index, expression in enumerate(groups):
        ctes.append(
            f"g{index} AS (SELECT rowid >> {SLOT_BITS} AS call_id, min(rank) AS score "
            "FROM call_text WHERE call_text MATCH ? GROUP BY 1)"
        )
        params.append(expression)
    if excluded:
        ctes.append(f"nx AS (SELECT DISTINCT rowid >> {SLOT_BITS} AS call_id FROM call_text WHERE call_text MATCH ?)")
        params.append(excluded)
    if speaker and not groups:
        ctes.append(f"sp AS (SELECT DISTINCT rowid >> {SLOT_BITS} AS call_id FROM call_text WHERE call_text MATCH ?)")
        params.append(speaker)

    source, score, conditions, filter_params = search_frame(plan, dialect, speaker=bool(speaker))
    with_ctes = f"WITH {', '.join(ctes)} " if ctes else ""
    # Every match, unsorted: the page is picked in Python (a top-N heap), which costs far less than SQLite's window
    # count and full sort over thousands of matches.
    return f"{with_ctes}SELECT c.id, {score} AS score, c.started_at FROM {source}{conditions}", params + filter_params
