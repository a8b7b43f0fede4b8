"""Push notifications over the WebSocket gateway (reference §2.5): ws tokens, WSG sessions, subscriptions,
the recovery buffer and fan-out of RingSense events.

This module holds state and rules only; ``server.sandbox.websocket`` speaks the wire protocol. A *session* is
what a ``wsc`` token names: it outlives one connection by the recovery window, keeps the one subscription, and
buffers the notifications a detached client missed. Time comes from the platform's clock (token expiry, the
recovery window); the idle and absolute timeouts are real-time durations that tests scale down.
"""

from __future__ import annotations

import math
import re
import secrets
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from server.sandbox.samples import SandboxUser

JSON = dict[str, Any]

INSIGHTS_FILTER = re.compile(
    r"^/ai/ringsense/v1/public/accounts/(?P<account>[^/]+)/domains/(?P<domain>[^/]+)/insights$"
)
FILTER_PERMISSION = "ReadCompanyCallRecording"  # reference §2.1: the event filter needs it, not only the insights one
OUTBOX_SIZE = 1000  # messages queued for one connection before it counts as too slow and is dropped


@dataclass(frozen=True)
class PushSettings:
    """Gateway limits, as ``ConnectionDetails`` announces them. Tests shrink the durations (seconds)."""

    ws_token_ttl: float = 30
    idle_timeout: float = 1800
    absolute_timeout: float = 86400
    recovery_timeout: float = 180
    recovery_buffer_size: int = 100
    max_connections_per_session: int = 50
    max_active_requests: int = 10


