"""The WebSocket wire logger, redacted: no token and no connection-URL query ever reaches a log.

``websockets`` logs the request line (query string included, so the ws access token and the ``wsc``
recovery token) at DEBUG, and a logged frame can quote the ``wsc`` token. Hand `wire_log` to
``websockets.connect(logger=...)``; its filter rewrites every record before any handler sees it.
"""

from __future__ import annotations

import logging
import re

__all__ = ["redact", "wire_log"]

_SECRET_QUERY = re.compile(r"((?:access_token|wsc)=)[^&\s'\"]+")
_SECRET_FIELD = re.compile(r'("token":\s*")[^"]*')  # the wsc token inside a logged frame


def redact(text: str) -> str:
    """`text` with the ws access token, the ``wsc`` query value and a frame's ``"token"`` replaced."""
    return _SECRET_FIELD.sub(r"\1REDACTED", _SECRET_QUERY.sub(r"\1REDACTED", text))


class _RedactQuery(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        return True


wire_log = logging.getLogger("server.ringsense.events.wire")
wire_log.addFilter(_RedactQuery())
