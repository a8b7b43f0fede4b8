"""Async client for RingCentral RingSense (AI Conversation Expert) call insights.

```python
client = RingSenseClient(server_url=..., credentials=JWTCredentials(client_id, client_secret, jwt))
async with client:
    insights = await client.get_record_insights(record_id, insight_types=["Transcript", "Summary"])
```

Every failure is a `RingSenseError`; see `server.ringsense.errors` for the tree.
"""

from .auth import AccessTokenCredentials, JWTCredentials
from .client import DEFAULT_CACHE_SIZE, DEFAULT_CACHE_TTL, DEFAULT_TIMEOUT, RingSenseClient
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
from .models import (
    CallLogPage,
    CallLogRecord,
    InsightType,
    PermissionCheck,
    RecordingInsights,
    SessionInsights,
)
from .params import DOMAINS
from .ratelimit import GroupBudget, Pacer, RateLimitGroup
from .retry import MAX_ATTEMPTS, MAX_RETRY_DELAY, MAX_RETRY_TOTAL, RetryPolicy

__all__ = [
    "DEFAULT_CACHE_SIZE",
    "DEFAULT_CACHE_TTL",
    "DEFAULT_TIMEOUT",
    "DOMAINS",
    "MAX_ATTEMPTS",
    "MAX_RETRY_DELAY",
    "MAX_RETRY_TOTAL",
    "AccessTokenCredentials",
    "ApiNotEnabledError",
    "AuthenticationError",
    "BadRequestError",
    "CallLogPage",
    "CallLogRecord",
    "GroupBudget",
    "InsightType",
    "InsightsNotFoundError",
    "InvalidIdError",
    "JWTCredentials",
    "NetworkError",
    "NotFoundError",
    "Pacer",
    "PermissionCheck",
    "PermissionDeniedError",
    "RateLimitGroup",
    "RateLimitedError",
    "RecordingInsights",
    "ResponseFormatError",
    "RetryPolicy",
    "RingSenseClient",
    "RingSenseError",
    "SessionInsights",
    "TokenExpiredError",
    "UpstreamError",
]
