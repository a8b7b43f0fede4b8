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
"""

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
