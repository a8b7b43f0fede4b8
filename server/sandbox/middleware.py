"""The outermost layer: request ids, fault injection and the request log.

It sits outside Starlette's own error middleware, so a connection-level fault is never turned into a 500.
"""

from __future__ import annotations

import uuid
from urllib.parse import unquote_plus

import anyio
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.sandbox.errors import ApiError
from server.sandbox.faults import FaultKind, play_fault
from server.sandbox.oauth import parse_form
from server.sandbox.platform import CONTEXT_SCOPE_KEY, LoggedRequest, RequestContext, SandboxPlatform

TOKEN_PATH = "/restapi/oauth/token"  # noqa: S105 - a URL path, not a secret
REQUEST_ID_HEADER = b"rcrequestid"
# Query parameters whose values never reach the request log.
_SECRET_PARAMETERS = frozenset(
    {"access_token", "refresh_token", "token", "assertion", "client_secret", "jwt", "password", "code", "wsc"}
)


def redact_query(query: str) -> str:
    """The raw query string with the values of credential-like parameters replaced by ``REDACTED``."""
    parts = []
    for part in query.split("&") if query else []:
        key, sep, _ = part.partition("=")
        parts.append(f"{key}{sep}REDACTED" if sep and unquote_plus(key) in _SECRET_PARAMETERS else part)
    return "&".join(parts)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands out the already-read body once, then defers to the real one."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class SandboxMiddleware:
    def __init__(self, app: ASGIApp, platform: SandboxPlatform) -> None:
        self.app = app
        self.platform = platform

    def _context(self, scope: Scope, body: bytes) -> RequestContext:
        context = RequestContext(request_id=str(uuid.uuid4()))
        headers = Headers(scope=scope)
        if scope["path"] == TOKEN_PATH:
            try:
                form = parse_form(body)
            except ApiError:  # a duplicated parameter is the handler's business; the log just has no grant
                form = {}
            context.grant_type = form.get("grant_type")
            if "assertion" in form:
                user = self.platform.user_by_jwt(form["assertion"])
                context.user = user.extension_id if user else None
            elif "refresh_token" in form:
                context.user = self.platform.refresh_token_owner(form["refresh_token"])
        else:
            context.user = self.platform.bearer_owner(headers.get("authorization"))
        return context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        receive = _replaying(body, receive)
        context = self._context(scope, body)
        scope = {**scope, CONTEXT_SCOPE_KEY: context}
        request_id = [(REQUEST_ID_HEADER, context.request_id.encode())]
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = [(k.lower().encode(), v.encode()) for k, v in context.extra_headers.items()]
                message = {**message, "headers": [*message.get("headers", []), *request_id, *extra]}
            await send(message)

        try:
            fault = self.platform.faults.take(scope["method"], scope["path"])
            if fault is not None and fault.kind is not FaultKind.DELAY:
                # Logged as sent even if the connection then dies (reset_mid_body); 0 when nothing was sent.
                status = fault.http_status if fault.kind is not FaultKind.DROP_CONNECTION else 0
                await play_fault(fault, scope, receive, send, request_id)
                return
            if fault is not None:
                await anyio.sleep(fault.seconds)
            await self.app(scope, receive, send_with_headers)
        finally:
            self.platform.requests.append(
                LoggedRequest(
                    method=scope["method"],
                    path=scope["path"],
                    query=redact_query(scope.get("query_string", b"").decode("latin-1")),
                    grant_type=context.grant_type,
                    status=status,
                    user=context.user,
                )
            )
