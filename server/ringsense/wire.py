"""The base of every wire model: camelCase aliases, unknown fields kept."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["Paging", "WireModel"]


class WireModel(BaseModel):
    """Base for everything parsed off the wire: camelCase aliases, unknown fields kept."""

    # defer_build: a model's validator is built on first use, not at import: nothing parses a response before the
    # first tool call, and building them all was a tenth of what this server added to its start-up.
    model_config = ConfigDict(extra="allow", populate_by_name=True, alias_generator=to_camel, defer_build=True)


class Paging(WireModel):
    page: int | None = None
    per_page: int | None = None
    page_start: int | None = None
    page_end: int | None = None
    total_pages: int | None = None
    total_elements: int | None = None
