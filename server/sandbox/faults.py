"""Fault injection: make the next request(s) to a path fail the way real networks and gateways fail.

A fault is chosen before normal handling, so a faulted request neither consumes a token nor counts against a
rate limit; it is still logged. Connection-level faults behave differently by transport:

* served by ``serve_sandbox``/``run_sandbox`` (uvicorn), the socket really closes — before any byte for
  ``drop_connection``, after the headers and half the body for ``reset_mid_body``;
* in-process through ``httpx.ASGITransport`` there is no socket, so the app raises the ``httpx`` transport
  error a real socket would have produced (``RemoteProtocolError`` / ``ReadError``); ``ASGITransport``
  re-raises it to the caller.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any

import anyio
import httpx
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from server.sandbox.errors import JSON, default_error_body

# Set by the sandbox's uvicorn protocol (serve.py): closes the client's socket after flushing.
CLOSE_CONNECTION_SCOPE_KEY = "ringsense.sandbox.close_connection"

_HTML_BODY = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_MALFORMED_BODY = b'{"records": [ {"title": "Call from +16505550100"  "domain": "pbx"} ]'
_TRUNCATED_BODY = b'{"title": "Call from +16505550100 to Sales", "domain": "pbx", "insights": {"Transcript": [{"sp'
_RESET_BODY = json.dumps(
    {
        "title": "Call from +16505550100 to Sales",
        "domain": "pbx",
        "insights": {"Summary": [{"value": "The connection is reset halfway through this body.", "start": 0}]},
    }
).encode()


class FaultKind(StrEnum):
    STATUS = "status"
    DELAY = "delay"
    MALFORMED_JSON = "malformed_json"
    TRUNCATED_JSON = "truncated_json"
    HTML_ERROR = "html_error"
    EMPTY_BODY = "empty_body"
    JSON = "json"
    DROP_CONNECTION = "drop_connection"
    RESET_MID_BODY = "reset_mid_body"
    OVERSIZED_BODY = "oversized_body"


@dataclass(frozen=True)
class Fault:
    """What to do instead of (or, for ``delay``, before) answering normally. Build one with a constructor."""

    kind: FaultKind
    http_status: int = 200
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    size: int = 0  # oversized_body: bytes to send
    declare_length: bool = False  # oversized_body: announce `size` in Content-Length (else stream it chunked)

    @classmethod
    def status(cls, code: int, body: JSON | None = None, headers: Mapping[str, str] | None = None) -> Fault:
        """Answer ``code``; the body defaults to the RingCentral error body for that status and path."""
        return cls(FaultKind.STATUS, code, body, tuple((headers or {}).items()))

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait ``seconds`` (real time), then answer normally."""
        return cls(FaultKind.DELAY, seconds=seconds)

    @classmethod
    def malformed_json(cls, status: int = 200) -> Fault:
        """``application/json`` whose body is not JSON."""
        return cls(FaultKind.MALFORMED_JSON, status)

    @classmethod
    def truncated_json(cls) -> Fault:
        """A complete HTTP 200 whose JSON body stops halfway."""
        return cls(FaultKind.TRUNCATED_JSON, 200)

    @classmethod
    def html_error(cls, status: int = 502) -> Fault:
        """A load balancer's HTML error page."""
        return cls(FaultKind.HTML_ERROR, status)

    @classmethod
    def empty_body(cls, status: int = 200) -> Fault:
        """``application/json`` with ``Content-Length: 0``."""
        return cls(FaultKind.EMPTY_BODY, status)

    @classmethod
    def json(cls, status: int, body: Any) -> Fault:
        """Any JSON body, e.g. a 200 of the wrong shape."""
        return cls(FaultKind.JSON, status, body)

    @classmethod
    def drop_connection(cls) -> Fault:
        """Close the connection without sending a byte."""
        return cls(FaultKind.DROP_CONNECTION, 0)

    @classmethod
    def oversized_body(cls, size: int, *, declare_length: bool = False) -> Fault:
        """A 200 JSON body that runs to ``size`` bytes, sent in chunks (a misbehaving upstream or a hostile
        proxy). Without ``declare_length`` it is chunked, so only reading it tells its size. Sending stops early
        when the client hangs up, so a client that stops reading is never fed the rest."""
        if size < 1:
            raise ValueError("size must be at least 1 byte")
        return cls(FaultKind.OVERSIZED_BODY, 200, size=size, declare_length=declare_length)

    @classmethod
    def reset_mid_body(cls) -> Fault:
        """Send the headers and part of the body, then kill the connection."""
        return cls(FaultKind.RESET_MID_BODY, 200)


@dataclass
class _ArmedFault:
    path_glob: str
    fault: Fault
    remaining: int | None
    method: str | None


