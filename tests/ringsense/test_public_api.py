"""The package's public surface is deliberate."""

from __future__ import annotations

import server.ringsense as ringsense

EXPECTED = {
    # client and credentials
    "RingSenseClient", "JWTCredentials", "AccessTokenCredentials", "RetryPolicy", "Pacer", "RateLimitGroup",
    "GroupBudget",
    # constants
    "DEFAULT_TIMEOUT", "DEFAULT_CACHE_TTL", "DEFAULT_CACHE_SIZE", "MAX_ATTEMPTS", "MAX_RETRY_DELAY",
    "MAX_RETRY_TOTAL", "DOMAINS",
    # models
    "RecordingInsights", "SessionInsights", "PermissionCheck", "CallLogPage", "CallLogRecord", "InsightType",
    # errors
    "RingSenseError", "InvalidIdError", "AuthenticationError", "TokenExpiredError",
    "PermissionDeniedError", "NotFoundError", "InsightsNotFoundError", "ApiNotEnabledError", "BadRequestError",
    "RateLimitedError", "UpstreamError", "NetworkError", "ResponseFormatError",
}  # fmt: skip


def test_all_is_exactly_the_public_surface() -> None:
    assert set(ringsense.__all__) == EXPECTED
    assert len(ringsense.__all__) == len(EXPECTED)
    for name in ringsense.__all__:
        assert getattr(ringsense, name) is not None
