"""Framing of RingCentral's WebSocket gateway protocol (reference §2.5), and nothing else.

Every message is a JSON array ``[meta, body?]``; ``meta.type`` is ``ConnectionDetails``, ``ClientRequest``,
``ServerNotification``, ``Heartbeat`` or ``Error``. Parsing is tolerant of the variants the docs, the SDKs and
the gateway show: ``headers`` may be absent and its names are matched case-insensitively, ``wsc`` may ride on
any message, a reply may be recognised by its ``messageId`` or only by a ``WSG-SubscriptionId`` header, an
error may be an ``Error`` message or a ``ClientRequest`` reply with a non-2xx ``status``, and its body may be
``{errorCode, message}`` or the REST ``{errors: [...]}`` shape. Policy (reconnects, recovery) lives in
``subscriber``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic_core import from_json

__all__ = [
    "ConnectionDetails",
    "Frame",
    "FrameError",
    "MessageType",
    "Wsc",
    "client_request",
    "connection_url",
    "heartbeat",
    "parse_frame",
    "safe_url",
]

SUBSCRIPTION_ID_HEADER = "wsg-subscriptionid"


class MessageType(StrEnum):
    CONNECTION_DETAILS = "ConnectionDetails"
    CLIENT_REQUEST = "ClientRequest"
    SERVER_NOTIFICATION = "ServerNotification"
    HEARTBEAT = "Heartbeat"
    ERROR = "Error"


class FrameError(ValueError):
    """A message that is not a ``[meta, body?]`` array with a ``meta.type``. The text never quotes the frame."""


@dataclass(frozen=True)
class Wsc:
    """The session-recovery token and its sequence number. Secret: never log ``token``."""

    token: str = field(repr=False)
    sequence: int


@dataclass(frozen=True)
class ConnectionDetails:
    """The body of ``ConnectionDetails``: the gateway's limits (seconds) and, after a recovery, its outcome."""

    recovery_timeout: float = 180
    idle_timeout: float = 1800
    absolute_timeout: float = 86400
    recovery_buffer_size: int = 100
    recovery_state: str | None = None  # "Successful" | "Failed" | None (no recovery asked)
    recovery_error_code: str | None = None

    @classmethod
    def from_body(cls, body: Any) -> ConnectionDetails:
        data = body if isinstance(body, dict) else {}

        def number(name: str, default: float) -> float:
            value = data.get(name)
            return (
                float(value)
                if isinstance(value, int | float) and not isinstance(value, bool) and value > 0
                else default
            )

        state = data.get("recoveryState")
        code = data.get("recoveryErrorCode")
        return cls(
            recovery_timeout=number("recoveryTimeout", cls.recovery_timeout),
            idle_timeout=number("idleTimeout", cls.idle_timeout),
            absolute_timeout=number("absoluteTimeout", cls.absolute_timeout),
            recovery_buffer_size=int(number("recoveryBufferSize", cls.recovery_buffer_size)),
            recovery_state=state if isinstance(state, str) else None,
            recovery_error_code=code if isinstance(code, str) else None,
        )


@dataclass(frozen=True)
class Frame:
    """One parsed message. ``body`` is whatever JSON followed the meta (``None`` when there was none)."""

    type: str
    message_id: str | None
    status: int | None
    headers: dict[str, str]  # names lower-cased
    wsc: Wsc | None
    body: Any = field(repr=False)
    meta: dict[str, Any] = field(repr=False)  # holds the wsc token

    @property
    def is_success(self) -> bool:
        return self.type != MessageType.ERROR and (self.status is None or 200 <= self.status < 300)

    @property
    def subscription_id(self) -> str | None:
        """The id a subscription reply names: the ``WSG-SubscriptionId`` header, else the body's ``id``."""
        header = self.headers.get(SUBSCRIPTION_ID_HEADER)
        if header:
            return header
        body_id = self.body.get("id") if isinstance(self.body, dict) else None
        return body_id if isinstance(body_id, str) else None

    def error(self) -> tuple[str | None, str | None, dict[str, Any]]:
        """``(errorCode, message, body)`` of a failed reply or an ``Error`` message, whichever shape it has."""
        body = self.body if isinstance(self.body, dict) else {}
        code, message = body.get("errorCode"), body.get("message")
        errors = body.get("errors")
        if (code is None or message is None) and isinstance(errors, list) and errors and isinstance(errors[0], dict):
            code = code or errors[0].get("errorCode")
            message = message or errors[0].get("message")
        return (code if isinstance(code, str) else None, message if isinstance(message, str) else None, body)


def parse_frame(data: str | bytes) -> Frame:
    """Parse one WebSocket message; raises ``FrameError`` when it is not a gateway message.

    Parsed as the client parses REST bodies (pydantic-core), which refuses what is not text: `json.loads` would
    accept an escaped lone surrogate (`"\\ud800"`), a string no UTF-8 writer (a log, the library) can store.
    """
    try:
        message = from_json(data)
    except ValueError:
        raise FrameError(f"a message of {len(data)} characters is not JSON") from None
    if isinstance(message, dict) and "type" in message:
        message = [message]  # a bare meta object: tolerated, some proxies unwrap one-element arrays
    if not isinstance(message, list) or not message or not isinstance(message[0], dict):
        raise FrameError("a message is not a [meta, body] array")
    meta = message[0]
    kind = meta.get("type")
    if not isinstance(kind, str) or not kind:
        raise FrameError("a message has no meta.type")
    raw_headers = meta.get("headers")
    headers = (
        {str(k).lower(): str(v) for k, v in raw_headers.items() if v is not None}
        if isinstance(raw_headers, dict)
        else {}
    )
    status = meta.get("status")
    message_id = meta.get("messageId")
    return Frame(
        type=kind,
        message_id=str(message_id) if isinstance(message_id, str | int) and not isinstance(message_id, bool) else None,
        status=status if isinstance(status, int) and not isinstance(status, bool) else None,
        headers=headers,
        wsc=_wsc(meta.get("wsc")),
        body=message[1] if len(message) > 1 else None,
        meta=meta,
    )


def _wsc(value: Any) -> Wsc | None:
    if not isinstance(value, dict) or not isinstance(value.get("token"), str) or not value["token"]:
        return None
    sequence = value.get("sequence")
    return Wsc(value["token"], sequence if isinstance(sequence, int) and not isinstance(sequence, bool) else 0)


def new_message_id() -> str:
    return str(uuid.uuid4())


def client_request(method: str, path: str, body: Any = None, *, message_id: str) -> str:
    """A ``ClientRequest`` message (REST over the WebSocket), serialised."""
    meta = {"type": MessageType.CLIENT_REQUEST.value, "messageId": message_id, "method": method, "path": path}
    return json.dumps([meta, body] if body is not None else [meta])


def subscription_body(event_filters: list[str]) -> dict[str, Any]:
    return {"eventFilters": event_filters, "deliveryMode": {"transportType": "WebSocket"}}


def heartbeat(message_id: str) -> str:
    return json.dumps([{"type": MessageType.HEARTBEAT.value, "messageId": message_id}])


def connection_url(uri: str, access_token: str, wsc: str | None = None) -> str:
    """``uri?access_token=…[&wsc=…]``. The result carries secrets: log ``safe_url(uri)``, never this."""
    separator = "&" if "?" in uri else "?"
    url = f"{uri}{separator}access_token={quote(access_token, safe='')}"
    return url + (f"&wsc={quote(wsc, safe='')}" if wsc else "")


def safe_url(url: str) -> str:
    """Scheme, host, port and path only: what may appear in a log line."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
