"""``POST /restapi/oauth/wstoken`` and the WebSocket gateway endpoint it points at (reference §2.5).

Every WebSocket message is a JSON array ``[meta, body?]``. The gateway sends ``ConnectionDetails`` first,
answers ``ClientRequest``s (subscription create/read/update/delete) with the same ``messageId``, echoes
``Heartbeat``s, pushes ``ServerNotification``s, and reports failures as ``Error`` messages with a
``{errorCode, message}`` body. Protocol ping/pong is uvicorn's (the server pings; ``websockets`` pongs).
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from server.sandbox.errors import api_error, legacy_body
from server.sandbox.guards import authorize, platform_of
from server.sandbox.middleware import redact_query
from server.sandbox.platform import LoggedRequest, SandboxPlatform
from server.sandbox.push import JSON, Connection, PushHub, WsRefused, WsSession

WS_PATH = "/ws"
WS_SCOPE = "WebSocketsSubscription"
RINGSENSE_SCOPE = "RingSense"
_SUBSCRIPTION_PATH = re.compile(r"^/restapi/v1\.0/subscription/?(?P<id>[^/?]*)$")
# Close codes: 1000 normal, 1008 policy (a refused token), 1011 server-side failure.
_POLICY_VIOLATION = 1008


def _scope_required(scope: str) -> Exception:
    message = f"In order to call this API endpoint, application needs to have [{scope}] permission"
    return api_error(403, "CMN-401", message, permissionName=scope)


async def ws_token(request: Request) -> Response:
    """A single-use ws access token (Auth rate group, per user and app) and the gateway's ``uri``."""
    platform = platform_of(request)
    caller = authorize(request, "Auth")
    if WS_SCOPE not in platform.app_scopes:
        raise _scope_required(WS_SCOPE)
    token, expires_in = platform.push.issue_token(caller.user, caller.session_id)
    uri = platform.push.websocket_url or str(
        request.base_url.replace(scheme="ws" if request.url.scheme == "http" else "wss", path=WS_PATH)
    )
    return JSONResponse({"ws_access_token": token, "uri": uri, "expires_in": expires_in})


def _meta(kind: str, message_id: str | None = None, status: int = 200, **extra: Any) -> JSON:
    return {
        "type": kind,
        "messageId": message_id or str(uuid.uuid4()),
        "status": status,
        "headers": {"RCRequestId": str(uuid.uuid4()), **extra.pop("headers", {})},
        **extra,
    }


def error_message(status: int, body: JSON, message_id: str | None = None) -> list[Any]:
    return [_meta("Error", message_id, status), body]