class WsRefused(Exception):
    """A connection or request the gateway refuses: ``status`` plus a RingCentral ``errorCode``/``message``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.body: JSON = {"errorCode": code, "message": message, **extra}


@dataclass
class _WsToken:
    user: SandboxUser
    oauth_session_id: str
    expires_at: float
    used: bool = False


@dataclass(frozen=True)
class WsGrant:
    """Who a redeemed ws token belongs to."""

    user: SandboxUser
    oauth_session_id: str


@dataclass
class Subscription:
    id: str
    event_filters: list[str]  # as the client sent them
    domains: frozenset[str]
    created_at: float


@dataclass
class Connection:
    """One open WebSocket: a bounded outbox of serialised messages the endpoint writes in order."""

    send: MemoryObjectSendStream[tuple[int, JSON | list[Any] | str]]
    receive: MemoryObjectReceiveStream[tuple[int, JSON | list[Any] | str]]
    closed: anyio.Event = field(default_factory=anyio.Event)
    close_reason: tuple[int, str] | None = None  # (code, reason) the endpoint closes with
    drop_after_next_notification: bool = False


@dataclass
class WsSession:
    """What a ``wsc`` token names; survives reconnects within the recovery window."""

    wsc_token: str
    user: SandboxUser
    oauth_session_id: str
    sequence: int = 0
    delivered: int = 0  # highest sequence written to a socket
    subscription: Subscription | None = None
    buffer: deque[tuple[int, list[Any]]] = field(default_factory=deque)
    connection: Connection | None = None
    detached_at: float | None = None

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence


def iso_now(clock: Callable[[], float]) -> str:
    return datetime.fromtimestamp(clock(), UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class PushHub:
    """All WebSocket-gateway state of one sandbox platform."""

    def __init__(self, *, clock: Callable[[], float], account_id: Callable[[], str], settings: PushSettings) -> None:
        self._clock = clock
        self._account_id = account_id
        self.settings = settings
        self._tokens: dict[str, _WsToken] = {}
        self._sessions: dict[str, WsSession] = {}
        self._changed = anyio.Event()
        self.websocket_url: str | None = None  # where a real listener serves /ws (set by serve_sandbox)
        self.connection_faults: deque[str] = deque()  # see fail_next_connection

    def now_iso(self) -> str:
        return iso_now(self._clock)

    # -- ws tokens --------------------------------------------------------------------------------------

    def issue_token(self, user: SandboxUser, oauth_session_id: str) -> tuple[str, int]:
        """A single-use ws access token and its lifetime in whole seconds."""
        token = secrets.token_urlsafe(40)
        self._tokens[token] = _WsToken(user, oauth_session_id, self._clock() + self.settings.ws_token_ttl)
        return token, math.ceil(self.settings.ws_token_ttl)

    def issued_tokens(self) -> list[str]:
        """Every ws token issued so far (tests check that none leaks)."""
        return list(self._tokens)

    def redeem(self, token: str | None) -> WsGrant:
        """Use a ws token up; raises ``WsRefused`` (401) for a missing, unknown, reused or expired one."""
        # The codes are the REST gateway's for the same conditions; the WSG's own are not published.
        record = self._tokens.get(token or "")
        if record is None:
            raise WsRefused(401, "OAU-149", "Unparsable access token")
        if record.used:
            raise WsRefused(401, "OAU-213", "Token not found")
        if self._clock() >= record.expires_at:
            raise WsRefused(401, "OAU-128", "Access token expired")
        record.used = True
        return WsGrant(record.user, record.oauth_session_id)

    # -- sessions ---------------------------------------------------------------------------------------

    def attach(self, grant: WsGrant, wsc: str | None) -> tuple[WsSession, Connection, JSON]:
        """Open a connection, recovering the session ``wsc`` names when allowed.

        Returns the session, the connection and the recovery fields of ``ConnectionDetails`` (empty for a
        connection that did not ask to recover).
        """
        send, receive = anyio.create_memory_object_stream[tuple[int, JSON | list[Any] | str]](OUTBOX_SIZE)
        connection = Connection(send, receive)
        recovery: JSON = {}
        session = None
        if wsc is not None:
            session, failure = self._recoverable(grant, wsc)
            recovery = {"recoveryState": "Successful"} if session else {"recoveryState": "Failed", **failure}
        if session is None:
            session = WsSession(secrets.token_urlsafe(24), grant.user, grant.oauth_session_id)
            self._sessions[session.wsc_token] = session
        elif session.connection is not None:  # a client recovering over a connection it thinks is dead
            self._detach_connection(session.connection, (1000, "replaced"))
        session.connection = connection
        session.detached_at = None
        self._notify()
        return session, connection, recovery

    def _recoverable(self, grant: WsGrant, wsc: str) -> tuple[WsSession | None, JSON]:
        # WSG-1003 and WSG-1005 were observed against the real gateway (tylerlong/rc-ws-recover-test); the
        # code for a lapsed window is assumed.
        session = self._sessions.get(wsc)
        if session is None:
            return None, {"recoveryErrorCode": "WSG-1001"}
        if session.oauth_session_id != grant.oauth_session_id:
            return None, {"recoveryErrorCode": "WSG-1003"}
        detached = session.detached_at
        if detached is not None and self._clock() - detached > self.settings.recovery_timeout:
            self._sessions.pop(wsc, None)
            return None, {"recoveryErrorCode": "WSG-1001"}
        if session.subscription is None:
            return None, {"recoveryErrorCode": "WSG-1005"}
        return session, {}

    def detach(self, session: WsSession, connection: Connection) -> None:
        """The connection is gone; the session waits for recovery until its window lapses."""
        if session.connection is connection:
            session.connection = None
            session.detached_at = self._clock()
        connection.send.close()
        self._notify()

    def end(self, session: WsSession) -> None:
        """The client closed cleanly or the session cannot be recovered: forget it."""
        self._sessions.pop(session.wsc_token, None)
        self._notify()

    def replay(self, session: WsSession) -> list[tuple[int, list[Any]]]:
        """Buffered notifications the client has not had yet (the most recent ``recovery_buffer_size``)."""
        return [(seq, message) for seq, message in session.buffer if seq > session.delivered]

    # -- subscriptions ----------------------------------------------------------------------------------

    def subscribe(
        self, session: WsSession, event_filters: list[str], subscription_id: str | None = None
    ) -> Subscription:
        """Create (or, with ``subscription_id``, update) the session's one subscription; validates filters."""
        domains = set()
        for event_filter in event_filters:
            match = INSIGHTS_FILTER.match(event_filter) if isinstance(event_filter, str) else None
            if match is None or match["account"] not in ("~", self._account_id()) or match["domain"] not in _DOMAINS:
                raise WsRefused(400, "SUB-508", "Invalid event filters", parameterName="eventFilters")
            domains.add(match["domain"])
        if not session.user.can_read_company_recordings:
            message = (
                f"In order to call this API endpoint, user needs to have [{FILTER_PERMISSION}] permission for "
                "requested resource."
            )
            raise WsRefused(403, "CMN-408", message, permissionName=FILTER_PERMISSION)
        session.subscription = Subscription(
            subscription_id or str(uuid.uuid4()), list(event_filters), frozenset(domains), self._clock()
        )
        self._notify()
        return session.subscription

    def subscription_info(self, session: WsSession, base_url: str) -> JSON:
        subscription = session.subscription
        assert subscription is not None
        account = self._account_id()
        created = datetime.fromtimestamp(subscription.created_at, UTC)
        expires_in = 86400  # WebSocket subscriptions renew by themselves; the figure is informative only
        return {
            "uri": f"{base_url}/restapi/v1.0/subscription/{subscription.id}",
            "id": subscription.id,
            "creationTime": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "status": "Active",
            "eventFilters": [f.replace("/accounts/~/", f"/accounts/{account}/") for f in subscription.event_filters],
            "expirationTime": datetime.fromtimestamp(subscription.created_at + expires_in, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "expiresIn": expires_in,
            "deliveryMode": {"transportType": "WebSocket", "encryption": False},
        }

    def active_subscriptions(self) -> int:
        """How many sessions hold a subscription and an open connection."""
        return sum(1 for s in self._sessions.values() if s.subscription and s.connection)

    async def wait_until(self, condition: Callable[[PushHub], bool]) -> None:
        """Wait (unbounded: wrap in ``anyio.fail_after``) until ``condition(hub)`` holds."""
        while not condition(self):
            event = self._changed
            await event.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    # -- fan-out ----------------------------------------------------------------------------------------

    def publish(self, domain: str, body: JSON) -> int:
        """Send a RingSense event for ``domain`` to every matching subscription; returns how many matched.

        Detached sessions buffer it for recovery (the newest ``recovery_buffer_size`` only).
        """
        account = self._account_id()
        matched = 0
        for session in list(self._sessions.values()):
            subscription = session.subscription
            if subscription is None or domain not in subscription.domains:
                continue
            matched += 1
            sequence = session.next_sequence()
            message_id = str(uuid.uuid4())
            meta = {
                "type": "ServerNotification",
                "messageId": message_id,
                "status": 200,
                "wsc": {"token": session.wsc_token, "sequence": sequence},
                "headers": {"RCRequestId": str(uuid.uuid4())},
            }
            envelope = {
                "uuid": str(uuid.uuid4().int >> 65),
                "event": f"/ai/ringsense/v1/public/accounts/{account}/domains/{domain}/insights",
                "timestamp": iso_now(self._clock),
                "subscriptionId": subscription.id,
                "ownerId": session.user.extension_id,
                "body": body,
            }
            message = [meta, envelope]
            session.buffer.append((sequence, message))
            while len(session.buffer) > self.settings.recovery_buffer_size:
                session.buffer.popleft()
            if session.connection is not None:
                self.enqueue(session, session.connection, sequence, message)
        return matched

    def enqueue(
        self, session: WsSession, connection: Connection, sequence: int, message: JSON | list[Any] | str
    ) -> None:
        """Queue ``message`` on ``connection``; a connection whose outbox is full is dropped (slow consumer)."""
        try:
            connection.send.send_nowait((sequence, message))
        except (anyio.WouldBlock, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._detach_connection(connection, (1011, "outbox overflow"))

    def _detach_connection(self, connection: Connection, reason: tuple[int, str]) -> None:
        connection.close_reason = connection.close_reason or reason
        connection.closed.set()

    # -- test controls ----------------------------------------------------------------------------------

    def drop_connections(self) -> int:
        """Close every open connection abnormally (code 1011, no Error message): a network drop, as the client
        sees it. Sessions stay recoverable. Returns how many were dropped."""
        dropped = 0
        for session in self._sessions.values():
            if session.connection is not None:
                self._detach_connection(session.connection, (1011, "connection lost"))
                dropped += 1
        return dropped

    def fail_next_connection(self, kind: str) -> None:
        """The next connection misbehaves: ``"silent"`` never sends ConnectionDetails, ``"error"`` sends an Error
        message (WSG-500, assumed code) and closes, ``"garbage"`` sends a non-JSON frame and closes."""
        if kind not in ("silent", "error", "garbage"):
            raise ValueError(f"unknown connection fault {kind!r}")
        self.connection_faults.append(kind)

    def send_raw(self, text: str) -> int:
        """Write ``text`` as-is to every open connection (malformed-frame tests); returns how many."""
        sent = 0
        for session in self._sessions.values():
            if session.connection is not None:
                self.enqueue(session, session.connection, 0, _Raw(text))
                sent += 1
        return sent

    def drop_after_next_notification(self) -> None:
        """Each open connection drops right after writing its next notification, before the gateway counts it
        as delivered, so recovery replays it (at-least-once delivery; clients must de-duplicate)."""
        for session in self._sessions.values():
            if session.connection is not None:
                session.connection.drop_after_next_notification = True


class _Raw(str):
    """A message the gateway writes verbatim instead of serialising it."""


_DOMAINS = frozenset({"pbx", "rcv", "rcx", "nice-incontact", "ms-teams"})
