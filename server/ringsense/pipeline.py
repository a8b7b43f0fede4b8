"""The request pipeline under `RingSenseClient`: one HTTP request from pacing to a parsed model or an error.

`RequestPipeline` owns the one long-lived `httpx.AsyncClient`, the token manager, the pacer and the retry policy.
A request waits for its turn in its rate-limit group, takes a bearer token once that turn has come, is sent, has
its body read up to a size cap, is replayed once per rejected token on 401, is retried per the policy, and ends
as a pydantic model or as one `RingSenseError` (statuses mapped in `errors.error_from_response`). OAuth form
posts (token, refresh, revoke) go through the same pacing and error mapping. The public methods that build
paths and parameters live in `client.py`; nothing here knows an endpoint beyond the OAuth revoke path.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from http.cookiejar import Cookie, CookieJar
from typing import Any, Literal, TypeVar
from urllib.parse import quote, urlencode
from urllib.request import Request

import anyio
import httpx
from pydantic import BaseModel, ValidationError

from server import __version__

from .auth import REVOKE_PATH, AccessTokenCredentials, JWTCredentials, TokenManager
from .errors import (
    Operation,
    RateLimitedError,
    ResponseFormatError,
    RingSenseError,
    TokenExpiredError,
    error_from_response,
    network_error,
)
from .models import SharedResponse
from .ratelimit import Pacing, RateLimitGroup
from .retry import RetryPolicy, run_with_retry
from .tokenstore import TokenStore

__all__ = [
    "DEFAULT_TIMEOUT",
    "KEEPALIVE_EXPIRY",
    "MAX_RESPONSE_BYTES",
    "MAX_TOKEN_RENEWALS",
    "REVOKE_TIMEOUT",
    "USER_AGENT",
    "RequestPipeline",
]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
REVOKE_TIMEOUT = 5.0  # aclose() waits this long at most for the best-effort revoke
# The most a response body may hold. The largest real answer is a long call's insights: the sandbox's 90-minute,
# 1,525-utterance call is 232 KB, so a 4-hour call is about 0.6 MB; 32 MiB is over 50 times that and still keeps
# a hostile or broken upstream from making the server hold hundreds of megabytes.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
MAX_TOKEN_RENEWALS = 2  # 401-driven token renewals per request (a second covers a token expiring in the queue)
USER_AGENT = f"ringsense-mcp/{__version__} (python-httpx)"
# Idle connections are dropped after this long, before the server drops them: a request sent on a connection the
# server is closing fails (ReadError) after it took its rate-limit slot, and its retry waits for another slot —
# at a busy window's turnover, a whole window. Servers commonly close idle connections after 5 s (uvicorn and
# Node.js by default), the same as httpx's own default, so the two raced; a new connection costs far less.
KEEPALIVE_EXPIRY = 4.0

_log = logging.getLogger("server.ringsense")

M = TypeVar("M", bound=BaseModel)


class _NoCookies(CookieJar):
    """A cookie jar that keeps nothing: the RingCentral API authenticates by bearer token and documents no cookie,
    and reading a response's `Set-Cookie` headers into a jar (which httpx does for every response) cost about
    45 µs a request — copying every header into an `email.message.Message` first."""

    def extract_cookies(self, response: Any, request: Request) -> None:
        return None

    def set_cookie(self, cookie: Cookie) -> None:
        return None


class RequestPipeline:
    """Paced, authenticated, retried requests to one RingCentral server; see the module docstring.

    Made by `RingSenseClient`, which passes its own arguments through (see its docstring). Raises ValueError
    for a `server_url` that is not an absolute http(s) URL. After `aclose()` every request raises RuntimeError.
    """

    def __init__(
        self,
        *,
        server_url: str,
        credentials: JWTCredentials | AccessTokenCredentials,
        http_client: httpx.AsyncClient | None,
        timeout: httpx.Timeout | float,
        retry: RetryPolicy,
        pacer: Pacing,
        token_store: TokenStore | None,
        max_response_bytes: int,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        base = httpx.URL(server_url)
        if base.scheme not in {"http", "https"} or not base.host:
            raise ValueError("server_url must be an absolute http(s) URL")
        self._base = base.copy_with(query=None, fragment=None)
        self._prefix = base.raw_path.split(b"?")[0].rstrip(b"/")
        self._origin = str(self._base.copy_with(raw_path=b""))  # scheme://[userinfo@]host[:port], nothing after
        self._credentials = credentials
        self._owns_http = http_client is None
        self._http_client = http_client  # ours is made on the first request (see _http)
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._max_response_bytes = max_response_bytes
        self._retry = retry
        self._pacer = pacer
        self._clock = clock
        self._sleep = sleep
        self._auth = TokenManager(credentials, post=self._post_form, clock=clock, store=token_store)
        self._closing = False  # aclose() has begun: no second revoke
        self._closed = False  # aclose() is done: no more requests

    @property
    def base(self) -> httpx.URL:
        """The server URL requests go to (no query, no fragment)."""
        return self._base

    @property
    def pacer(self) -> Pacing:
        """The pacer every request takes its turn from (its `budget()` is the client's rate-limit status)."""
        return self._pacer

    @property
    def auth(self) -> TokenManager:
        """The token manager that logs in, refreshes and revokes through this pipeline's OAuth posts."""
        return self._auth

    async def aclose(self) -> None:
        """Revoke the session (best effort: failures are ignored) and close the HTTP client if owned."""
        if self._closing:
            return
        self._closing = True
        try:
            with anyio.move_on_after(REVOKE_TIMEOUT, shield=True):
                try:
                    await self._auth.revoke()
                except RingSenseError as error:
                    _log.info("revoking the session failed (%s); ignored", type(error).__name__)
        finally:
            self._closed = True
            if self._owns_http and self._http_client is not None:
                await self._http_client.aclose()

    @property
    def _http(self) -> httpx.AsyncClient:
        # Made on the first request, not with the client: loading the TLS certificate store is the slowest thing
        # this server did before answering `initialize` (~70 ms here), and the handshake needs no request.
        if self._http_client is None:
            self._http_client = httpx.AsyncClient(
                timeout=self._timeout,
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT},
                cookies=_NoCookies(),
                limits=httpx.Limits(
                    max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_EXPIRY
                ),
            )
        return self._http_client

    def _url(self, path: str, params: Mapping[str, str] | None = None) -> httpx.URL:
        # `path` is validated and encoded, so the URL is parsed once from its text, as a third faster than
        # `copy_with(raw_path=...)` on the base (which checks every component again); same URL either way. A `#`,
        # which the text would read as a fragment, goes through copy_with (no path of ours has one).
        raw = self._prefix + path.encode("ascii")
        if params:
            raw += b"?" + urlencode(params, quote_via=quote, safe=",:~").encode("ascii")
        if b"#" in raw:
            return self._base.copy_with(raw_path=raw)
        return httpx.URL(self._origin + raw.decode("ascii"))

    async def _send(
        self,
        method: str,
        path: str,
        *,
        group: RateLimitGroup,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        bearer: Callable[[], Awaitable[str]] | None = None,
    ) -> httpx.Response:
        """One paced request; transport failures become NetworkError. `bearer` is asked once the turn has come."""
        if self._closed:
            raise RuntimeError("the RingSenseClient is closed")
        url = self._url(path, params)
        async with self._pacer.slot(group, max_penalty_wait=self._retry.max_delay):
            if bearer is not None:
                headers = {**(headers or {}), "Authorization": f"Bearer {await bearer()}"}
            request = self._http.build_request(
                method, url, headers={"Accept": "application/json", **(headers or {})}, data=form, timeout=self._timeout
            )
            try:
                response = await self._http.send(request, auth=auth, stream=True)
                try:
                    await self._read_capped(response)
                finally:
                    await response.aclose()
            except httpx.TransportError as err:
                _log.info("%s %s failed: %s", method, path, type(err).__name__)
                raise network_error(err, host=self._base.host) from err
            except httpx.DecodingError as err:
                raise ResponseFormatError(
                    "RingCentral sent a response body that could not be decoded.", status=None
                ) from err
        self._pacer.observe(group, response.headers)
        request_id = response.headers.get("RCRequestId")
        _log.debug("%s %s -> %d (RCRequestId %s)", method, path, response.status_code, request_id)
        return response

    async def _read_capped(self, response: httpx.Response) -> None:
        """Read the body, refusing one larger than `max_response_bytes`: by its Content-Length before reading,
        else as soon as the decoded bytes pass the cap (a chunked or compressed body announces nothing)."""
        cap = self._max_response_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise self._too_large(response, f"announced {int(declared):,} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise self._too_large(response, f"passed {cap:,} bytes and was still coming")
            chunks.append(chunk)
        # What `Response.aread()` does once the body is in: later `.content` and `.json()` read these bytes.
        response._content = b"".join(chunks)

    def _too_large(self, response: httpx.Response, how: str) -> ResponseFormatError:
        _log.warning("refused a response body from %s: it %s", self._base.host, how)
        return ResponseFormatError(
            f"RingCentral's response was too large to read: it {how}, and the server reads at most "
            f"{self._max_response_bytes // (1024 * 1024)} MiB (a 4-hour call's insights are under 1 MiB). "
            "Nothing was kept. If RC_SERVER_URL points at a proxy, check it; otherwise try again, and report it "
            "with the request id if it persists.",
            status=response.status_code,
            request_id=response.headers.get("RCRequestId"),
        )

    def _error(self, response: httpx.Response, operation: Operation, group: RateLimitGroup) -> RingSenseError:
        error = error_from_response(
            response.status_code,
            response.content,
            response.headers,
            operation=operation,
            secrets=self._auth.secrets(),
        )
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            self._pacer.block(group, error.retry_after)
        return error

    def _json_object(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise self._not_a_json_object(response)
        return data

    @staticmethod
    def _not_a_json_object(response: httpx.Response) -> ResponseFormatError:
        return ResponseFormatError(
            "RingCentral answered with a body that is not the JSON object the API documents "
            f"(HTTP {response.status_code}, {len(response.content)} bytes); try again, and report it if it "
            "persists.",
            status=response.status_code,
            request_id=response.headers.get("RCRequestId"),
        )

    def _parse(self, model: type[M], response: httpx.Response) -> M:
        try:
            if issubclass(model, SharedResponse):
                # Insights: parsed once, from the bytes, by pydantic-core (twice as fast as json.loads here), and
                # the body's size kept for the cache's byte budget.
                parsed: M = model.from_body(response.content)
                return parsed
            return model.model_validate(self._json_object(response))
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            raise ResponseFormatError(
                f"RingCentral's response does not have the documented shape ({where}: {first['msg']}). "
                "Try again; if it persists, the API may have changed: report it with the request id.",
                status=response.status_code,
                request_id=response.headers.get("RCRequestId"),
            ) from None
        except ValueError:  # not JSON, or not an object
            raise self._not_a_json_object(response) from None

    async def get(
        self,
        model: type[M],
        path: str,
        params: Mapping[str, str],
        *,
        group: RateLimitGroup,
        operation: Operation,
        method: Literal["GET", "POST"] = "GET",
    ) -> M:
        """GET (or an idempotent POST of) `model` (see `get_with_body`)."""
        return (await self.get_with_body(model, path, params, group=group, operation=operation, method=method))[0]

    async def get_with_body(
        self,
        model: type[M],
        path: str,
        params: Mapping[str, str],
        *,
        group: RateLimitGroup,
        operation: Operation,
        method: Literal["GET", "POST"] = "GET",
    ) -> tuple[M, bytes]:
        """GET (or idempotent POST) `model` and the body it was parsed from, with a bearer token: refresh-and-replay
        on 401 (bounded), retries per the policy.

        The token is taken after the request's turn in the pacer has come, not before: under load a request may
        wait long enough in the queue for the token it would have carried to expire.
        """
        renewed: set[str] = set()  # tokens rejected with a 401 and renewed, across attempts
        auth_errors: list[RingSenseError] = []  # errors of the token request: already retried, never again

        async def token(renew_rejected: str | None = None) -> str:
            try:
                if renew_rejected is None:
                    return await self._auth.token()
                return await self._auth.renew_after_unauthorized(renew_rejected)
            except RingSenseError as error:
                auth_errors.append(error)
                raise

        async def attempt() -> tuple[M, bytes]:
            sent: list[str] = []

            async def bearer() -> str:
                sent.append(await token())
                return sent[-1]

            response = await self._send(method, path, group=group, params=params, bearer=bearer)
            # A 401 for a token not renewed yet: renew once for it and replay. A second token can expire
            # during the replay's wait under heavy load, so a different rejected token may be renewed too.
            while response.status_code == 401 and sent[-1] not in renewed and len(renewed) < MAX_TOKEN_RENEWALS:
                renewed.add(sent[-1])
                try:
                    await token(renew_rejected=sent[-1])
                except TokenExpiredError as error:  # a pre-issued token: say which request found out
                    rejected = self._error(response, operation, group)
                    error.error_code, error.request_id = rejected.error_code, rejected.request_id
                    raise
                response = await self._send(method, path, group=group, params=params, bearer=bearer)
            if not response.is_success:
                raise self._error(response, operation, group)
            return self._parse(model, response), response.content

        return await run_with_retry(
            attempt,
            policy=self._retry,
            idempotent=True,
            clock=self._clock,
            sleep=self._sleep,
            what=f"{method} {path}",
            retry_if=lambda error: all(error is not seen for seen in auth_errors),
        )

    async def _post_form(self, path: str, form: Mapping[str, str], *, operation: Operation) -> dict[str, Any]:
        """POST a form to an OAuth endpoint with Basic app credentials (the token manager's `post`)."""
        credentials = self._credentials
        if not isinstance(credentials, JWTCredentials):
            raise RuntimeError("OAuth requests need JWT credentials")  # the token manager never asks
        basic = httpx.BasicAuth(credentials.client_id, credentials.client_secret.get_secret_value())
        if path == REVOKE_PATH:  # best effort, never retried (RingCentral: ignore revoke errors)
            response = await self._send("POST", path, group=RateLimitGroup.AUTH, form=form, auth=basic)
            if not response.is_success:
                raise self._error(response, operation, RateLimitGroup.AUTH)
            return {}

        async def attempt() -> dict[str, Any]:
            response = await self._send("POST", path, group=RateLimitGroup.AUTH, form=form, auth=basic)
            if not response.is_success:
                raise self._error(response, operation, RateLimitGroup.AUTH)
            return self._json_object(response)

        return await run_with_retry(
            attempt,
            policy=self._retry,
            idempotent=False,
            clock=self._clock,
            sleep=self._sleep,
            what=f"POST {path}",
        )
