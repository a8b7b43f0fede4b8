"""Reading RingCentral's error bodies and headers, and scrubbing secrets from text: the wire side of
`errors.py`, which turns what is read here into the error classes.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["ErrorBody", "excerpt", "parse_error_body", "parse_retry_after", "scrub"]

# Server-provided text is quoted in messages, shortened so an HTML error page cannot flood a tool result.
_MAX_QUOTED_CHARS = 300
_REDACTED = "[redacted]"
# Secrets shorter than this are not scrubbed: replacing "a" everywhere would garble messages and such a
# value is no credential worth hiding.
_MIN_SECRET_CHARS = 6


@dataclass(frozen=True)
class ErrorBody:
    """What could be read from an error body, whatever shape it had."""

    error_code: str | None = None  # RingCentral errorCode, e.g. "CMN-408"
    message: str | None = None  # RingCentral message or OAuth error_description
    oauth_error: str | None = None  # OAuth "error", e.g. "invalid_grant"
    raw_excerpt: str | None = None  # the start of a non-JSON body (HTML page, garbled text)


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def parse_error_body(body: bytes | str | None) -> ErrorBody:
    """Read an error body in any of RingCentral's shapes; never raises.

    Shapes: `{"errors": [{"errorCode", "message", ...}]}`, the legacy top-level `errorCode`/`message`,
    OAuth `error`/`error_description`, and anything else (HTML, empty, garbled), kept as an excerpt.
    """
    if body is None:
        return ErrorBody()
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if not text.strip():
        return ErrorBody()
    try:
        data = json.loads(text)
    except ValueError:
        return ErrorBody(raw_excerpt=excerpt(text))
    if not isinstance(data, dict):
        return ErrorBody(raw_excerpt=excerpt(text))
    code = message = None
    errors = data.get("errors")
    if isinstance(errors, list):
        first = next((item for item in errors if isinstance(item, dict)), None)
        if first is not None:
            code, message = _text(first.get("errorCode")), _text(first.get("message"))
    code = code or _text(data.get("errorCode"))
    message = message or _text(data.get("message"))
    oauth_error = _text(data.get("error"))
    message = message or _text(data.get("error_description"))
    if code is None and message is None and oauth_error is None:
        return ErrorBody(raw_excerpt=excerpt(text))
    return ErrorBody(error_code=code, message=message, oauth_error=oauth_error)


def excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_QUOTED_CHARS else flat[: _MAX_QUOTED_CHARS - 1] + "…"


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every occurrence of each secret replaced by "[redacted]"."""
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_SECRET_CHARS}, key=len, reverse=True):
        text = text.replace(secret, _REDACTED)
    return text
