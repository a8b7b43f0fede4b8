"""One push-event subscription for all replicas: the lease holder subscribes, every replica reads a Redis stream.

```python
relay = EventRelay(shared.redis, credentials)
holder = SharedSubscription(client, relay, shared.lease("events"))
async with anyio.create_task_group() as tasks:
    tasks.start_soon(holder.run)            # subscribes only while this process holds the lease
    async for item in relay.follow():       # every replica: InsightsEvent | Gap, in order
        ...
```

**Why a stream.** The holder appends each item to a Redis Stream trimmed to about `STREAM_LENGTH` entries. A
stream, unlike pub/sub, keeps what was said: a replica that starts, or loses Redis for a moment, reads on from
the last entry it saw (and a new one fills its recent list from the tail), instead of silently missing events
published while it was not listening. The bound keeps memory flat; a replica away for longer than the stream
holds learns only the newest entries, and the library's catch-up (which works from `Gap`s and the call log) is
what makes the record complete, not the stream.

**Handover.** Beside each item the holder stores a checkpoint, fenced by its lease term (an older term cannot
overwrite a newer one): the gateway session's recovery token (``wsc``), encrypted like the shared token, and
the time up to which it has shared everything. A new holder asks the gateway to recover that session, so the
events the gateway buffered while nobody held the lease arrive at once. RingCentral lets another connection
recover a session only within the same OAuth session: the replicas share one token, so they qualify. Recovery
cannot prove completeness, though: the gateway counts an event as delivered once it wrote it to the dead
holder's socket, and whatever that holder had read but not yet shared is gone with it. So every takeover also
reports a `Gap` from the checkpoint (less `HANDOVER_MARGIN`) to the moment the new subscription is active, for
the library to fill from the call log; when recovery fails the subscriber's own `Gap` covers the same window.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import ValidationError
from redis.asyncio import Redis

from ..auth import AccessTokenCredentials, JWTCredentials
from ..client import RingSenseClient
from ..events import EventItem, Gap, InsightsEvent, RecentKeys
from ..subscriber import ALL_DOMAINS, EventSubscriber, SubscriberState, SubscriberStatus
from ..wsframes import Wsc
from .connection import SharedRedis
from .lease import Lease, Term
from .tokens import token_cipher

__all__ = ["HANDOVER_MARGIN", "STREAM_LENGTH", "Checkpoint", "EventRelay", "SharedSubscription"]

STREAM_LENGTH = 1000  # entries kept (approximately: Redis trims whole nodes); each holds one insights object
READ_BLOCK = 1.0  # seconds one XREAD waits for news; below the connection's operation timeout
RECENT_REPLAY = 50  # entries a starting replica reads back for its recent list
HANDOVER_MARGIN = timedelta(seconds=30)  # events read but not yet shared by a healthy holder are this recent
RECENT_KEYS = 10_000

_log = logging.getLogger("server.ringsense.shared")

# KEYS: stream, checkpoint. ARGV: term, checkpoint data, max length, kind, item.
# Appends the item and moves the checkpoint, unless a newer term has written since (a holder that lost the lease).
_PUBLISH = """
local current = tonumber(redis.call('HGET', KEYS[2], 'term') or '0')
if tonumber(ARGV[1]) < current then return false end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'kind', ARGV[4], 'item', ARGV[5])
redis.call('HSET', KEYS[2], 'term', ARGV[1], 'data', ARGV[2])
return id
"""
# KEYS: checkpoint. ARGV: term, data. Moves the checkpoint alone (the holder is up, nothing new arrived).
_CHECKPOINT = """
local current = tonumber(redis.call('HGET', KEYS[1], 'term') or '0')
if tonumber(ARGV[1]) < current then return 0 end
redis.call('HSET', KEYS[1], 'term', ARGV[1], 'data', ARGV[2])
return 1
"""


def feed_cipher(credentials: JWTCredentials | AccessTokenCredentials) -> Fernet:
    """The cipher for the checkpoint's ``wsc``: the same in every replica with the same credentials."""
    if isinstance(credentials, JWTCredentials):
        return token_cipher(credentials)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"ringsense-mcp event feed", info=b"access-token").derive(
        credentials.access_token.get_secret_value().encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


@dataclass(frozen=True)
class Checkpoint:
    """Where the last holder left the subscription."""

    term: int
    wsc: Wsc | None  # its gateway session, if it had one (a secret)
    good_at: datetime  # everything the gateway sent before this (less HANDOVER_MARGIN) was shared


def _encode(item: EventItem) -> tuple[str, str]:
    if isinstance(item, Gap):
        data = {"since": item.since.isoformat(), "until": item.until.isoformat(), "reason": item.reason}
        return "gap", json.dumps(data)
    return "event", item.model_dump_json(by_alias=True)


Entry = tuple[str, dict[Any, Any]]  # (stream id, fields as redis-py returns them: bytes to bytes)


def _decode(fields: dict[Any, Any]) -> EventItem | None:
    kind, raw = fields.get(b"kind"), fields.get(b"item", b"")
    try:
        if kind == b"gap":
            data = json.loads(raw)
            return Gap(datetime.fromisoformat(data["since"]), datetime.fromisoformat(data["until"]), data["reason"])
        if kind == b"event":
            return InsightsEvent.model_validate_json(raw)
    except (ValueError, KeyError, TypeError, ValidationError):
        pass
    _log.warning("skipped an unreadable entry in the shared event stream")
    return None


class EventRelay:
    """The shared event stream and the holder's checkpoint, in one identity's Redis namespace.

    Never raises for Redis failures: `publish` returns False, `checkpoint` None, and `follow` waits and reads on.
    """

    def __init__(
        self,
        redis: SharedRedis,
        credentials: JWTCredentials | AccessTokenCredentials,
        *,
        length: int = STREAM_LENGTH,
        block: float = READ_BLOCK,
    ) -> None:
        self._redis = redis
        self._cipher = feed_cipher(credentials)
        self._stream = redis.key("events", "stream")
        self._checkpoint = redis.key("events", "checkpoint")
        self._length = length
        self._block = block
        self._publish = redis.client.register_script(_PUBLISH)
        self._move = redis.client.register_script(_CHECKPOINT)

    def _sealed(self, wsc: Wsc | None, good_at: datetime) -> str:
        data = {"wsc": [wsc.token, wsc.sequence] if wsc else None, "good_at": good_at.isoformat()}
        return self._cipher.encrypt(json.dumps(data).encode()).decode()

    async def publish(self, item: EventItem, *, term: Term, wsc: Wsc | None, good_at: datetime) -> bool:
        """Append `item` for every replica and move the checkpoint; False if Redis failed or a newer term rules."""
        kind, text = _encode(item)

        async def append(_: Redis) -> bool:
            args: list[str | int] = [term.number, self._sealed(wsc, good_at), self._length, kind, text]
            return await self._publish(keys=[self._stream, self._checkpoint], args=args) is not None

        return await self._redis.run("sharing an event", append, False)

    async def save_checkpoint(self, *, term: Term, wsc: Wsc | None, good_at: datetime) -> bool:
        async def save(_: Redis) -> bool:
            args: list[str | int] = [term.number, self._sealed(wsc, good_at)]
            return bool(int(await self._move(keys=[self._checkpoint], args=args)))

        return await self._redis.run("saving the event checkpoint", save, False)

    async def checkpoint(self) -> Checkpoint | None:
        """The last holder's checkpoint; None if there is none, it is unreadable, or Redis failed."""
        _, checkpoint = await self.read_checkpoint()
        return checkpoint

    async def read_checkpoint(self) -> tuple[bool, Checkpoint | None]:
        """``(read, checkpoint)``: `read` is False when Redis failed (then nothing is known of a checkpoint)."""

        async def read(client: Redis) -> dict[Any, Any]:
            return dict(await client.hgetall(self._checkpoint))

        fields: dict[Any, Any] | None = await self._redis.run("reading the event checkpoint", read, None)
        if fields is None:
            return False, None
        if not fields:
            return True, None
        try:
            data = json.loads(self._cipher.decrypt(fields[b"data"]))
            wsc = Wsc(token=data["wsc"][0], sequence=int(data["wsc"][1])) if data["wsc"] else None
            return True, Checkpoint(int(fields[b"term"]), wsc, datetime.fromisoformat(data["good_at"]))
        except (InvalidToken, KeyError, ValueError, TypeError, IndexError):
            _log.warning("the event checkpoint in Redis was not written with this server's credentials; ignored")
            return True, None

    async def follow(self, *, replay: int = RECENT_REPLAY) -> AsyncIterator[EventItem]:
        """Every item published from now on, after the last `replay` ones; exact repeats dropped. Never ends."""
        recent = RecentKeys(RECENT_KEYS)
        last: str | None = None
        while True:
            if last is None:
                entries = await self._tail(replay)
                if entries is None:
                    await anyio.sleep(self._block)
                    continue
                last = entries[-1][0] if entries else "0-0"
            else:
                read = await self._read_after(last)
                if read is None:
                    await anyio.sleep(self._block)  # Redis is down; SharedRedis has warned
                    continue
                entries = read
            for entry_id, fields in entries:
                last = entry_id
                item = _decode(fields)
                if item is None or (isinstance(item, InsightsEvent) and recent.seen(item.key)):
                    continue
                yield item

    async def _tail(self, count: int) -> list[Entry] | None:
        async def read(client: Redis) -> list[Entry]:
            newest: Any = await client.xrevrange(self._stream, count=max(1, count))
            if not count:  # nothing to replay: read on from the newest entry, if there is one
                return [(_id(entry_id), {}) for entry_id, _ in newest]
            return [(_id(entry_id), dict(fields)) for entry_id, fields in reversed(newest)]

        return await self._redis.run("reading the shared event stream", read, None)

    async def _read_after(self, last: str) -> list[Entry] | None:
        async def read(client: Redis) -> list[Entry]:
            answer: Any = await client.xread({self._stream: last}, count=100, block=max(1, round(self._block * 1000)))
            return [(_id(entry_id), fields) for _, entries in answer or [] for entry_id, fields in entries]

        return await self._redis.run("reading the shared event stream", read, None)


def _id(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _now() -> datetime:
    return datetime.now(UTC)


class SharedSubscription:
    """Runs an `EventSubscriber` in this process only while it holds `lease`, sharing its items through `relay`.

    `await run()` never returns; cancel it to stop. While held, `subscriber` is the running subscriber (for
    status). The subscriber keeps its gateway session on close, so the next holder can recover it.
    `subscriber_options` go to `EventSubscriber` (tests shorten its backoff).
    """

    def __init__(
        self,
        client: RingSenseClient,
        relay: EventRelay,
        lease: Lease,
        *,
        domains: tuple[str, ...] = ALL_DOMAINS,
        now: Callable[[], datetime] = _now,
        **subscriber_options: Any,
    ) -> None:
        self._client = client
        self._relay = relay
        self._lease = lease
        self._domains = domains
        self._now = now
        self._options = subscriber_options
        self.subscriber: EventSubscriber | None = None

    @property
    def lease(self) -> Lease:
        return self._lease

    async def run(self) -> None:
        await self._lease.run(self._hold)

    async def _hold(self, term: Term) -> None:
        read, checkpoint = await self._relay.read_checkpoint()
        while not read:  # not knowing where the last holder stopped would hide its gap; the lease ends this if it must
            await anyio.sleep(self._lease.interval)
            read, checkpoint = await self._relay.read_checkpoint()
        lost_since = checkpoint.good_at - HANDOVER_MARGIN if checkpoint is not None else None
        resume = checkpoint.wsc if checkpoint is not None else None
        if checkpoint is not None:
            _log.info(
                "taking over the event subscription (term %d)%s",
                term.number,
                "; recovering the last holder's session" if resume else "",
            )
        subscriber = EventSubscriber(
            self._client,
            domains=self._domains,
            resume=resume,
            lost_since=lost_since,
            keep_session=True,
            **self._options,
        )
        async with subscriber, anyio.create_task_group() as tasks:
            self.subscriber = subscriber
            try:
                tasks.start_soon(self._keep_checkpoint, subscriber, term, lost_since)
                async for item in subscriber:
                    if not await self._relay.publish(item, term=term, wsc=subscriber.wsc, good_at=self._now()):
                        _log.warning("could not share an event through Redis; other replicas miss it")
            finally:
                self.subscriber = None
                tasks.cancel_scope.cancel()

    async def _keep_checkpoint(self, subscriber: EventSubscriber, term: Term, lost_since: datetime | None) -> None:
        """Report the handover gap once subscribed, then move the checkpoint while the subscription is up."""
        await subscriber.wait_for(_subscribed)
        status = subscriber.status
        if lost_since is not None and status.gaps == 0:
            # Recovered (or the gap is already reported): what the dead holder had read but not shared is lost.
            gap = Gap(
                since=lost_since,
                until=self._now(),
                reason="took over the event subscription from another replica"
                + ("; its session was recovered" if status.recoveries else ""),
            )
            await self._relay.publish(gap, term=term, wsc=subscriber.wsc, good_at=self._now())
        while True:
            if subscriber.status.state == SubscriberState.SUBSCRIBED:
                await self._relay.save_checkpoint(term=term, wsc=subscriber.wsc, good_at=self._now())
            await anyio.sleep(self._lease.interval)


def _subscribed(status: SubscriberStatus) -> bool:
    return status.state == SubscriberState.SUBSCRIBED
