"""`RedisTokenStore`: one RingCentral session for every process with the same credentials.

The access and refresh tokens are kept in two keys that expire with the tokens, each encrypted with Fernet
(AES-128-CBC + HMAC-SHA256) under a key derived (HKDF-SHA256) from the app's client secret and the user's JWT:
whoever reads Redis alone gets no usable token, and a process with other credentials cannot read them (it
treats them as absent). Renewal is serialised by a Redis lock that expires, so a process that dies while
renewing holds up the others for `LOCK_TTL` seconds at most.
"""

from __future__ import annotations

import base64
import json
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from redis.asyncio import Redis
from redis.asyncio.lock import Lock

from ..auth import JWTCredentials
from ..tokenstore import StoredToken
from .connection import OPERATION_TIMEOUT, SharedRedis

__all__ = ["LOCK_TTL", "LOCK_WAIT", "MAX_REFRESH_TTL", "RedisTokenStore", "token_cipher"]

LOCK_TTL = 45.0  # a token request with its retries takes at most MAX_RETRY_TOTAL (30 s) plus one timeout
LOCK_WAIT = 50.0  # longer than LOCK_TTL: a waiter outlives a dead holder's lock, then renews itself
LOCK_POLL = 0.05  # seconds between a waiter's tries for the lock
MAX_REFRESH_TTL = 7 * 24 * 3600.0  # RingCentral's longest refresh-token lifetime; bounds a key's life

_log = logging.getLogger("server.ringsense.shared")


def token_cipher(credentials: JWTCredentials) -> Fernet:
    """The Fernet cipher for `credentials`' tokens: the same in every process with the same credentials."""
    material = (credentials.client_secret.get_secret_value() + "\0" + credentials.jwt.get_secret_value()).encode()
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"ringsense-mcp shared token store",
        info=credentials.client_id.encode(),
    ).derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


class RedisTokenStore:
    """A `TokenStore` in Redis (see `server.ringsense.tokenstore`). Never raises for Redis failures."""

    def __init__(self, redis: SharedRedis, credentials: JWTCredentials, *, lock_ttl: float = LOCK_TTL) -> None:
        self._redis = redis
        self._cipher = token_cipher(credentials)
        self._access_key = redis.key("token", "access")
        self._refresh_key = redis.key("token", "refresh")
        self._lock_key = redis.key("token", "lock")
        self._lock_ttl = lock_ttl

    @property
    def shared(self) -> bool:
        return True

    def _decrypt(self, value: bytes | None) -> str | None:
        if value is None:
            return None
        try:
            return self._cipher.decrypt(value).decode()
        except (InvalidToken, UnicodeDecodeError):
            _log.warning(
                "the shared token in Redis was not written with this server's credentials (client secret and "
                "JWT); ignoring it. Replicas sharing a Redis database must be configured identically."
            )
            return None

    async def load(self) -> StoredToken | None:
        async def read(client: Redis) -> StoredToken | None:
            async with client.pipeline(transaction=True) as pipe:
                pipe.get(self._access_key)
                pipe.pttl(self._access_key)
                pipe.get(self._refresh_key)
                pipe.pttl(self._refresh_key)
                access_raw, access_ms, refresh_raw, refresh_ms = await pipe.execute()
            access_json = self._decrypt(access_raw)
            refresh = self._decrypt(refresh_raw)
            access: str | None = None
            lifetime = 0.0
            if access_json is not None:
                try:
                    record = json.loads(access_json)
                    access, lifetime = str(record["token"]), float(record["lifetime"])
                except (ValueError, KeyError, TypeError):  # written by an incompatible version: renew instead
                    access = None
            if access is None and refresh is None:
                return None
            return StoredToken(
                access_token=access,
                expires_in=max(0, access_ms) / 1000 if access else 0.0,
                lifetime=lifetime,
                refresh_token=refresh,
                refresh_expires_in=max(0, refresh_ms) / 1000 if refresh else 0.0,
            )

        return await self._redis.run("reading the shared token", read, None)

    async def save(self, token: StoredToken) -> None:
        async def write(client: Redis) -> None:
            async with client.pipeline(transaction=True) as pipe:
                if token.access_token and token.expires_in > 0:
                    record = json.dumps({"token": token.access_token, "lifetime": token.lifetime})
                    pipe.set(self._access_key, self._cipher.encrypt(record.encode()), px=_ms(token.expires_in))
                else:
                    pipe.delete(self._access_key)
                if token.refresh_token and token.refresh_expires_in > 0:
                    ttl = min(token.refresh_expires_in, MAX_REFRESH_TTL)
                    pipe.set(self._refresh_key, self._cipher.encrypt(token.refresh_token.encode()), px=_ms(ttl))
                else:
                    pipe.delete(self._refresh_key)
                await pipe.execute()

        await self._redis.run("storing the shared token", write, None)

    @asynccontextmanager
    async def renewing(self) -> AsyncIterator[None]:
        """The renewal lock; without Redis (or after waiting `LOCK_WAIT`), renew without it rather than fail."""
        lock = Lock(
            self._redis.client,
            self._lock_key,
            timeout=self._lock_ttl,
            sleep=LOCK_POLL,
            blocking_timeout=self._lock_ttl + 5,
            thread_local=False,
            raise_on_release_error=False,
        )

        async def acquire(_: Redis) -> bool:
            return bool(await lock.acquire())

        held = await self._redis.run("taking the token renewal lock", acquire, False)
        if not held and self._redis.available:
            _log.warning("renewing the token without the shared lock (it was not released in time)")
        try:
            yield
        finally:
            if held:

                async def release(_: Redis) -> None:
                    await lock.release()

                # Shielded: a cancelled renewal must still free the others at once, not after LOCK_TTL.
                with anyio.CancelScope(shield=True), anyio.move_on_after(OPERATION_TIMEOUT):
                    await self._redis.run("releasing the token renewal lock", release, None)


def _ms(seconds: float) -> int:
    return max(1, math.floor(seconds * 1000))
