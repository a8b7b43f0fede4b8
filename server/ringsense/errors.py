"""Errors raised by the RingSense client, and the one function that maps a RingCentral response to them.

```
RingSenseError                     message, status, error_code, request_id, retry_after
├── InvalidIdError                 an id was refused before any request (also a ValueError)
├── AuthenticationError            401 / OAuth errors (bad client id/secret, expired or revoked JWT)
│   └── TokenExpiredError          a pre-issued RC_ACCESS_TOKEN expired; no refresh is possible
├── PermissionDeniedError          403 (CMN-401, CMN-408, RAH-3005)
├── NotFoundError                  404
│   ├── InsightsNotFoundError      404 RAH-3001: not recorded by a licensed user, not analysed yet, or past retention
│   └── ApiNotEnabledError         404 AGW-404: the RingSense API is not enabled for this app
├── BadRequestError                400 and other 4xx
├── RateLimitedError               429, with retry_after seconds
├── UpstreamError                  5xx
├── NetworkError                   connect / read timeout / connection reset
└── ResponseFormatError            a 2xx whose body is not the JSON the API documents, or any body too large to read
```

`error_from_response` is the only place that turns a non-2xx status into a class. Every message is passed
through `scrub` (in `errorbody.py`, with the reading of error bodies) with the secrets the caller knows (client
secret, JWT, tokens), so no message, `str` or `repr` of an error can carry one, even when the platform echoes a
credential back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

from .errorbody import ErrorBody, excerpt, parse_error_body, parse_retry_after, scrub

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_RATE_LIMIT_WAIT",
    "ApiNotEnabledError",
    "AuthenticationError",
    "BadRequestError",
    "InsightsNotFoundError",
    "InvalidIdError",
    "NetworkError",
    "NotFoundError",
    "Operation",
    "PermissionDeniedError",
    "RateLimitedError",
    "ResponseFormatError",
    "RingSenseError",
    "TokenExpiredError",
    "UpstreamError",
    "error_from_response",
    "network_error",
    "parse_error_body",
    "parse_retry_after",
    "scrub",
]

# RingCentral's advice when a 429 carries no Retry-After: wait at least 30 seconds.
DEFAULT_RATE_LIMIT_WAIT = 30.0

_PERMISSION_GUIDE = (
    "An admin grants it in the RingCentral Admin Portal (User roles); the app's scopes are set in the "
    "RingCentral developer console."
)


class RingSenseError(Exception):
    """Root of every error the RingSense client raises.

    Attributes: `message` (what happened and what to do next), `status` (HTTP status or None),
    `error_code` (RingCentral `errorCode`, or the OAuth `error`), `request_id` (the `RCRequestId` response
    header, for RingCentral support) and `retry_after` (seconds to wait before trying again, or None).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        details = []
        if self.status is not None:
            details.append(f"HTTP {self.status}")
        if self.error_code:
            details.append(self.error_code)
        if self.request_id:
            details.append(f"request id {self.request_id}")
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"error_code={self.error_code!r}, request_id={self.request_id!r}, retry_after={self.retry_after!r})"
        )


class InvalidIdError(RingSenseError, ValueError):
    """An id or argument was refused before any request was made."""


class AuthenticationError(RingSenseError):
    """RingCentral refused the credentials or the access token (401, OAuth errors)."""


class TokenExpiredError(AuthenticationError):
    """A pre-issued access token (RC_ACCESS_TOKEN) expired; it cannot be refreshed."""


class PermissionDeniedError(RingSenseError):
    """403: the user lacks a permission or the app lacks a scope."""


class NotFoundError(RingSenseError):
    """404: the resource does not exist."""


class InsightsNotFoundError(NotFoundError):
    """404 RAH-3001: there are no insights for this recording or session (yet)."""


class ApiNotEnabledError(NotFoundError):
    """404 AGW-404: the API gateway has no route for this app (RingSense API not enabled)."""


class BadRequestError(RingSenseError):
    """400 and other 4xx statuses: the platform refused the request as sent."""


class RateLimitedError(RingSenseError):
    """429: a RingCentral rate limit was hit; `retry_after` says how many seconds to wait."""


class UpstreamError(RingSenseError):
    """5xx (or another unexpected status): RingCentral failed to answer."""


class NetworkError(RingSenseError):
    """The request did not complete: connection refused, timeout or connection reset."""