class FaultInjector:
    """Faults armed on request paths; several on one path fire in the order they were injected."""

    def __init__(self) -> None:
        self._armed: list[_ArmedFault] = []

    def inject(self, path_glob: str, fault: Fault, *, times: int | None = 1, method: str | None = None) -> None:
        """Arm ``fault`` for the next ``times`` requests whose path matches ``path_glob`` (``fnmatch``; ``*``
        also crosses ``/``). ``times=None`` keeps it until ``clear()``. ``method`` narrows it to one verb."""
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        self._armed.append(_ArmedFault(path_glob, fault, times, method.upper() if method else None))

    def clear(self) -> None:
        self._armed.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any, using up one of its ``times``."""
        for armed in self._armed:
            if armed.method not in (None, method.upper()) or not fnmatchcase(path, armed.path_glob):
                continue
            if armed.remaining is not None:
                armed.remaining -= 1
                if armed.remaining == 0:
                    self._armed.remove(armed)
            return armed.fault
        return None


async def _respond(send: Send, status: int, body: bytes, content_type: str, headers: list[tuple[bytes, bytes]]) -> None:
    raw = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _close_connection(scope: Scope, receive: Receive, error: httpx.TransportError) -> None:
    close = scope.get(CLOSE_CONNECTION_SCOPE_KEY)
    if close is None:
        raise error
    close()
    # Wait until the server notices the closed socket, so it does not answer a 500 on our behalf.
    with anyio.fail_after(5):
        message: Message = {"type": ""}
        while message["type"] != "http.disconnect":
            message = await receive()


def _client_request(scope: Scope) -> httpx.Request:
    request = Request(scope)
    return httpx.Request(request.method, str(request.url))


async def play_fault(
    fault: Fault, scope: Scope, receive: Receive, send: Send, headers: list[tuple[bytes, bytes]]
) -> None:
    """Answer with ``fault`` (any kind but ``delay``), adding ``headers`` to whatever response it sends."""
    status = fault.http_status
    match fault.kind:
        case FaultKind.STATUS:
            path = scope["path"]
            body = fault.body if fault.body is not None else default_error_body(status, path)
            extra = [(k.encode(), v.encode()) for k, v in fault.headers]
            await _respond(send, status, json.dumps(body).encode(), "application/json", headers + extra)
        case FaultKind.JSON:
            await _respond(send, status, json.dumps(fault.body).encode(), "application/json", headers)
        case FaultKind.MALFORMED_JSON:
            await _respond(send, status, _MALFORMED_BODY, "application/json", headers)
        case FaultKind.TRUNCATED_JSON:
            await _respond(send, status, _TRUNCATED_BODY, "application/json", headers)
        case FaultKind.EMPTY_BODY:
            await _respond(send, status, b"", "application/json", headers)
        case FaultKind.HTML_ERROR:
            reason = httpx.codes.get_reason_phrase(status) or "Error"
            page = _HTML_BODY.format(status=status, reason=reason).encode()
            await _respond(send, status, page, "text/html", headers)
        case FaultKind.DROP_CONNECTION:
            error = httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=_client_request(scope)
            )
            await _close_connection(scope, receive, error)
        case FaultKind.RESET_MID_BODY:
            raw = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_RESET_BODY)).encode()),
                *headers,
            ]
            await send({"type": "http.response.start", "status": status, "headers": raw})
            await send({"type": "http.response.body", "body": _RESET_BODY[: len(_RESET_BODY) // 2], "more_body": True})
            await _close_connection(
                scope, receive, httpx.ReadError("Connection reset by peer", request=_client_request(scope))
            )
        case FaultKind.OVERSIZED_BODY:
            await _send_oversized(fault, receive, send, headers)
        case FaultKind.DELAY:
            raise ValueError("a delay is not an answer; the middleware sleeps and then answers normally")


_OVERSIZED_CHUNK = 64 * 1024


async def _send_oversized(fault: Fault, receive: Receive, send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    raw = [(b"content-type", b"application/json"), *headers]
    if fault.declare_length:
        raw.append((b"content-length", str(fault.size).encode()))
    prefix = b'{"title": "An answer that never ends", "domain": "pbx", "padding": "'
    filler = b"x" * _OVERSIZED_CHUNK
    await send({"type": "http.response.start", "status": fault.http_status, "headers": raw})

    async def until_hang_up(scope: anyio.CancelScope) -> None:
        message: Message = {"type": ""}
        while message["type"] != "http.disconnect":
            message = await receive()
        scope.cancel()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(until_hang_up, tasks.cancel_scope)
        sent = 0
        while sent < fault.size:
            chunk = (prefix if sent == 0 else filler)[: fault.size - sent]
            sent += len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": sent < fault.size})
        tasks.cancel_scope.cancel()