class _Gateway:
    """One open connection: reads client messages, writes the outbox, enforces the timeouts."""

    def __init__(self, websocket: WebSocket, platform: SandboxPlatform, session: WsSession, connection: Connection):
        self.websocket = websocket
        self.platform = platform
        self.hub: PushHub = platform.push
        self.session = session
        self.connection = connection
        self.last_activity = anyio.current_time()
        self.rest_base = str(websocket.base_url.replace(scheme="http", path="")).rstrip("/")

    def send(self, message: JSON | list[Any], sequence: int = 0) -> None:
        self.hub.enqueue(self.session, self.connection, sequence, message)

    def close(self, code: int, reason: str, error: tuple[int, str, str] | None = None) -> None:
        if error is not None:
            status, error_code, text = error
            self.send(error_message(status, {"errorCode": error_code, "message": text}))
        self.connection.close_reason = self.connection.close_reason or (code, reason)
        self.send([{"type": "_close"}])  # the writer closes once everything before it is written

    async def run(self) -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self._read)
            tasks.start_soon(self._write)
            tasks.start_soon(self._timeouts)
            await self.connection.closed.wait()
            tasks.cancel_scope.cancel()

    async def _write(self) -> None:
        async for sequence, message in self.connection.receive:
            if isinstance(message, list) and message and message[0].get("type") == "_close":
                break
            try:
                await self.websocket.send_text(message if isinstance(message, str) else json.dumps(message))
            except (RuntimeError, OSError, WebSocketDisconnect):
                break  # the client is gone (uvicorn's ClientDisconnected is an OSError)
            if sequence:
                if self.connection.drop_after_next_notification:
                    self.connection.close_reason = (1011, "connection lost")
                    break
                self.session.delivered = max(self.session.delivered, sequence)
        self.connection.closed.set()

    async def _timeouts(self) -> None:
        settings = self.hub.settings
        with anyio.move_on_after(settings.absolute_timeout) as absolute:
            while True:
                idle_left = self.last_activity + settings.idle_timeout - anyio.current_time()
                if idle_left <= 0:
                    self.close(1000, "idle timeout", (408, "WSG-902", "Idle timeout expired"))
                    return
                await anyio.sleep(idle_left)
        if absolute.cancelled_caught:
            self.close(1000, "absolute timeout", (408, "WSG-903", "Absolute timeout expired"))

    async def _read(self) -> None:
        try:
            while True:
                text = await self.websocket.receive_text()
                self.last_activity = anyio.current_time()
                self._handle(text)
        except (WebSocketDisconnect, RuntimeError, KeyError):
            # KeyError/RuntimeError: a binary frame or a receive after the close (Starlette's own checks)
            self.connection.close_reason = self.connection.close_reason or (1000, "client closed")
            self.connection.closed.set()

    def _handle(self, text: str) -> None:
        try:
            message = json.loads(text)
            meta = message[0]
            kind = meta["type"]
        except (ValueError, LookupError, TypeError):
            # Assumed code: the gateway's answer to a message it cannot parse is not published.
            self.send(error_message(400, {"errorCode": "WSG-400", "message": "Message cannot be parsed"}))
            return
        message_id = meta.get("messageId") if isinstance(meta.get("messageId"), str) else None
        if kind == "Heartbeat":
            self.send([_meta("Heartbeat", message_id)])
        elif kind == "ClientRequest":
            body = message[1] if len(message) > 1 else None
            self.send(self._request(meta, body, message_id))
        else:
            self.send(error_message(400, {"errorCode": "WSG-400", "message": f"Unsupported message type [{kind}]"}))

    def _request(self, meta: JSON, body: Any, message_id: str | None) -> list[Any]:
        method = str(meta.get("method", "")).upper()
        match = _SUBSCRIPTION_PATH.match(str(meta.get("path", "")).split("?")[0])
        if match is None:
            return [
                _meta("ClientRequest", message_id, 404),
                {"errorCode": "AGW-404", "message": "Resource not found", "errors": []},
            ]
        subscription_id = match["id"]
        current = self.session.subscription
        try:
            if method == "POST" and not subscription_id:
                self._subscribe(body, None)
            elif subscription_id and (current is None or current.id != subscription_id):
                return self._reply_error(
                    message_id,
                    404,
                    "CMN-102",
                    "Resource for parameter [subscriptionId] is not found",
                    parameterName="subscriptionId",
                )
            elif method == "GET" and subscription_id:
                pass
            elif method == "PUT" and subscription_id:
                self._subscribe(body, subscription_id)
            elif method == "DELETE" and subscription_id:
                self.session.subscription = None
                return [_meta("ClientRequest", message_id, 204)]
            else:
                return self._reply_error(message_id, 405, "AGW-405", "Method not allowed")
        except WsRefused as refused:
            return [_meta("ClientRequest", message_id, refused.status), legacy_body(**_split(refused.body))]
        info = self.hub.subscription_info(self.session, self.rest_base)
        headers = {"Content-Type": "application/json", "WSG-SubscriptionId": info["id"]}
        return [_meta("ClientRequest", message_id, 200, headers=headers), info]

    def _subscribe(self, body: Any, subscription_id: str | None) -> None:
        if not isinstance(body, dict):
            raise WsRefused(400, "CMN-101", "Parameter [eventFilters] value is invalid", parameterName="eventFilters")
        filters = body.get("eventFilters")
        if not isinstance(filters, list) or not filters:
            raise WsRefused(400, "SUB-508", "Invalid event filters", parameterName="eventFilters")
        transport = (
            (body.get("deliveryMode") or {}).get("transportType")
            if isinstance(body.get("deliveryMode"), dict)
            else None
        )
        if transport != "WebSocket":
            raise WsRefused(
                400,
                "CMN-101",
                "Parameter [deliveryMode.transportType] value is invalid",
                parameterName="deliveryMode.transportType",
            )
        if RINGSENSE_SCOPE not in self.platform.app_scopes:
            raise WsRefused(
                403,
                "CMN-401",
                f"In order to call this API endpoint, application needs to have [{RINGSENSE_SCOPE}] permission",
                permissionName=RINGSENSE_SCOPE,
            )
        self.hub.subscribe(self.session, filters, subscription_id)

    @staticmethod
    def _reply_error(message_id: str | None, status: int, code: str, text: str, **extra: Any) -> list[Any]:
        return [_meta("ClientRequest", message_id, status), legacy_body(code, text, **extra)]