class ResponseFormatError(RingSenseError):
    """A 2xx response whose body is not the JSON the API documents, or a response larger than the client reads."""


class Operation(StrEnum):
    """What a request was for; it decides which cause an error message names."""

    TOKEN_JWT = "token_jwt"  # noqa: S105 - the JWT bearer grant, not a password
    TOKEN_REFRESH = "token_refresh"  # noqa: S105 - the refresh_token grant
    INSIGHTS = "insights"
    PERMISSION_CHECK = "permission_check"
    CALL_LOG = "call_log"
    WS_TOKEN = "ws_token"  # noqa: S105 - the WebSocket token request, not a password
    API = "api"


def _header(headers: Mapping[str, str] | httpx.Headers | None, name: str) -> str | None:
    if headers is None:
        return None
    # Imported here: errors are described long after the client loaded httpx, and this module stays importable
    # (by the config and the tools' argument types) without it on a stdio server's cold start.
    import httpx

    if isinstance(headers, httpx.Headers):
        value: str | None = headers.get(name)
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def _quoted(parsed: ErrorBody) -> str:
    if parsed.message:
        return f' RingCentral said: "{excerpt(parsed.message)}".'
    if parsed.raw_excerpt:
        return f' The response was not JSON: "{parsed.raw_excerpt}".'
    return ""


def _auth_message(status: int, parsed: ErrorBody, operation: Operation) -> str:
    oauth, code = parsed.oauth_error, parsed.error_code
    if oauth == "invalid_client" or code in {"OAU-146", "OAU-153", "OAU-101"}:
        return (
            "RingCentral rejected the app credentials: the client id or client secret is wrong "
            "(check RC_APP_CLIENT_ID and RC_APP_CLIENT_SECRET against the app in the RingCentral developer "
            "console, and that RC_SERVER_URL points at the same environment)."
        )
    if oauth == "unauthorized_client" or oauth == "unsupported_grant_type":
        return (
            "The app is not allowed to use the JWT auth flow: in the RingCentral developer console, set the "
            "app's auth to 'JWT auth flow' and allow this JWT credential for the app."
        )
    if oauth == "invalid_scope":
        return "The app lacks a scope it asked for: add RingSense, ReadCallLog and ReadAccounts to the app."
    if operation is Operation.TOKEN_JWT or (oauth == "invalid_grant" and operation is not Operation.TOKEN_REFRESH):
        return (
            "RingCentral rejected the JWT credential: it has expired, was revoked, or belongs to another app "
            "or environment. Generate a new JWT credential in the RingCentral developer console "
            "(Credentials → JWT) and set RC_USER_JWT."
        )
    if operation is Operation.TOKEN_REFRESH:
        return "RingCentral rejected the refresh token (expired, already used or revoked); log in again."
    if code == "OAU-128" or oauth == "expired_token":
        return (
            "The access token expired while the request was under way, and renewing it did not help in time. "
            "Try the call again; if it keeps failing, check the server's clock and RingCentral's status."
        )
    if code == "CMN-405":
        return "RingCentral requires a login to an extension: use a user's JWT credential, not an admin-only one."
    if code == "OAU-149":
        return "RingCentral could not parse the access token. Try the call again (the server logs in anew)."
    return (
        "RingCentral refused the access token (expired, revoked or invalid). Try the call again (the server logs "
        "in anew); if it keeps failing, check that the JWT credential is still valid with `ringsense-mcp check`."
    )


def _permission_message(parsed: ErrorBody, operation: Operation) -> str:
    code = parsed.error_code
    if operation is Operation.CALL_LOG:
        if code == "CMN-401":
            return "The app lacks the ReadCallLog scope: add it to the app in the RingCentral developer console."
        return (
            "The user may not read this call log: the company call log needs the 'FullCompanyCallLog' "
            "permission and a user's own call log needs 'ReadCallLog'. " + _PERMISSION_GUIDE
        )
    if code == "CMN-401":
        return (
            "The app lacks the RingSense scope: add 'RingSense' to the app's scopes in the RingCentral "
            "developer console (and re-authorise)."
        )
    return (
        "The user lacks the 'AI Conversation Expert – Access Insights' permission (ReadRingSenseInsights), "
        "or the app lacks the RingSense scope. " + _PERMISSION_GUIDE
    )


