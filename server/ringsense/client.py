"""`RingSenseClient`: the async client for RingSense insights, the permission check and the call log.

The public methods live here: they check their arguments, build the endpoint's path and parameters, and keep
what is per-client (the insights cache, which call log answers). Sending, pacing, tokens, retries and mapping a
response to a model or an error are the request pipeline's (`pipeline.RequestPipeline`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import anyio
import httpx

from .auth import AccessTokenCredentials, JWTCredentials
from .cache import DEFAULT_CACHE_BYTES, DEFAULT_CACHE_TTL, CacheKey, InsightsCache
from .errors import InvalidIdError, Operation, PermissionDeniedError
from .models import CallLogPage, InsightType, PermissionCheck, RecordingInsights, SessionInsights
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
from .pipeline import DEFAULT_TIMEOUT, MAX_RESPONSE_BYTES, REVOKE_TIMEOUT, RequestPipeline
from .platform_models import WsToken
from .ratelimit import Pacer, Pacing, RateLimitGroup
from .responsestore import ResponseStore, read_shared
from .retry import RetryPolicy
from .tokenstore import TokenStore

__all__ = [
    "DEFAULT_CACHE_BYTES",
    "DEFAULT_CACHE_TTL",
    "DEFAULT_TIMEOUT",
    "MAX_RESPONSE_BYTES",
    "REVOKE_TIMEOUT",
    "RingSenseClient",
]

_ACCOUNT_CALL_LOG = "/restapi/v1.0/account/~/call-log"
_EXTENSION_CALL_LOG = "/restapi/v1.0/account/~/extension/~/call-log"
_PERMISSION_CHECK = "/restapi/v1.0/account/~/extension/~/authz-profile/check"
_INSIGHTS = "/ai/ringsense/v1/public/accounts/~/domains/{domain}/{kind}/{id}/insights"
_WS_TOKEN = "/restapi/oauth/wstoken"  # noqa: S105 - a URL path

_log = logging.getLogger("server.ringsense")

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
        self._credentials = credentials
        self._pipeline = RequestPipeline(
            server_url=server_url,
            credentials=credentials,
            http_client=http_client,
            timeout=timeout,
            retry=retry or RetryPolicy(),
            pacer=pacer or Pacer(clock=clock, sleep=sleep),
            token_store=token_store,
            max_response_bytes=max_response_bytes,
            clock=clock,
            sleep=sleep,
        )
        self._responses = response_store
        self._cache_ttl = cache_ttl
        self._cache: InsightsCache[RecordingInsights | SessionInsights] = InsightsCache(
            ttl=cache_ttl, max_bytes=cache_bytes, clock=clock
        )
        self._call_log_level: Literal["account", "extension"] | None = None

    def __repr__(self) -> str:
        mode = "jwt" if isinstance(self._credentials, JWTCredentials) else "access_token"
        return f"RingSenseClient(server_url={str(self._pipeline.base)!r}, auth={mode!r})"

    # -- lifecycle ----------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Revoke the session (best effort: failures are ignored) and close the HTTP client if owned."""
        await self._pipeline.aclose()

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
        return {group: budget.model_dump() for group, budget in self._pipeline.pacer.budget().items()}

    async def check_permission(
        self, *, permission_id: str = "ReadRingSenseInsights", target_extension_id: str | None = None
    ) -> PermissionCheck:
        """Whether the logged-in user holds `permission_id` (optionally over `target_extension_id`)."""
        params = {"permissionId": validate_id(permission_id, what="permission id")}
        if target_extension_id is not None:
            params["targetExtensionId"] = validate_id(target_extension_id, what="target extension id")
        return await self._pipeline.get(
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
                result = await self._pipeline.get(
                    CallLogPage, _ACCOUNT_CALL_LOG, params, group=RateLimitGroup.HEAVY, operation=Operation.CALL_LOG
                )
            except PermissionDeniedError as error:
                _log.info("company call log refused (%s); using the user's own call log", error.error_code)
                level = "extension"
        if level == "extension":
            result = await self._pipeline.get(
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
        return await self._pipeline.get(
            WsToken, _WS_TOKEN, {}, group=RateLimitGroup.AUTH, operation=Operation.WS_TOKEN, method="POST"
        )

    async def refresh_token_if_due(self) -> None:
        """Log in or refresh the access token if it is due, as any request would (keeps an idle session alive)."""
        await self._pipeline.auth.token()

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
            result, body = await self._pipeline.get_with_body(
                model, path, params, group=RateLimitGroup.LIGHT, operation=Operation.INSIGHTS
            )
            if responses is not None:
                await responses.put(key, body, ttl=self._cache_ttl)
            return result

        # Responses are shared, not copied: callers treat returned models as read-only (copying a 60 KB
        # transcript on every hit cost three times the rest of a cache hit).
        return _checked(model, await self._cache.get_or_fetch(key, fetch))
