"""`RingSenseClient`: the async client for RingSense insights, the permission check and the call log."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import quote, urlencode

import anyio
import httpx
from pydantic import BaseModel, ValidationError

from server import __version__

from .auth import REVOKE_PATH, AccessTokenCredentials, JWTCredentials, TokenManager
from .cache import DEFAULT_CACHE_BYTES, DEFAULT_CACHE_TTL, CacheKey, InsightsCache
from .errors import (
    InvalidIdError,
    Operation,
    PermissionDeniedError,
    RateLimitedError,
    ResponseFormatError,
    RingSenseError,
    TokenExpiredError,
    error_from_response,
    network_error,
)
from .models import CallLogPage, InsightType, PermissionCheck, RecordingInsights, SessionInsights, SharedResponse
from .params import (
    MAX_PAGE,
    MAX_PER_PAGE,
    choice_param,
    datetime_param,
    extension_number_param,
    insight_types_param,
    int_param,
    path_segment,
    phone_number_param,
    validate_domain,
    validate_id,
)
from .platform_models import WsToken
from .ratelimit import Pacer, Pacing, RateLimitGroup
from .responsestore import ResponseStore, read_shared
from .retry import RetryPolicy, run_with_retry
from .tokenstore import TokenStore

__all__ = [
    "DEFAULT_CACHE_BYTES",
    "DEFAULT_CACHE_TTL",
    "DEFAULT_TIMEOUT",
    "MAX_RESPONSE_BYTES",
    "REVOKE_TIMEOUT",
    "RingSenseClient",
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

_ACCOUNT_CALL_LOG = "/restapi/v1.0/account/~/call-log"
_EXTENSION_CALL_LOG = "/restapi/v1.0/account/~/extension/~/call-log"
_PERMISSION_CHECK = "/restapi/v1.0/account/~/extension/~/authz-profile/check"
_INSIGHTS = "/ai/ringsense/v1/public/accounts/~/domains/{domain}/{kind}/{id}/insights"
_WS_TOKEN = "/restapi/oauth/wstoken"  # noqa: S105 - a URL path

_log = logging.getLogger("server.ringsense")

M = TypeVar("M", bound=BaseModel)
Insights = TypeVar("Insights", RecordingInsights, SessionInsights)


def _checked(model: type[Insights], cached: RecordingInsights | SessionInsights) -> Insights:
    """`cached` as `model`; a cache key's kind ("records" or "sessions") decides its model, so this holds."""
    if not isinstance(cached, model):
        raise TypeError(f"the insights cache returned a {type(cached).__name__} where a {model.__name__} belongs")
    return cached


