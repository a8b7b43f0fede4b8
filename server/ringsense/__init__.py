"""Async client for RingCentral RingSense (AI Conversation Expert) call insights.

```python
client = RingSenseClient(server_url=..., credentials=JWTCredentials(client_id, client_secret, jwt))
async with client:
    insights = await client.get_record_insights(record_id, insight_types=["Transcript", "Summary"])
```

Every failure is a `RingSenseError`; see `server.ringsense.errors` for the tree. Replicas share a token, a rate
budget and insights responses through the `TokenStore`, `Pacing` and `ResponseStore` interfaces, implemented
over Redis in `server.ringsense.shared` (imported on its own: a single process never loads Redis).

Live events (`docs/events.md`):

```python
async with EventSubscriber(client, domains=["pbx"]) as events:
    async for item in events:  # InsightsEvent, or Gap when events may have been missed
        ...
```

The names below load on first use (PEP 562): importing `server.ringsense.params` for a constant, or the config
for the credential types, does not import httpx or websockets, and a stdio server answers its client's handshake
before any of them loads.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auth import AccessTokenCredentials, JWTCredentials
    from .client import DEFAULT_CACHE_BYTES, DEFAULT_CACHE_TTL, DEFAULT_TIMEOUT, RingSenseClient
    from .errors import (
        ApiNotEnabledError,
        AuthenticationError,
        BadRequestError,
        InsightsNotFoundError,
        InvalidIdError,
        NetworkError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitedError,
        ResponseFormatError,
        RingSenseError,
        TokenExpiredError,
        UpstreamError,
    )
    from .events import EventItem, Gap, InsightsEvent
    from .models import (
        CallLogPage,
        CallLogRecord,
        InsightType,
        PermissionCheck,
        RecordingInsights,
        SessionInsights,
    )
    from .params import DOMAINS
    from .platform_models import WsToken
    from .ratelimit import GroupBudget, Pacer, Pacing, RateLimitGroup
    from .responsestore import ResponseStore
    from .retry import MAX_ATTEMPTS, MAX_RETRY_DELAY, MAX_RETRY_TOTAL, RetryPolicy
    from .subscriber import Backoff, EventSubscriber, SubscriberState, SubscriberStatus
    from .tokenstore import InProcessTokenStore, StoredToken, TokenStore

__all__ = [
    "DEFAULT_CACHE_BYTES",
    "DEFAULT_CACHE_TTL",
    "DEFAULT_TIMEOUT",
    "DOMAINS",
    "MAX_ATTEMPTS",
    "MAX_RETRY_DELAY",
    "MAX_RETRY_TOTAL",
    "AccessTokenCredentials",
    "ApiNotEnabledError",
    "AuthenticationError",
    "Backoff",
    "BadRequestError",
    "CallLogPage",
    "CallLogRecord",
    "EventItem",
    "EventSubscriber",
    "Gap",
    "GroupBudget",
    "InProcessTokenStore",
    "InsightType",
    "InsightsEvent",
    "InsightsNotFoundError",
    "InvalidIdError",
    "JWTCredentials",
    "NetworkError",
    "NotFoundError",
    "Pacer",
    "Pacing",
    "PermissionCheck",
    "PermissionDeniedError",
    "RateLimitGroup",
    "RateLimitedError",
    "RecordingInsights",
    "ResponseFormatError",
    "ResponseStore",
    "RetryPolicy",
    "RingSenseClient",
    "RingSenseError",
    "SessionInsights",
    "StoredToken",
    "SubscriberState",
    "SubscriberStatus",
    "TokenExpiredError",
    "TokenStore",
    "UpstreamError",
    "WsToken",
]

# Where each public name lives; `__getattr__` imports the module the first time the name is asked for.
_SOURCES = {
    "AccessTokenCredentials": "auth",
    "JWTCredentials": "auth",
    "DEFAULT_CACHE_BYTES": "client",
    "DEFAULT_CACHE_TTL": "client",
    "DEFAULT_TIMEOUT": "client",
    "RingSenseClient": "client",
    "ApiNotEnabledError": "errors",
    "AuthenticationError": "errors",
    "BadRequestError": "errors",
    "InsightsNotFoundError": "errors",
    "InvalidIdError": "errors",
    "NetworkError": "errors",
    "NotFoundError": "errors",
    "PermissionDeniedError": "errors",
    "RateLimitedError": "errors",
    "ResponseFormatError": "errors",
    "RingSenseError": "errors",
    "TokenExpiredError": "errors",
    "UpstreamError": "errors",
    "EventItem": "events",
    "Gap": "events",
    "InsightsEvent": "events",
    "CallLogPage": "models",
    "CallLogRecord": "models",
    "InsightType": "models",
    "PermissionCheck": "models",
    "RecordingInsights": "models",
    "SessionInsights": "models",
    "DOMAINS": "params",
    "WsToken": "platform_models",
    "GroupBudget": "ratelimit",
    "Pacer": "ratelimit",
    "Pacing": "ratelimit",
    "RateLimitGroup": "ratelimit",
    "ResponseStore": "responsestore",
    "MAX_ATTEMPTS": "retry",
    "MAX_RETRY_DELAY": "retry",
    "MAX_RETRY_TOTAL": "retry",
    "RetryPolicy": "retry",
    "Backoff": "subscriber",
    "EventSubscriber": "subscriber",
    "SubscriberState": "subscriber",
    "SubscriberStatus": "subscriber",
    "InProcessTokenStore": "tokenstore",
    "StoredToken": "tokenstore",
    "TokenStore": "tokenstore",
}


def __getattr__(name: str) -> Any:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
