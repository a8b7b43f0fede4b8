"""All state of one sandbox platform: the dataset, OAuth sessions, rate limits, faults and the request log."""

from __future__ import annotations

import hmac
import math
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from server.sandbox.dataset import SANDBOX_ACCOUNT_ID, build_dataset
from server.sandbox.dataset_people import users as default_users
from server.sandbox.errors import JSON, api_error, oauth_error
from server.sandbox.faults import FaultInjector
from server.sandbox.push import PushHub, PushSettings
from server.sandbox.ratelimit import RateLimiter
from server.sandbox.samples import Dataset, SandboxUser

# The one registered app. Fake, public by design: the sandbox is a zero-credential demo.
SANDBOX_CLIENT_ID = "SandboxClientId0RingSense"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret-not-a-real-secret"  # noqa: S105 - a published demo value

# OAuth scopes, not a secret
TOKEN_SCOPE = "ReadAccounts ReadCallLog ReadCallRecording RingSense WebSocketsSubscription"  # noqa: S105
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class LoggedRequest:
    """One request the sandbox received. Never holds a token, a secret or a JWT."""

    method: str
    path: str
    query: str  # raw query string; values of credential-like parameters are redacted
    grant_type: str | None  # token requests only
    status: int  # final status; 0 when the connection was dropped without a response
    user: str | None  # extension id of the caller, when known


# Where the outer middleware puts the RequestContext in the ASGI scope.
CONTEXT_SCOPE_KEY = "ringsense.sandbox.context"


@dataclass
class RequestContext:
    """Per-request facts the handlers tell the outer middleware (for headers and the log)."""

    request_id: str
    user: str | None = None
    grant_type: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Session:
    session_id: str
    user: SandboxUser
    client_id: str
    endpoint_id: str
    access_token: str = ""
    revoked: bool = False


@dataclass
class _AccessToken:
    session: _Session
    expires_at: float
    superseded: bool = False  # a refresh replaced it
    first_used_at: float | None = None  # when it was first presented to an API


@dataclass
class _RefreshToken:
    session: _Session
    expires_at: float
    used: bool = False
    revoked: bool = False
    used_at: float = 0.0
    exchanged_for: JSON | None = None  # the pair the (single) refresh issued, handed out again during the grace


# A just-used refresh token still answers with the same new pair for a while (reference §3.1): about 10 s once
# the new access token has been used, up to 60 min while it has not.
REFRESH_GRACE_AFTER_USE = 10.0
REFRESH_GRACE_UNUSED = 3600.0


@dataclass(frozen=True)
class Caller:
    """The authenticated user of an API request."""

    user: SandboxUser
    client_id: str
    session_id: str = ""  # the OAuth session (a WebSocket session can only be recovered within the same one)


def _opaque_token() -> str:
    return secrets.token_urlsafe(48)


