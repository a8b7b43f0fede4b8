"""The package's public surface is deliberate."""

from __future__ import annotations

import server.ringsense as ringsense
import server.ringsense.shared as shared

EXPECTED = {
    # client and credentials
    "RingSenseClient", "JWTCredentials", "AccessTokenCredentials", "RetryPolicy", "Pacer", "RateLimitGroup",
    "GroupBudget",
    # what several processes share through (server.ringsense.shared implements them over Redis)
    "TokenStore", "StoredToken", "InProcessTokenStore", "Pacing", "ResponseStore",
    # constants
    "DEFAULT_TIMEOUT", "DEFAULT_CACHE_TTL", "DEFAULT_CACHE_BYTES", "MAX_ATTEMPTS", "MAX_RETRY_DELAY",
    "MAX_RETRY_TOTAL", "DOMAINS",
    # models
    "RecordingInsights", "SessionInsights", "PermissionCheck", "CallLogPage", "CallLogRecord", "InsightType",
    # errors
    "RingSenseError", "InvalidIdError", "AuthenticationError", "TokenExpiredError",
    "PermissionDeniedError", "NotFoundError", "InsightsNotFoundError", "ApiNotEnabledError", "BadRequestError",
    "RateLimitedError", "UpstreamError", "NetworkError", "ResponseFormatError",
    # live events
    "EventSubscriber", "InsightsEvent", "Gap", "EventItem", "Backoff", "SubscriberState", "SubscriberStatus",
    "WsToken",
}  # fmt: skip


def test_all_is_exactly_the_public_surface() -> None:
    assert set(ringsense.__all__) == EXPECTED
    assert len(ringsense.__all__) == len(EXPECTED)
    for name in ringsense.__all__:
        assert getattr(ringsense, name) is not None


SHARED = {
    "SharedState", "SharedRedis", "RedisTokenStore", "SharedPacer", "RedisResponseStore", "Lease", "Term",
    "LEASE_TTL", "describe_url", "namespace_for", "EventRelay", "SharedSubscription", "EVENTS_LEASE",
}  # fmt: skip


def test_the_shared_state_package_has_a_deliberate_surface() -> None:
    assert set(shared.__all__) == SHARED
    assert len(shared.__all__) == len(SHARED)
