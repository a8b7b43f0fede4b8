"""OAuth for the RingSense client: the JWT bearer grant, refresh before expiry, single-flight, revoke.

`TokenManager` keeps one access token. It refreshes it shortly before it expires (with the
`refresh_token` grant, or by presenting the JWT again when the refresh token is expired, refused or
absent), and does so once for any number of concurrent callers. With `AccessTokenCredentials` (a
pre-issued token) nothing can be refreshed: a 401 becomes `TokenExpiredError`.

Several processes with the same credentials share one token through a `TokenStore` (see `tokenstore.py`): a
process whose token needs renewal first adopts the one another process stored, and only the process holding the
store's renewal lock asks RingCentral. The default store shares nothing.

The HTTP side (Basic auth, pacing in the Auth group, retries on 429/503, error mapping) belongs to the
client, which hands the manager a `TokenPoster`.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
from pydantic import SecretStr

from .errors import (
    AuthenticationError,
    BadRequestError,
    Operation,
    ResponseFormatError,
    TokenExpiredError,
)
from .tokenstore import InProcessTokenStore, StoredToken, TokenStore

__all__ = [
    "JWT_BEARER_GRANT",
    "REFRESH_MARGIN",
    "REVOKE_PATH",
    "TOKEN_PATH",
    "AccessTokenCredentials",
    "JWTCredentials",
    "TokenManager",
]

TOKEN_PATH = "/restapi/oauth/token"  # noqa: S105 - a URL path, not a password
REVOKE_PATH = "/restapi/oauth/revoke"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
REFRESH_MARGIN = 60.0  # refresh this many seconds before expiry …
REFRESH_MARGIN_FRACTION = 0.1  # … or this fraction of the token's lifetime, whichever is shorter
DEFAULT_EXPIRES_IN = 3600.0  # RingCentral's usual access-token lifetime, if a response omits expires_in
_KEPT_TOKENS = 8  # recent tokens kept (only) so that error messages can be scrubbed of them

_log = logging.getLogger("server.ringsense")


def _as_secret(value: str | SecretStr, what: str) -> SecretStr:
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(f"{what} is empty")
    return SecretStr(raw.strip())


@dataclass(frozen=True)
class JWTCredentials:
    """App credentials plus a user's JWT credential (RingCentral's JWT auth flow).

    The secret and the JWT are held as `SecretStr`: `repr` and `str` never show them.
    """

    client_id: str
    client_secret: SecretStr
    jwt: SecretStr

    def __init__(self, client_id: str, client_secret: str | SecretStr, jwt: str | SecretStr) -> None:
        if not isinstance(client_id, str) or not client_id.strip():
            raise ValueError("client_id is empty")
        object.__setattr__(self, "client_id", client_id.strip())
        object.__setattr__(self, "client_secret", _as_secret(client_secret, "client_secret"))
        object.__setattr__(self, "jwt", _as_secret(jwt, "jwt"))


@dataclass(frozen=True)
class AccessTokenCredentials:
    """A pre-issued access token (RC_ACCESS_TOKEN). It cannot be refreshed; when it expires, calls fail."""

    access_token: SecretStr

    def __init__(self, access_token: str | SecretStr) -> None:
        object.__setattr__(self, "access_token", _as_secret(access_token, "access_token"))


class TokenPoster(Protocol):
    """Posts a form to an OAuth endpoint with the app's Basic credentials; returns the JSON object.

    Raises a `RingSenseError` (mapped with `operation`) for any failure.
    """

    def __call__(self, path: str, form: Mapping[str, str], *, operation: Operation) -> Awaitable[dict[str, Any]]: ...


@dataclass
class _TokenState:
    access_token: str | None = None
    refresh_at: float = -math.inf  # when to refresh the access token (expiry minus margin)
    expires_at: float = -math.inf
    lifetime: float = DEFAULT_EXPIRES_IN
    refresh_token: str | None = None
    refresh_expires_at: float = -math.inf
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=_KEPT_TOKENS))


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and number > 0 else None


class TokenManager:
    """Holds the access token; refreshes it before expiry and after a 401, once for concurrent callers."""

    def __init__(
        self,
        credentials: JWTCredentials | AccessTokenCredentials,
        *,
        post: TokenPoster,
        clock: Callable[[], float] = time.monotonic,
        store: TokenStore | None = None,
    ) -> None:
        self._credentials = credentials
        self._post = post
        self._clock = clock
        # A pre-issued token cannot be renewed by anybody, so there is nothing to share for it.
        self._store: TokenStore = store if store is not None and self.can_refresh else InProcessTokenStore()
        self._lock = anyio.Lock()
        self._state = _TokenState()
        if isinstance(credentials, AccessTokenCredentials):
            self._state.access_token = credentials.access_token.get_secret_value()
            self._state.refresh_at = math.inf  # its expiry is unknown; a 401 tells

    @property
    def can_refresh(self) -> bool:
        return isinstance(self._credentials, JWTCredentials)

    def secrets(self) -> list[str]:
        """Every credential value this manager knows, for scrubbing messages. Never log the result."""
        values = list(self._state.recent)
        if isinstance(self._credentials, JWTCredentials):
            values += [self._credentials.client_secret.get_secret_value(), self._credentials.jwt.get_secret_value()]
        else:
            values.append(self._credentials.access_token.get_secret_value())
        return values

    def _fresh(self) -> str | None:
        """The current access token while it needs no renewal, else None."""
        token = self._state.access_token
        return token if token is not None and self._clock() < self._state.refresh_at else None

    def _renewed(self) -> str:
        token = self._state.access_token
        if token is None:  # _renew() stores a token or raises, so this cannot happen
            raise AuthenticationError("No access token was issued.")
        return token

    async def token(self) -> str:
        """A valid access token; logs in or refreshes first when needed (one request for all callers)."""
        if (token := self._fresh()) is not None:
            return token
        async with self._lock:
            if (token := self._fresh()) is not None:  # another caller may have renewed it while this one waited
                return token
            await self._renew_shared(rejected=None)
            return self._renewed()

    async def renew_after_unauthorized(self, rejected: str) -> str:
        """After a 401 for `rejected`: a renewed token (once for concurrent callers), or TokenExpiredError."""
        if not self.can_refresh:
            raise TokenExpiredError(
                "The access token in RC_ACCESS_TOKEN has expired or was revoked, and a pre-issued token cannot "
                "be refreshed. Issue a new access token, or configure RC_APP_CLIENT_ID, RC_APP_CLIENT_SECRET "
                "and RC_USER_JWT so that the server logs in and refreshes by itself.",
                status=401,
            )
        async with self._lock:
            if (token := self._fresh()) is not None and token != rejected:
                return token  # renewed by another caller
            self._state.refresh_at = -math.inf
            await self._renew_shared(rejected=rejected)
            return self._renewed()

    async def _renew_shared(self, *, rejected: str | None) -> None:
        """Adopt the token another process stored, else renew under the store's lock and store the result.

        `rejected` (a token the platform refused) is never adopted: the process that finds a revoked token
        renews it once, for every process.
        """
        if await self._adopt(rejected):
            return
        async with self._store.renewing():
            if await self._adopt(rejected):  # renewed by the process that held the lock before this one
                return
            await self._renew()
            await self._store.save(self._stored())

    async def _adopt(self, rejected: str | None) -> bool:
        """Take the stored token if it is usable; True when it was. Always takes a stored refresh token."""
        stored = await self._store.load()
        if stored is None:
            return False
        state = self._state
        if stored.refresh_token is not None and stored.refresh_expires_in > 0:
            # The stored refresh token is the newest (refresh tokens are single use): renew with it, not an old one.
            margin = min(REFRESH_MARGIN, REFRESH_MARGIN_FRACTION * stored.refresh_expires_in)
            state.refresh_token = stored.refresh_token
            state.refresh_expires_at = self._clock() + stored.refresh_expires_in - margin
            state.recent.append(stored.refresh_token)
        access = stored.access_token
        margin = min(REFRESH_MARGIN, REFRESH_MARGIN_FRACTION * stored.lifetime)
        if access is None or access == rejected or stored.expires_in <= margin:
            return False
        now = self._clock()
        state.access_token = access
        state.lifetime = stored.lifetime
        state.expires_at = now + stored.expires_in
        state.refresh_at = state.expires_at - margin
        state.recent.append(access)
        _log.info("using the shared access token (valid %.0f s more)", stored.expires_in)
        return True

    def _stored(self) -> StoredToken:
        state = self._state
        now = self._clock()
        return StoredToken(
            access_token=state.access_token,
            expires_in=max(0.0, state.expires_at - now),
            lifetime=state.lifetime,
            refresh_token=state.refresh_token,
            refresh_expires_in=max(0.0, state.refresh_expires_at - now) if state.refresh_token else 0.0,
        )

    async def _renew(self) -> None:
        credentials = self._credentials
        if not isinstance(credentials, JWTCredentials):
            raise TokenExpiredError("The pre-issued access token cannot be refreshed.", status=401)
        state = self._state
        if state.refresh_token is not None and self._clock() < state.refresh_expires_at:
            try:
                await self._grant(
                    {"grant_type": "refresh_token", "refresh_token": state.refresh_token}, Operation.TOKEN_REFRESH
                )
                return
            except (AuthenticationError, BadRequestError) as error:
                _log.info("token refresh refused (%s); logging in with the JWT again", error.error_code)
        await self._grant(
            {"grant_type": JWT_BEARER_GRANT, "assertion": credentials.jwt.get_secret_value()}, Operation.TOKEN_JWT
        )

    async def _grant(self, form: dict[str, str], operation: Operation) -> None:
        sent_at = self._clock()
        try:
            body = await self._post(TOKEN_PATH, form, operation=operation)
        except BaseException:
            if operation is Operation.TOKEN_REFRESH:
                self._state.refresh_token = None  # single use: whatever happened, do not present it again
            raise
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise ResponseFormatError("The token endpoint answered without an access_token.", status=200)
        lifetime = _seconds(body.get("expires_in")) or DEFAULT_EXPIRES_IN
        margin = min(REFRESH_MARGIN, REFRESH_MARGIN_FRACTION * lifetime)
        state = self._state
        state.access_token = access
        state.lifetime = lifetime
        state.expires_at = sent_at + lifetime
        state.refresh_at = sent_at + lifetime - margin
        state.recent.append(access)
        refresh = body.get("refresh_token")
        if isinstance(refresh, str) and refresh:
            refresh_lifetime = _seconds(body.get("refresh_token_expires_in")) or math.inf
            state.refresh_token = refresh
            state.refresh_expires_at = sent_at + refresh_lifetime - min(REFRESH_MARGIN, 0.1 * refresh_lifetime)
            state.recent.append(refresh)
        else:
            state.refresh_token = None  # the app does not issue refresh tokens: present the JWT each time
        _log.info("obtained an access token (%s, valid %.0f s)", operation.value, lifetime)

    async def revoke(self) -> None:
        """Revoke the session (one token revokes all of it) and forget the tokens. Raises on failure.

        A pre-issued token is never revoked: it was not this process's to end; nor is a token shared with other
        processes: they are still using it (it ends when it expires).
        """
        state = self._state
        token = state.refresh_token or state.access_token
        if not self.can_refresh or token is None:
            return
        if self._store.shared:
            self._state = _TokenState(recent=state.recent)
            _log.info("left the shared session open for the other processes")
            return
        self._state = _TokenState(recent=state.recent)
        await self._post(REVOKE_PATH, {"token": token}, operation=Operation.API)
        _log.info("revoked the session")