class RingSenseClient:
    """Async client for the RingSense (AI Conversation Expert) API and the endpoints around it.

    Keyword-only. One long-lived `httpx.AsyncClient` is used for every request; pass `http_client` to supply
    your own (its lifetime stays yours). `clock` and `sleep` drive token expiry, retries, pacing and the
    cache, so tests can replace them. Several processes share one token, one rate budget and one insights cache
    when given a shared `token_store`, `pacer` and `response_store` (see `server.ringsense.shared`); by default
    nothing is shared. Use as `async with client:` or call `aclose()`, which revokes the
    session (best effort).

    Every request method raises a `RingSenseError` subclass (see `server.ringsense.errors`) and nothing else;
    arguments are checked before any request (`InvalidIdError`, which is also a `ValueError`). A response body
    larger than `max_response_bytes` (after decompression) is not read past that size: `ResponseFormatError`.
    """

    def __init__(
        self,
        *,
        server_url: str,
        credentials: JWTCredentials | AccessTokenCredentials,
        http_client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        pacer: Pacing | None = None,
        token_store: TokenStore | None = None,
        response_store: ResponseStore | None = None,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        base = httpx.URL(server_url)
        if base.scheme not in {"http", "https"} or not base.host:
            raise ValueError("server_url must be an absolute http(s) URL")
        self._base = base.copy_with(query=None, fragment=None)
        self._prefix = base.raw_path.split(b"?")[0].rstrip(b"/")
        self._credentials = credentials
        self._owns_http = http_client is None
        self._http_client = http_client  # ours is made on the first request (see _http)
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._max_response_bytes = max_response_bytes
        self._retry = retry or RetryPolicy()
        self._pacer = pacer or Pacer(clock=clock, sleep=sleep)
        self._clock = clock
        self._sleep = sleep
        self._auth = TokenManager(credentials, post=self._post_form, clock=clock, store=token_store)
        self._responses = response_store
        self._cache_ttl = cache_ttl
        self._cache: InsightsCache[RecordingInsights | SessionInsights] = InsightsCache(
            ttl=cache_ttl, max_bytes=cache_bytes, clock=clock
        )
        self._call_log_level: Literal["account", "extension"] | None = None
        self._closing = False  # aclose() has begun: no second revoke
        self._closed = False  # aclose() is done: no more requests

    def __repr__(self) -> str:
        mode = "jwt" if isinstance(self._credentials, JWTCredentials) else "access_token"
        return f"RingSenseClient(server_url={str(self._base)!r}, auth={mode!r})"

    # -- lifecycle ----------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

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
                limits=httpx.Limits(
                    max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_EXPIRY
                ),
            )
        return self._http_client

    # -- public API -------------------------------------------------------------------------------

    @property
    def call_log_level(self) -> Literal["account", "extension"] | None:
        """Which call log answers: 'account' (company-wide), 'extension' (own calls only) or None (unknown)."""
        return self._call_log_level

    def rate_limit_status(self) -> dict[str, dict[str, Any]]:
        """The budget left in each rate-limit group (Light, Medium, Heavy, Auth), as this client sees it.

        JSON-ready: `{"Light": {"group", "limit", "window_seconds", "remaining", "blocked_for_seconds",
        "server_remaining"}, ...}` (the fields of `GroupBudget`).
        """
        return {group: budget.model_dump() for group, budget in self._pacer.budget().items()}

    async def check_permission(
        self, *, permission_id: str = "ReadRingSenseInsights", target_extension_id: str | None = None
    ) -> PermissionCheck:
        """Whether the logged-in user holds `permission_id` (optionally over `target_extension_id`)."""
        params = {"permissionId": validate_id(permission_id, what="permission id")}
        if target_extension_id is not None:
            params["targetExtensionId"] = validate_id(target_extension_id, what="target extension id")
        return await self._get(
            PermissionCheck, _PERMISSION_CHECK, params, group=RateLimitGroup.LIGHT, operation=Operation.PERMISSION_CHECK
        )

    async def get_record_insights(
        self, record_id: str, *, domain: str = "pbx", insight_types: Iterable[InsightType | str] | None = None
    ) -> RecordingInsights:
        """Insights of one recording; for pbx `record_id` is the call-log `recording.id`.

        Raises InsightsNotFoundError when there are none (yet), PermissionDeniedError, InvalidIdError, ….
        """
        return await self._insights(RecordingInsights, "records", record_id, domain, insight_types)

    async def get_session_insights(
        self, session_id: str, *, domain: str = "pbx", insight_types: Iterable[InsightType | str] | None = None
    ) -> SessionInsights:
        """Insights of every recording of a session; for pbx `session_id` is the `telephonySessionId`."""
        return await self._insights(SessionInsights, "sessions", session_id, domain, insight_types)

    async def list_call_log(
        self,
        *,
        date_from: datetime,
        date_to: datetime,
        direction: str | None = None,
        phone_number: str | None = None,
        telephony_session_id: str | None = None,
        extension_number: str | None = None,
        per_page: int = 100,
        page: int = 1,
        view: str = "Detailed",
    ) -> CallLogPage:
        """One page of recorded calls between `date_from` and `date_to` (naive datetimes are UTC).

        `phone_number` matches either party (sent as e.164 digits without `+`); `telephony_session_id` finds
        one call and its recordings (a RingSense `sourceSessionId` for pbx) in one request; `extension_number`
        narrows to calls of one extension. Reads the company call log; when the user may not (403), the user's
        own call log, and remembers that.
        """
        params: dict[str, str] = {
            "view": choice_param(view, ("Simple", "Detailed"), "view"),
            "recordingType": "All",
            "dateFrom": datetime_param(date_from, "date_from"),
            "dateTo": datetime_param(date_to, "date_to"),
            "perPage": str(int_param(per_page, "per_page", 1, MAX_PER_PAGE)),
            "page": str(int_param(page, "page", 1, MAX_PAGE)),
        }
        if params["dateFrom"] >= params["dateTo"]:
            raise InvalidIdError("date_from must be earlier than date_to.")
        if direction is not None:
            params["direction"] = choice_param(direction, ("Inbound", "Outbound"), "direction")
        if phone_number is not None:
            params["phoneNumber"] = phone_number_param(phone_number)
        if telephony_session_id is not None:
            params["telephonySessionId"] = validate_id(telephony_session_id, what="telephony session id")
        if extension_number is not None:
            params["extensionNumber"] = extension_number_param(extension_number)

        level = self._call_log_level or "account"
        if level == "account":
            try:
                result = await self._get(
                    CallLogPage, _ACCOUNT_CALL_LOG, params, group=RateLimitGroup.HEAVY, operation=Operation.CALL_LOG
                )
            except PermissionDeniedError as error:
                _log.info("company call log refused (%s); using the user's own call log", error.error_code)
                level = "extension"
        if level == "extension":
            result = await self._get(
                CallLogPage, _EXTENSION_CALL_LOG, params, group=RateLimitGroup.HEAVY, operation=Operation.CALL_LOG
            )
        self._call_log_level = level
        result.level = level
        return result

    async def create_ws_token(self) -> WsToken:
        """A single-use token for RingCentral's WebSocket gateway, and the gateway's `uri` (Auth rate group).

        Raises PermissionDeniedError when the app lacks the WebSocketsSubscription scope, and the other
        RingSenseError subclasses as any request does. Used by `EventSubscriber`; the token is a secret.
        """
        return await self._get(
            WsToken, _WS_TOKEN, {}, group=RateLimitGroup.AUTH, operation=Operation.WS_TOKEN, method="POST"
        )

    async def refresh_token_if_due(self) -> None:
        """Log in or refresh the access token if it is due, as any request would (keeps an idle session alive)."""
        await self._auth.token()

    # -- insights and the cache -------------------------------------------------------------------

    async def _insights(
        self,
        model: type[Insights],
        kind: Literal["records", "sessions"],
        source_id: str,
        domain: str,
        insight_types: Iterable[InsightType | str] | None,
    ) -> Insights:
        what = "recording id (sourceRecordId)" if kind == "records" else "session id (sourceSessionId)"
        segment = path_segment(source_id, what=what)
        domain = validate_domain(domain)
        types = insight_types_param(insight_types)
        path = _INSIGHTS.format(domain=domain, kind=kind, id=segment)
        params = {"insightTypes": ",".join(types)} if types else {}
        key: CacheKey = (domain, kind, source_id, types)
        # A cached response with every insight type answers any narrower request too (the caller reads only the
        # sections it asked for), so "summary first, transcript later" costs one request, not two.
        if types and (everything := self._cache.peek((domain, kind, source_id, None))) is not None:
            return _checked(model, everything)

        async def fetch() -> Insights:
            # The shared tier (other processes' responses) sits behind this process's own cache.
            responses = self._responses if self._cache_ttl > 0 else None
            if responses is not None and (shared := await read_shared(responses, model, key)) is not None:
                return shared
            result, body = await self._get_with_body(
                model, path, params, group=RateLimitGroup.LIGHT, operation=Operation.INSIGHTS
            )
            if responses is not None:
                await responses.put(key, body, ttl=self._cache_ttl)
            return result

        # Responses are shared, not copied: callers treat returned models as read-only (copying a 60 KB
        # transcript on every hit cost three times the rest of a cache hit).
        return _checked(model, await self._cache.get_or_fetch(key, fetch))

    # -- HTTP ------------------------------------------------------------------------------------

    def _url(self, path: str, params: Mapping[str, str] | None = None) -> httpx.URL:
        # Built from raw bytes so that httpx does not normalise the (already validated, encoded) path.
        raw = self._prefix + path.encode("ascii")
        if params:
            raw += b"?" + urlencode(params, quote_via=quote, safe=",:~").encode("ascii")
        return self._base.copy_with(raw_path=raw)

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

    async def _get(
        self,
        model: type[M],
        path: str,
        params: Mapping[str, str],
        *,
        group: RateLimitGroup,
        operation: Operation,
        method: Literal["GET", "POST"] = "GET",
    ) -> M:
        """GET (or an idempotent POST of) `model` (see `_get_with_body`)."""
        return (await self._get_with_body(model, path, params, group=group, operation=operation, method=method))[0]

    async def _get_with_body(
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