class SandboxPlatform:
    """A fake RingCentral platform; one per test. Serve it with ``create_sandbox_app`` or ``serve_sandbox``."""

    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        clock: Callable[[], float] = time.time,
        access_token_ttl: float = 3600,
        refresh_token_ttl: float = 604800,
        enforce_rate_limits: bool = True,
        rate_limit_window: float = 60.0,
        rate_limits: Mapping[str, int] | None = None,
        penalty_seconds: float | None = None,
        client_secret: str = SANDBOX_CLIENT_SECRET,
        app_scopes: frozenset[str] | None = None,
        push: PushSettings | None = None,
    ) -> None:
        self._dataset = dataset
        self._client_secret = client_secret  # the registered app's secret (tests use canary values)
        self.clock = clock
        self.access_token_ttl = access_token_ttl
        self.refresh_token_ttl = refresh_token_ttl
        self.rate_limiter = RateLimiter(
            clock=clock,
            window=rate_limit_window,
            limits=rate_limits,
            penalty=penalty_seconds,
            enforce=enforce_rate_limits,
        )
        self.requests: list[LoggedRequest] = []
        self.faults = FaultInjector()
        self._access: dict[str, _AccessToken] = {}
        self._refresh: dict[str, _RefreshToken] = {}
        self._rejected_jwts: set[str] = set()
        self.app_scopes = frozenset(TOKEN_SCOPE.split()) if app_scopes is None else app_scopes
        self.push = PushHub(clock=clock, account_id=lambda: self.account_id, settings=push or PushSettings())

    @property
    def dataset(self) -> Dataset:
        """The sample data, built on first use: a stdio server in sandbox mode answers `initialize` sooner."""
        if self._dataset is None:
            self._dataset = build_dataset()
        return self._dataset

    @property
    def account_id(self) -> str:
        """The account's id, without building the calls when they are not needed yet (a subscription asks)."""
        return self._dataset.account_id if self._dataset is not None else SANDBOX_ACCOUNT_ID

    @property
    def users(self) -> list[SandboxUser]:
        """The account's users, without building the calls when they are not needed yet."""
        return self._dataset.users if self._dataset is not None else default_users()

    # -- request log ----------------------------------------------------------------------------------------

    def requests_to(self, path_fragment: str) -> list[LoggedRequest]:
        """Logged requests whose path contains ``path_fragment``."""
        return [r for r in self.requests if path_fragment in r.path]

    def token_requests(self, grant_type: str | None = None) -> list[LoggedRequest]:
        """Logged ``POST /restapi/oauth/token`` requests, optionally of one grant type."""
        return [
            r
            for r in self.requests
            if r.path == "/restapi/oauth/token" and (grant_type is None or r.grant_type == grant_type)
        ]

    def clear_requests(self) -> None:
        self.requests.clear()

    # -- test controls --------------------------------------------------------------------------------------

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is now expired (the API answers 401 OAU-128)."""
        now = self.clock()
        for token in self._access.values():
            token.expires_at = min(token.expires_at, now)

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token issued so far is revoked (the refresh grant answers 400 invalid_grant)."""
        for token in self._refresh.values():
            token.revoked = True

    def reject_jwt(self, jwt: str) -> None:
        """The JWT bearer grant with ``jwt`` answers 400 invalid_grant from now on."""
        self._rejected_jwts.add(jwt)

    def accept_jwt(self, jwt: str) -> None:
        """Undo ``reject_jwt``: the credential was fixed."""
        self._rejected_jwts.discard(jwt)

    def issued_tokens(self, kind: Literal["access", "refresh"] | None = None) -> list[str]:
        """Access and/or refresh tokens issued so far, oldest first of each kind (tests check none leaks)."""
        return [*(self._access if kind != "refresh" else ()), *(self._refresh if kind != "access" else ())]

    # -- users ----------------------------------------------------------------------------------------------

    def user_by_jwt(self, jwt: str) -> SandboxUser | None:
        for user in self.users:
            if hmac.compare_digest(user.jwt.encode(), jwt.encode()):
                return user
        return None

    def user_by_extension(self, extension_id: str) -> SandboxUser | None:
        return next((u for u in self.users if u.extension_id == extension_id), None)

    # -- OAuth ----------------------------------------------------------------------------------------------

    def client_is_valid(self, client_id: str, client_secret: str) -> bool:
        id_ok = hmac.compare_digest(client_id.encode(), SANDBOX_CLIENT_ID.encode())
        secret_ok = hmac.compare_digest(client_secret.encode(), self._client_secret.encode())
        return id_ok and secret_ok

    def login_with_jwt(self, jwt: str, client_id: str, access_ttl: float, refresh_ttl: float) -> JSON:
        """Open a session for the JWT's user; raises ``ApiError`` (400 invalid_grant) for an unknown JWT."""
        user = self.user_by_jwt(jwt) if jwt not in self._rejected_jwts else None
        if user is None:
            raise oauth_error(400, "invalid_grant", "OAU-140", "Invalid resource owner credentials")
        session = _Session(
            session_id=str(uuid.uuid4()), user=user, client_id=client_id, endpoint_id=secrets.token_urlsafe(16)
        )
        return self._issue(session, access_ttl, refresh_ttl)

    def refresh(self, refresh_token: str, client_id: str, access_ttl: float, refresh_ttl: float) -> JSON:
        """Exchange a refresh token (single use) for a new pair in the same session."""
        # OAU-211/213 are taken from community reports; OAU-210 (expired) is assumed.
        record = self._refresh.get(refresh_token)
        if record is None or record.session.client_id != client_id:
            raise oauth_error(400, "invalid_grant", "OAU-213", "Token not found")
        if record.used and not (record.revoked or record.session.revoked) and self._in_grace(record):
            return dict(record.exchanged_for or {})
        if record.used or record.revoked or record.session.revoked:
            raise oauth_error(400, "invalid_grant", "OAU-211", "Token is revoked")
        if self.clock() >= record.expires_at:
            raise oauth_error(400, "invalid_grant", "OAU-210", "Token is expired")
        record.used, record.used_at = True, self.clock()
        previous = self._access.get(record.session.access_token)
        if previous is not None:
            previous.superseded = True
        record.exchanged_for = self._issue(record.session, access_ttl, refresh_ttl)
        return dict(record.exchanged_for)

    def _in_grace(self, record: _RefreshToken) -> bool:
        issued = self._access.get((record.exchanged_for or {}).get("access_token", ""))
        if issued is None or issued.superseded:
            return False
        now = self.clock()
        if issued.first_used_at is None:
            return now - record.used_at < REFRESH_GRACE_UNUSED
        return now - issued.first_used_at < REFRESH_GRACE_AFTER_USE

    def refresh_token_owner(self, refresh_token: str) -> str | None:
        record = self._refresh.get(refresh_token)
        return record.session.user.extension_id if record else None

    def revoke(self, token: str) -> None:
        """Revoke the whole session that ``token`` (access or refresh) belongs to; unknown tokens are ignored."""
        access = self._access.get(token)
        refresh = self._refresh.get(token)
        session = access.session if access else refresh.session if refresh else None
        if session is not None:
            session.revoked = True

    def _issue(self, session: _Session, access_ttl: float, refresh_ttl: float) -> JSON:
        now = self.clock()
        access, refresh = _opaque_token(), _opaque_token()
        self._access[access] = _AccessToken(session=session, expires_at=now + access_ttl)
        self._refresh[refresh] = _RefreshToken(session=session, expires_at=now + refresh_ttl)
        session.access_token = access
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": math.ceil(access_ttl),
            "refresh_token": refresh,
            "refresh_token_expires_in": math.ceil(refresh_ttl),
            "scope": " ".join(scope for scope in TOKEN_SCOPE.split() if scope in self.app_scopes),
            "owner_id": session.user.extension_id,
            "endpoint_id": session.endpoint_id,
            "session_id": session.session_id,
        }

    # -- bearer tokens --------------------------------------------------------------------------------------

    def authenticate_bearer(self, authorization: str | None) -> Caller:
        """The caller behind an ``Authorization`` header; raises ``ApiError`` (401) otherwise."""
        if not authorization:
            # AGW-401 is what the API gateway answers when the header is absent (not in the reference doc).
            raise api_error(401, "AGW-401", "Authorization header is not specified")
        scheme, _, token = authorization.partition(" ")
        record = self._access.get(token.strip()) if scheme.lower() == "bearer" else None
        if record is None:
            raise api_error(401, "OAU-149", "Unparsable access token")
        if record.superseded or record.session.revoked:
            raise api_error(401, "OAU-213", "Token not found")
        if self.clock() >= record.expires_at:
            raise api_error(401, "OAU-128", "Access token expired")
        if record.first_used_at is None:
            record.first_used_at = self.clock()
        return Caller(
            user=record.session.user, client_id=record.session.client_id, session_id=record.session.session_id
        )

    def bearer_owner(self, authorization: str | None) -> str | None:
        """The extension id an ``Authorization`` header names, valid or not (for the request log)."""
        _, _, token = (authorization or "").partition(" ")
        record = self._access.get(token.strip())
        return record.session.user.extension_id if record else None
