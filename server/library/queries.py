"""The backend-neutral halves of the library's queries, in one namespace for the backends.

A backend runs the SQL and hands rows here (``from . import queries``; ``queries.plan_search(...)``), so SQLite
and PostgreSQL answer with the same shapes and the same errors. Each half lives in its own module: `filters`
(argument checks), `search_plan` (search plans, cursors, hits and pages), `next_steps`, `stats` (grouping and
trends), `ranges` (synced ranges and coverage).
"""

from __future__ import annotations

from .filters import (
    EPOCH,
    MAX_RANGE_DAYS,
    check_range,
    like_escape,
    name_words,
    phone_digits,
    spaced_name_words,
)
from .next_steps import group_next_steps, next_step
from .ranges import coverage, merge_ranges, subtract_ranges
from .search_plan import SearchPlan, hit, plan_search, search_page
from .stats import aggregate

__all__ = [
    "EPOCH",
    "MAX_RANGE_DAYS",
    "SearchPlan",
    "aggregate",
    "check_range",
    "coverage",
    "group_next_steps",
    "hit",
    "like_escape",
    "merge_ranges",
    "name_words",
    "next_step",
    "phone_digits",
    "plan_search",
    "search_page",
    "spaced_name_words",
    "subtract_ranges",
]
