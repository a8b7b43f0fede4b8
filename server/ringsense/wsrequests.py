"""Requests over the WebSocket gateway's socket, and what the subscriber makes of a failed one.

`SocketRequests` sends a ``ClientRequest`` (subscribe, unsubscribe) and waits, bounded, for the frame that
answers it, matched by ``messageId``. `refusal` turns a refused subscription into the client's error tree with
an actionable message; `Refused` and `GatewayError` are the two ways a connection attempt ends early, and
`describe_failure` says what went wrong in words that never quote a URL or a token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .errors import BadRequestError, PermissionDeniedError, RingSenseError
from .wsframes import Frame, FrameError, client_request, new_message_id

__all__ = ["REQUEST_TIMEOUT", "GatewayError", "Refused", "SocketRequests", "describe_failure", "refusal"]

REQUEST_TIMEOUT = 10.0  # a ClientRequest (subscribe) must be answered this soon


class GatewayError(Exception):
    """The gateway broke the protocol or refused the connection; reconnect with backoff."""


class Refused(Exception):
    """The platform refused the subscription or the ws token for a reason a retry soon will not fix."""

    def __init__(self, error: RingSenseError) -> None:
        super().__init__(error.message)
        self.error = error


class SocketRequests:
    """The requests in flight on one subscriber's socket, each waiting for its answering frame.

    `on_sent` is called right after each request goes out (the subscriber times its heartbeats from it).
    """

    def __init__(self, on_sent: Callable[[], None]) -> None:
        self._pending: dict[str, tuple[anyio.Event, list[Frame]]] = {}
        self._on_sent = on_sent

    def resolve(self, frame: Frame) -> bool:
        """Hand `frame` to the request it answers; False when it answers none."""
        waiting = self._pending.get(frame.message_id or "")
        if waiting is None and frame.subscription_id and len(self._pending) == 1:
            # Some gateways do not echo messageId; the official Python SDK matches on the header alone.
            waiting = next(iter(self._pending.values()))
        if waiting is None:
            return False
        event, slot = waiting
        slot.append(frame)
        event.set()
        return True

    def fail_all(self) -> None:
        """Wake every waiting request unanswered (the connection ended)."""
        for event, _ in self._pending.values():
            event.set()
        self._pending.clear()

    async def request(self, ws: ClientConnection, method: str, path: str, body: object = None) -> Frame:
        """Send a ``ClientRequest`` and return its answer; raises `GatewayError` when none comes in time."""
        message_id = new_message_id()
        event, slot = anyio.Event(), list[Frame]()
        self._pending[message_id] = (event, slot)
        try:
            await ws.send(client_request(method, path, body, message_id=message_id))
            self._on_sent()
            with anyio.move_on_after(REQUEST_TIMEOUT):
                await event.wait()
        finally:
            self._pending.pop(message_id, None)
        if not slot:
            raise GatewayError(f"{method} {path} was not answered (timeout or connection lost)")
        return slot[0]


def describe_failure(error: BaseException) -> str:
    """A connection failure in words for the log and the status; never quotes a URL or a token."""
    if isinstance(error, InvalidStatus):
        return f"the gateway answered the upgrade with HTTP {error.response.status_code}"
    if isinstance(error, RingSenseError):
        return error.message
    if isinstance(error, FrameError | GatewayError):
        return str(error)
    if isinstance(error, TimeoutError):
        return "the WebSocket connection could not be opened in time"
    if isinstance(error, ConnectionClosed):
        return "the connection closed during the handshake"
    return type(error).__name__  # never str(error): some websockets errors quote the URL, token included


def refusal(reply: Frame) -> RingSenseError:
    """The error for a refused subscription request, saying which scope or permission to grant."""
    code, message, body = reply.error()
    status = reply.status or 400
    raw_errors = body.get("errors")
    errors: list[Any] = raw_errors if isinstance(raw_errors, list) else []
    permission = body.get("permissionName") or next(
        (e.get("permissionName") for e in errors if isinstance(e, dict) and e.get("permissionName")), None
    )
    detail = f"{code}: {message}" if code else f"HTTP {status}"
    if status == 403 and code == "CMN-401":
        text = (
            f"RingCentral refused the RingSense event subscription ({detail}): the app lacks the [{permission}] "
            "scope. Add it to the app in the RingCentral developer console."
        )
        return PermissionDeniedError(text, status=status, error_code=code)
    if status == 403:
        text = (
            f"RingCentral refused the RingSense event subscription ({detail}): the user needs the "
            f"[{permission or 'ReadCompanyCallRecording'}] permission. RingSense event filters need "
            "ReadCompanyCallRecording, not only access to insights; ask an admin to grant it. The subscriber "
            "retries on its own."
        )
        return PermissionDeniedError(text, status=status, error_code=code)
    text = f"RingCentral refused the RingSense event subscription ({detail})."
    return BadRequestError(text, status=status, error_code=code)