def _split(body: JSON) -> JSON:
    extra = {k: v for k, v in body.items() if k not in ("errorCode", "message")}
    return {"code": body["errorCode"], "message": body["message"], **extra}


def _connection_details(hub: PushHub, session: WsSession, recovery: JSON) -> list[Any]:
    settings = hub.settings
    meta = _meta("ConnectionDetails", wsc={"token": session.wsc_token, "sequence": session.next_sequence()})
    body = {
        "creationTime": hub.now_iso(),
        "maxConnectionsPerSession": settings.max_connections_per_session,
        "recoveryBufferSize": settings.recovery_buffer_size,
        "recoveryTimeout": round(settings.recovery_timeout),
        "idleTimeout": round(settings.idle_timeout),
        "absoluteTimeout": round(settings.absolute_timeout),
        "maxActiveRequests": settings.max_active_requests,
        **recovery,
    }
    return [meta, body]


async def websocket_endpoint(websocket: WebSocket) -> None:
    platform: SandboxPlatform = websocket.app.state.platform
    hub = platform.push
    query = websocket.scope.get("query_string", b"").decode("latin-1")
    platform.requests.append(LoggedRequest("GET", WS_PATH, redact_query(query), None, 101, None))
    await websocket.accept()
    try:
        grant = hub.redeem(websocket.query_params.get("access_token"))
    except WsRefused as refused:
        await websocket.send_text(json.dumps(error_message(refused.status, refused.body)))
        await websocket.close(_POLICY_VIOLATION)
        return
    fault = hub.connection_faults.popleft() if hub.connection_faults else None
    if fault == "silent":  # hold the connection open without a word until the client gives up
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            while True:
                await websocket.receive_text()
        return
    if fault == "error":
        body = {"errorCode": "WSG-500", "message": "Internal error"}
        await websocket.send_text(json.dumps(error_message(500, body)))
        await websocket.close(1011)
        return
    if fault == "garbage":  # a broken node in front of the gateway: no session is touched
        await websocket.send_text("<html>502 Bad Gateway</html>")
        await websocket.close(1011)
        return
    session, connection, recovery = hub.attach(grant, websocket.query_params.get("wsc"))
    gateway = _Gateway(websocket, platform, session, connection)
    gateway.send(_connection_details(hub, session, recovery))
    if recovery.get("recoveryState") == "Successful":
        for sequence, message in hub.replay(session):
            gateway.send(message, sequence)
    try:
        await gateway.run()
    finally:
        hub.detach(session, connection)
        code, reason = connection.close_reason or (1000, "")
        with anyio.CancelScope(shield=True):
            try:
                await websocket.close(code, reason)
            except (RuntimeError, OSError, WebSocketDisconnect):
                pass  # the client already closed
