"""`EventSubscriber`: live RingSense insights over RingCentral's WebSocket gateway, kept up on its own.

```python
async with EventSubscriber(client, domains=["pbx", "rcx"]) as events:
    async for item in events:          # InsightsEvent | Gap
        ...
```

One connection at a time: ws token → connect → ``ConnectionDetails`` → subscribe → read. When the connection
ends it reconnects with bounded, jittered backoff and asks to recover the session with the last ``wsc`` token;
the gateway then replays what it buffered. When recovery fails (or is not attempted because the window has
passed) it subscribes again and yields a `Gap` naming the window in which events may have been lost. It sends
heartbeats, answers pings (``websockets`` does), keeps the REST access token fresh while connected (so a later
recovery stays in the same OAuth session), drops exact repeats, and never logs a token or the connection URL's
query.

The policy lives here. Beside it: `wsframes` (the wire framing), `wsrequests` (requests over the socket and
what a refusal means), `substatus` (the status and backoff values), `wslog` (the redacting wire logger).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

import anyio
from anyio.abc import TaskGroup
from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from .client import RingSenseClient
from .errors import AuthenticationError, BadRequestError, PermissionDeniedError, RingSenseError
from .events import EventItem, Gap, InsightsEvent, RecentKeys
from .params import validate_domain
from .substatus import ALL_DOMAINS, Backoff, SubscriberState, SubscriberStatus
from .wsframes import (
    ConnectionDetails,
    Frame,
    FrameError,
    MessageType,
    Wsc,
    connection_url,
    heartbeat,
    new_message_id,
    parse_frame,
    safe_url,
    subscription_body,
)
from .wslog import wire_log
from .wsrequests import GatewayError, Refused, SocketRequests, describe_failure, refusal

__all__ = ["ALL_DOMAINS", "Backoff", "EventSubscriber", "SubscriberState", "SubscriberStatus"]

HEARTBEAT_INTERVAL = 60.0  # a Heartbeat after this long without sending anything (the idle timeout is 30 min)
PING_INTERVAL = 20.0  # protocol pings; no pong within PING_TIMEOUT means the connection is dead
PING_TIMEOUT = 20.0
OPEN_TIMEOUT = 10.0  # TCP, TLS and the WebSocket upgrade
DETAILS_TIMEOUT = 10.0  # the gateway must send ConnectionDetails this soon after the upgrade
CLOSE_TIMEOUT = 3.0  # aclose() waits this long at most to unsubscribe and close cleanly
TOKEN_KEEPALIVE_INTERVAL = 300.0  # ask the token manager this often while connected; it refreshes when due
REFUSED_RETRY_DELAY = 300.0  # after a refusal (permission, scope, filters) retry this rarely: an admin may fix it
MAX_MESSAGE_BYTES = 8 * 1024 * 1024  # one event holds a whole transcript; a 90-minute call is ~300 KB
QUEUE_SIZE = 1000  # events waiting for the consumer; beyond it the reader waits (the gateway buffers)
RECENT_KEYS = 10_000  # (sourceRecordId, lastModifiedTime) pairs remembered to drop repeats
SUBSCRIPTION_PATH = "/restapi/v1.0/subscription/"
EVENT_FILTER = "/ai/ringsense/v1/public/accounts/~/domains/{domain}/insights"

_log = logging.getLogger("server.ringsense.events")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class EventSubscriber:
    """Async iterator of `InsightsEvent`s (and `Gap` markers) for the chosen RingSense domains.

    Use as ``async with EventSubscriber(client) as events: async for item in events: ...``. The subscriber
    never raises for a connection problem: it logs it, reconnects and, if events may have been lost, yields a
    `Gap`. Iteration ends when the subscriber is closed. `clock`, `now`, `sleep` and `rng` are injectable so
    that tests run in virtual time.

    To take over another process's subscription, pass its last `resume` token (the subscriber then asks the
    gateway to recover that session first) and `lost_since`, when it was last known to have everything: if
    the session cannot be recovered, the first `Gap` runs from there. `keep_session=True` leaves the session
    subscribed at the gateway on close, for the next process to recover. Raises `InvalidIdError` (a
    `ValueError`) for an unknown domain.
    """

    def __init__(
        self,
        client: RingSenseClient,
        *,
        domains: Iterable[str] = ALL_DOMAINS,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        token_keepalive_interval: float = TOKEN_KEEPALIVE_INTERVAL,
        backoff: Backoff | None = None,
        refused_retry_delay: float = REFUSED_RETRY_DELAY,
        details_timeout: float = DETAILS_TIMEOUT,
        queue_size: int = QUEUE_SIZE,
        resume: Wsc | None = None,
        lost_since: datetime | None = None,
        keep_session: bool = False,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utcnow,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._domains = tuple(dict.fromkeys(validate_domain(d) for d in domains))
        if not self._domains:
            raise ValueError("subscribe to at least one domain")
        self._client = client
        self._filters = [EVENT_FILTER.format(domain=d) for d in self._domains]
        self._heartbeat_interval = heartbeat_interval
        self._token_keepalive = token_keepalive_interval
        self._backoff = backoff or Backoff()
        self._refused_retry_delay = refused_retry_delay
        self._details_timeout = details_timeout
        self._clock, self._now, self._sleep, self._rng = clock, now, sleep, rng
        self._send, self._receive = anyio.create_memory_object_stream[EventItem](queue_size)
        self._recent = RecentKeys(RECENT_KEYS)
        self._status = SubscriberStatus(domains=self._domains)
        self._changed = anyio.Event()
        self._wsc: Wsc | None = None
        self._recovery_timeout = ConnectionDetails.recovery_timeout
        self._lost_at: float | None = None  # clock() when the last subscribed connection ended
        self._lost_since: datetime | None = None  # now() of the same moment, for the Gap
        self._subscribed_once = False
        self._subscription_id: str | None = None
        self._last_sent = 0.0
        self._requests = SocketRequests(on_sent=self._note_sent)
        self._ws: ClientConnection | None = None
        self._tasks: TaskGroup | None = None
        self._run_scope = anyio.CancelScope()
        self._closed = False
        self._keep_session = keep_session
        if resume is not None or lost_since is not None:
            # Taking over from another process: recover its session if it left one, else report the gap.
            self._wsc = resume
            self._lost_at, self._lost_since = clock(), lost_since
            self._subscribed_once = True

    # -- public surface --------------------------------------------------------------------------------

    @property
    def status(self) -> SubscriberStatus:
        return self._status

    @property
    def domains(self) -> tuple[str, ...]:
        return self._domains

    @property
    def wsc(self) -> Wsc | None:
        """The session's recovery token as last seen (a secret: store it encrypted, never log it)."""
        return self._wsc

    async def wait_for(self, condition: Callable[[SubscriberStatus], bool]) -> SubscriberStatus:
        """Wait until ``condition(status)`` holds (unbounded: wrap in ``anyio.fail_after``); returns the status."""
        while not condition(self._status):
            event = self._changed
            await event.wait()
        return self._status

    async def __aenter__(self) -> Self:
        self._tasks = anyio.create_task_group()
        await self._tasks.__aenter__()
        self._tasks.start_soon(self._run_until_closed)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
        tasks, self._tasks = self._tasks, None
        if tasks is not None:
            await tasks.__aexit__(exc_type, exc, tb)

    async def aclose(self) -> None:
        """Unsubscribe and close the connection (best effort, bounded) and end the iteration.

        May be called from any task; leaving the ``async with`` block calls it too.
        """
        if self._closed:
            return
        self._closed = True
        if not self._keep_session:
            with anyio.move_on_after(CLOSE_TIMEOUT, shield=True):
                await self._unsubscribe()
        self._run_scope.cancel()
        self._send.close()
        self._update(state=SubscriberState.CLOSED)
        _log.info("event subscription closed")

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> EventItem:
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    # -- the reconnect loop ----------------------------------------------------------------------------

    async def _run_until_closed(self) -> None:
        with self._run_scope:
            await self._run()

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                await self._connection()
                attempt = 0  # a connection that got as far as subscribing resets the backoff
                delay = self._backoff.delay(attempt, self._rng)
            except Refused as refused:
                self._log_refusal(refused.error)
                delay = self._refused_retry_delay
            except (RingSenseError, OSError, WebSocketException, TimeoutError, FrameError, GatewayError) as error:
                self._note_failure(error)
                delay = self._backoff.delay(attempt, self._rng)
                attempt += 1
            self._connection_ended()
            if self._closed:
                return
            await self._sleep(delay)

    def _can_recover(self) -> bool:
        return (
            self._wsc is not None
            and self._lost_at is not None
            and self._clock() - self._lost_at < self._recovery_timeout
        )

    async def _connection(self) -> None:
        try:
            token = await self._client.create_ws_token()
        except (PermissionDeniedError, AuthenticationError, BadRequestError) as error:
            raise Refused(error) from None
        resume = self._wsc.token if self._wsc is not None and self._can_recover() else None
        url = connection_url(token.uri, token.ws_access_token.get_secret_value(), resume)
        _log.info("connecting to %s%s", safe_url(token.uri), " to recover the session" if resume else "")
        async with connect(
            url,
            open_timeout=OPEN_TIMEOUT,
            ping_interval=PING_INTERVAL,
            ping_timeout=PING_TIMEOUT,
            close_timeout=CLOSE_TIMEOUT,
            max_size=MAX_MESSAGE_BYTES,
            user_agent_header="ringsense-mcp/0.1 (python-websockets)",
            logger=wire_log,
        ) as ws:
            await self._session(ws, resumed=resume is not None)

    async def _session(self, ws: ClientConnection, *, resumed: bool) -> None:
        first: Frame | None = None
        with anyio.move_on_after(self._details_timeout):
            first = parse_frame(await ws.recv())
        if first is None:
            raise GatewayError(f"the gateway sent no ConnectionDetails within {self._details_timeout:g} s")
        if first.type == MessageType.ERROR:
            code, message, _ = first.error()
            raise GatewayError(f"the gateway refused the connection ({code}: {message})")
        if first.type != MessageType.CONNECTION_DETAILS:
            raise FrameError(f"the gateway sent {first.type} before ConnectionDetails")
        details = ConnectionDetails.from_body(first.body)
        had_session = self._wsc is not None
        self._wsc = first.wsc or self._wsc
        self._recovery_timeout = details.recovery_timeout
        recovered = resumed and details.recovery_state == "Successful"
        gap_reason = None
        if self._subscribed_once and not recovered:
            if resumed:
                gap_reason = f"session recovery failed ({details.recovery_error_code or 'no error code'})"
            elif not had_session:
                gap_reason = "there was no session to recover"
            else:
                gap_reason = "the session could not be recovered (the recovery window had passed)"
        self._update(connections=self._status.connections + 1)
        self._ws = ws
        closed = anyio.Event()
        failure: BaseException | None = None
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self._read, ws, closed)
            tasks.start_soon(self._heartbeats, ws)
            tasks.start_soon(self._keep_token_fresh)
            try:
                if not recovered:
                    await self._subscribe(ws)
                if gap_reason is not None:
                    await self._emit_gap(gap_reason)
                elif recovered:
                    self._update(recoveries=self._status.recoveries + 1)
                    _log.info("session recovered; missed events are replayed")
                self._subscribed_once = True
                self._lost_at = None
                self._update(state=SubscriberState.SUBSCRIBED, last_error=None)
                await closed.wait()
            except Exception as error:  # re-raised below, outside the task group (no exception groups)
                failure = error
            finally:
                self._ws = None
                tasks.cancel_scope.cancel()
        if failure is not None:
            raise failure

    def _connection_ended(self) -> None:
        if self._status.state == SubscriberState.SUBSCRIBED:
            self._lost_at, self._lost_since = self._clock(), self._now()
        if self._status.state != SubscriberState.REFUSED:
            self._update(state=SubscriberState.RECONNECTING)
        self._requests.fail_all()

    async def _emit_gap(self, reason: str) -> None:
        since = self._lost_since or self._now()
        gap = Gap(since=since, until=self._now(), reason=reason)
        _log.warning("events may have been missed between %s and %s: %s", gap.since, gap.until, reason)
        self._update(gaps=self._status.gaps + 1)
        await self._send.send(gap)

    # -- reading ---------------------------------------------------------------------------------------

    async def _read(self, ws: ClientConnection, closed: anyio.Event) -> None:
        try:
            async for data in ws:
                try:
                    frame = parse_frame(data)
                except FrameError as error:
                    self._update(malformed=self._status.malformed + 1)
                    _log.warning("ignored a malformed message from the gateway: %s", error)
                    continue
                if frame.wsc is not None and (self._wsc is None or frame.wsc.sequence >= self._wsc.sequence):
                    self._wsc = frame.wsc
                await self._dispatch(frame)
            _log.info("the gateway closed the connection (code %s)", ws.close_code)
        except ConnectionClosed as error:
            code = error.rcvd.code if error.rcvd is not None else None
            _log.info("the connection to the gateway was lost (close code %s)", code)
        finally:
            closed.set()

    async def _dispatch(self, frame: Frame) -> None:
        if frame.type == MessageType.SERVER_NOTIFICATION:
            await self._deliver(frame)
        elif frame.type in (MessageType.CLIENT_REQUEST, MessageType.ERROR) and self._requests.resolve(frame):
            return
        elif frame.type == MessageType.ERROR:
            code, message, _ = frame.error()
            _log.warning("the gateway reported %s: %s", code, message)
            self._update(last_error=f"{code}: {message}")
        elif frame.type == MessageType.HEARTBEAT:
            self._update(heartbeats_answered=self._status.heartbeats_answered + 1)
        else:
            _log.debug("ignored a %s message", frame.type)

    async def _deliver(self, frame: Frame) -> None:
        try:
            event = InsightsEvent.model_validate(frame.body)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            self._update(malformed=self._status.malformed + 1)
            _log.warning("skipped an event whose body could not be parsed (%s: %s)", where, first["type"])
            return
        if self._recent.seen(event.key):
            self._update(duplicates=self._status.duplicates + 1)
            return
        await self._send.send(event)
        self._update(events=self._status.events + 1)

    # -- the subscription ------------------------------------------------------------------------------

    async def _subscribe(self, ws: ClientConnection) -> None:
        reply = await self._requests.request(ws, "POST", SUBSCRIPTION_PATH, subscription_body(self._filters))
        if not reply.is_success:
            raise Refused(refusal(reply))
        self._subscription_id = reply.subscription_id
        _log.info("subscribed to RingSense events for %s", ", ".join(self._domains))

    async def _unsubscribe(self) -> None:
        ws, subscription_id = self._ws, self._subscription_id
        if ws is None or subscription_id is None:
            return
        try:
            await self._requests.request(ws, "DELETE", f"{SUBSCRIPTION_PATH}{subscription_id}")
            await ws.close(1000)
        except (OSError, WebSocketException, TimeoutError, GatewayError):
            pass  # best effort: the gateway forgets the subscription with the session anyway

    # -- background duties while connected -------------------------------------------------------------

    async def _heartbeats(self, ws: ClientConnection) -> None:
        self._last_sent = self._clock()
        try:
            while True:
                due = self._last_sent + self._heartbeat_interval - self._clock()
                if due > 0:
                    await self._sleep(due)
                    continue
                await ws.send(heartbeat(new_message_id()))
                self._last_sent = self._clock()
        except (ConnectionClosed, OSError):
            return  # the reader notices and reports the closed connection

    async def _keep_token_fresh(self) -> None:
        while True:
            await self._sleep(self._token_keepalive)
            try:
                await self._client.refresh_token_if_due()
            except RingSenseError as error:
                _log.warning("could not refresh the access token while connected (%s)", type(error).__name__)

    # -- bookkeeping -----------------------------------------------------------------------------------

    def _update(self, **changes: object) -> None:
        self._status = replace(self._status, **changes)  # type: ignore[arg-type]
        self._changed.set()
        self._changed = anyio.Event()

    def _note_sent(self) -> None:
        self._last_sent = self._clock()

    def _note_failure(self, error: BaseException) -> None:
        text = describe_failure(error)
        _log.warning("event connection failed: %s; reconnecting", text)
        self._update(last_error=text)

    def _log_refusal(self, error: RingSenseError) -> None:
        first_time = self._status.state != SubscriberState.REFUSED
        (_log.error if first_time else _log.info)("%s", error.message)
        self._update(state=SubscriberState.REFUSED, last_error=error.message)
