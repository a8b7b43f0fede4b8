"""Failures a model should read: what happened and what to do next. No MCP imports here."""

from __future__ import annotations

from server.ringsense.errors import RateLimitedError, RingSenseError


class ToolFailure(Exception):
    """A tool could not do what it was asked; the message says why and what to do next."""


def describe(err: RingSenseError) -> str:
    """One actionable sentence or two for any client error, with the facts support would ask for."""
    facts = []
    if err.status:
        facts.append(f"HTTP {err.status}")
    if err.error_code:
        facts.append(err.error_code)
    if err.request_id:
        facts.append(f"request id {err.request_id}")
    text = str(err.message).rstrip(".") + "."
    if isinstance(err, RateLimitedError) and err.retry_after is not None:
        text += f" retry_after={err.retry_after:g} seconds: wait that long before calling again."
    if facts:
        text += f" ({', '.join(facts)})"
    return text