def error_from_response(
    status: int,
    body: bytes | str | None,
    headers: Mapping[str, str] | httpx.Headers | None = None,
    *,
    operation: Operation = Operation.API,
    secrets: Iterable[str | None] = (),
) -> RingSenseError:
    """The error for a non-2xx RingCentral response; the one status-to-class mapping of the client.

    `operation` names what the request was for (it picks the likely cause the message names); `secrets`
    are scrubbed from the message.
    """
    secrets = list(secrets)
    if secrets and body:
        # Scrub the whole body before anything is cut to an excerpt: a secret straddling the cut would
        # otherwise escape the replacement and half of it would be quoted.
        body = scrub(body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body, secrets)
    parsed = parse_error_body(body)
    request_id = _header(headers, "RCRequestId")
    code = parsed.error_code or parsed.oauth_error
    quoted = _quoted(parsed)
    token_request = operation in {Operation.TOKEN_JWT, Operation.TOKEN_REFRESH}
    oauth_shaped = parsed.oauth_error is not None or (parsed.error_code or "").startswith("OAU-")
    retry_after = parse_retry_after(_header(headers, "Retry-After"))
    cls: type[RingSenseError]

    if status == 429:
        cls = RateLimitedError
        if retry_after is None:
            window = parse_retry_after(_header(headers, "X-Rate-Limit-Window"))
            retry_after = max(window or 0.0, DEFAULT_RATE_LIMIT_WAIT)
        group = _header(headers, "X-Rate-Limit-Group")
        which = f"the {group} rate-limit group" if group else "a RingCentral rate limit"
        message = f"Too many requests: {which} is exhausted. Try again in {retry_after:g} seconds."
    elif 500 <= status <= 599:
        cls = UpstreamError
        message = f"RingCentral failed to answer (HTTP {status}); try again shortly."
        if retry_after is not None:
            message = f"RingCentral failed to answer (HTTP {status}); try again in {retry_after:g} seconds."
    elif status == 401 or (token_request and oauth_shaped and 400 <= status < 500):
        cls = AuthenticationError
        message = _auth_message(status, parsed, operation)
    elif status == 403:
        cls = PermissionDeniedError
        message = _permission_message(parsed, operation)
    elif status == 404 and parsed.error_code == "AGW-404":
        cls = ApiNotEnabledError
        message = (
            "The RingSense API is not enabled for this app or account (the API gateway answered AGW-404). "
            "Check that the app has the RingSense scope and that RC_SERVER_URL is the right environment; "
            "if both are right, ask RingCentral to enable the RingSense API for the app."
        )
    elif status == 404 and operation is Operation.INSIGHTS:
        cls = InsightsNotFoundError
        message = (
            "No RingSense insights exist for this id. Either the call was not recorded by a user with a "
            "RingSense (AI Conversation Expert) license, the analysis has not finished yet (typically 15–30 "
            "minutes after the call ends), the data is past retention (1 year by default), or the id is not a "
            "recording id (pbx: the call-log recording.id) or session id (the telephonySessionId)."
        )
    elif status == 404:
        cls = NotFoundError
        message = "RingCentral has no such resource."
    elif 400 <= status <= 499:
        cls = BadRequestError
        message = f"RingCentral refused the request as invalid (HTTP {status})."
    else:
        cls = UpstreamError
        message = f"RingCentral answered with an unexpected HTTP {status}."

    return cls(
        scrub(message + quoted, secrets),
        status=status,
        error_code=scrub(code, secrets) if code else None,
        request_id=scrub(request_id, secrets) if request_id else None,
        retry_after=retry_after,
    )


def network_error(err: httpx.TransportError, *, host: str | None = None) -> NetworkError:
    """The NetworkError for an httpx transport failure (raise it `from err`)."""
    import httpx  # loaded already: `err` is one of its exceptions (see `_header` for why it is not at the top)

    where = f" to {host}" if host else ""
    if isinstance(err, httpx.ConnectTimeout):
        what = f"Timed out connecting{where}"
    elif isinstance(err, httpx.TimeoutException):
        what = f"Timed out waiting for RingCentral{where}"
    elif isinstance(err, httpx.ConnectError):
        what = f"Could not connect{where}"
    elif isinstance(err, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        what = f"The connection{where} was dropped mid-request"
    else:
        what = f"The request{where} failed ({type(err).__name__})"
    return NetworkError(f"{what}; check the network and RC_SERVER_URL, then try again.")
