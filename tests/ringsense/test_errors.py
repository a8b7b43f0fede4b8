"""The one status→class mapping, every RingCentral error body shape, and secret scrubbing."""

from __future__ import annotations

import json

import httpx
import pytest

from server.ringsense import errors as errors_module
from server.ringsense.errors import (
    DEFAULT_RATE_LIMIT_WAIT,
    ApiNotEnabledError,
    AuthenticationError,
    BadRequestError,
    InsightsNotFoundError,
    InvalidIdError,
    NetworkError,
    NotFoundError,
    Operation,
    PermissionDeniedError,
    RateLimitedError,
    ResponseFormatError,
    RingSenseError,
    TokenExpiredError,
    UpstreamError,
    error_from_response,
    network_error,
    parse_error_body,
    parse_retry_after,
    scrub,
)


def legacy(code: str, message: str) -> str:
    return json.dumps({"errorCode": code, "message": message, "errors": [{"errorCode": code, "message": message}]})


def oauth(error: str, code: str, description: str) -> str:
    return json.dumps(
        {"error": error, "errors": [{"errorCode": code, "message": description}], "error_description": description}
    )


def test_the_tree_is_the_documented_one() -> None:
    parents = {
        InvalidIdError: RingSenseError,
        AuthenticationError: RingSenseError,
        TokenExpiredError: AuthenticationError,
        PermissionDeniedError: RingSenseError,
        NotFoundError: RingSenseError,
        InsightsNotFoundError: NotFoundError,
        ApiNotEnabledError: NotFoundError,
        BadRequestError: RingSenseError,
        RateLimitedError: RingSenseError,
        UpstreamError: RingSenseError,
        NetworkError: RingSenseError,
        ResponseFormatError: RingSenseError,
    }
    for cls, parent in parents.items():
        assert cls.__bases__[0] is parent, cls
    assert issubclass(InvalidIdError, ValueError)
    for cls in parents:
        assert cls.__name__ in errors_module.__doc__


@pytest.mark.parametrize(
    ("body", "code", "message", "oauth_error"),
    [
        (
            json.dumps({"errors": [{"errorCode": "ABC-123", "message": "Error message"}]}),
            "ABC-123",
            "Error message",
            None,
        ),
        (json.dumps({"errorCode": "AGW-404", "message": "Resource not found"}), "AGW-404", "Resource not found", None),
        (legacy("CMN-301", "Request rate exceeded"), "CMN-301", "Request rate exceeded", None),
        (oauth("invalid_client", "OAU-153", "Invalid client: "), "OAU-153", "Invalid client:", "invalid_client"),
        (
            json.dumps({"error": "invalid_grant", "error_description": "JWT expired"}),
            None,
            "JWT expired",
            "invalid_grant",
        ),
        (json.dumps({"errors": [], "errorCode": "CMN-102"}), "CMN-102", None, None),
        (json.dumps({"errors": ["weird", {"errorCode": "X-1"}]}), "X-1", None, None),
    ],
)
def test_every_json_error_shape_is_read(
    body: str, code: str | None, message: str | None, oauth_error: str | None
) -> None:
    parsed = parse_error_body(body.encode())
    assert (parsed.error_code, parsed.message, parsed.oauth_error) == (code, message, oauth_error)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        None,
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        b"\xff\xfe\x00garbage{",
        b"[1, 2]",
        b'"a string"',
        b"{}",
        b'{"unrelated": true}',
        b'{"errors": "not a list"}',
        b"{truncated",
    ],
)
def test_odd_bodies_never_raise(body: bytes | None) -> None:
    parsed = parse_error_body(body)
    assert parsed.error_code is None
    error = error_from_response(500, body, {})
    assert isinstance(error, UpstreamError)


CASES = [
    # status, body, operation, class, error_code, words the message must contain
    (
        401,
        oauth("invalid_client", "OAU-153", "Invalid client: x"),
        Operation.TOKEN_JWT,
        AuthenticationError,
        "OAU-153",
        ["client id or client secret"],
    ),
    (
        400,
        oauth("invalid_grant", "OAU-140", "Invalid resource owner credentials"),
        Operation.TOKEN_JWT,
        AuthenticationError,
        "OAU-140",
        ["JWT", "expired", "revoked", "Generate a new JWT credential"],
    ),
    (
        400,
        oauth("invalid_grant", "OAU-211", "Token is revoked"),
        Operation.TOKEN_REFRESH,
        AuthenticationError,
        "OAU-211",
        ["refresh token"],
    ),
    (
        400,
        json.dumps({"error": "unauthorized_client"}),
        Operation.TOKEN_JWT,
        AuthenticationError,
        "unauthorized_client",
        ["JWT auth flow"],
    ),
    (401, legacy("OAU-128", "Access token expired"), Operation.INSIGHTS, AuthenticationError, "OAU-128", ["expired"]),
    (
        401,
        legacy("CMN-405", "Login to extension required"),
        Operation.API,
        AuthenticationError,
        "CMN-405",
        ["extension"],
    ),
    (401, b"", Operation.INSIGHTS, AuthenticationError, None, ["access token"]),
    (
        403,
        legacy("CMN-408", "user needs [ReadRingSenseInsights]"),
        Operation.INSIGHTS,
        PermissionDeniedError,
        "CMN-408",
        ["AI Conversation Expert – Access Insights", "ReadRingSenseInsights", "RingSense scope"],
    ),
    (
        403,
        legacy("RAH-3005", "Insufficient permissions"),
        Operation.INSIGHTS,
        PermissionDeniedError,
        "RAH-3005",
        ["ReadRingSenseInsights"],
    ),
    (
        403,
        legacy("CMN-401", "In order to call this API endpoint, application needs to have [RingSense] permission"),
        Operation.INSIGHTS,
        PermissionDeniedError,
        "CMN-401",
        ["RingSense scope"],
    ),
    (
        403,
        legacy("CMN-408", "user needs [FullCompanyCallLog]"),
        Operation.CALL_LOG,
        PermissionDeniedError,
        "CMN-408",
        ["FullCompanyCallLog", "ReadCallLog"],
    ),
    (
        403,
        legacy("CMN-401", "app needs [ReadCallLog]"),
        Operation.CALL_LOG,
        PermissionDeniedError,
        "CMN-401",
        ["ReadCallLog scope"],
    ),
    (
        404,
        legacy("RAH-3001", "Insights not found"),
        Operation.INSIGHTS,
        InsightsNotFoundError,
        "RAH-3001",
        ["licens", "15–30 minutes", "retention", "1 year"],
    ),
    (
        404,
        json.dumps({"errorCode": "AGW-404", "message": "Resource not found"}),
        Operation.INSIGHTS,
        ApiNotEnabledError,
        "AGW-404",
        ["not enabled"],
    ),
    (
        404,
        legacy("CMN-102", "Resource for parameter [extensionId] is not found"),
        Operation.CALL_LOG,
        NotFoundError,
        "CMN-102",
        ["no such resource"],
    ),
    (
        400,
        legacy("CMN-101", "Parameter [dateFrom] value is invalid"),
        Operation.CALL_LOG,
        BadRequestError,
        "CMN-101",
        ["invalid", "dateFrom"],
    ),
    (415, oauth("invalid_request", "OAU-101", "Unsupported Media Type"), Operation.API, BadRequestError, "OAU-101", []),
    (500, legacy("CMN-500", "Internal error"), Operation.INSIGHTS, UpstreamError, "CMN-500", ["try again"]),
    (502, b"<html><h1>502 Bad Gateway</h1></html>", Operation.INSIGHTS, UpstreamError, None, ["502 Bad Gateway"]),
    (503, b"", Operation.TOKEN_JWT, UpstreamError, None, ["HTTP 503"]),
    (302, b"", Operation.API, UpstreamError, None, ["unexpected"]),
]


@pytest.mark.parametrize(("status", "body", "operation", "cls", "code", "words"), CASES)
def test_status_and_body_map_to_the_right_error(
    status: int, body: str | bytes, operation: Operation, cls: type[RingSenseError], code: str | None, words: list[str]
) -> None:
    error = error_from_response(status, body, {"RCRequestId": "req-42"}, operation=operation)
    assert type(error) is cls
    assert error.status == status
    assert error.error_code == code
    assert error.request_id == "req-42"
    for word in words:
        assert word in error.message
    assert "req-42" in str(error) and f"HTTP {status}" in str(error)


def test_rate_limited_error_carries_the_retry_after_header() -> None:
    error = error_from_response(429, legacy("CMN-301", "Request rate exceeded"), {"Retry-After": "12"})
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 12
    assert "12 seconds" in error.message


def test_rate_limited_error_without_retry_after_advises_at_least_30_seconds() -> None:
    error = error_from_response(429, b"", {})
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == DEFAULT_RATE_LIMIT_WAIT == 30


def test_rate_limited_error_without_retry_after_uses_a_longer_window() -> None:
    error = error_from_response(429, b"", httpx.Headers({"x-rate-limit-window": "60", "x-rate-limit-group": "light"}))
    assert error.retry_after == 60
    assert "light" in error.message


def test_503_keeps_its_retry_after() -> None:
    error = error_from_response(503, b"", {"retry-after": "3"})
    assert isinstance(error, UpstreamError) and error.retry_after == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-3", 0.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
        ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0),
    ],
)
def test_retry_after_header_values(value: str | None, expected: float | None) -> None:
    now = 1445412480.0  # 2015-10-21T07:28:00Z
    assert parse_retry_after(value, now=now) == expected


def test_long_html_bodies_are_shortened_in_messages() -> None:
    error = error_from_response(502, b"<html>" + b"x" * 10_000 + b"</html>", {})
    assert len(error.message) < 500


def test_secrets_echoed_by_the_platform_are_scrubbed() -> None:
    secret = "canary-secret-value-123"
    body = oauth("invalid_grant", "OAU-140", f"bad assertion {secret}")
    error = error_from_response(400, body, {"RCRequestId": secret}, operation=Operation.TOKEN_JWT, secrets=[secret])
    for text in (error.message, str(error), repr(error), error.request_id or ""):
        assert secret not in text
    assert "[redacted]" in error.message


def test_scrub_replaces_longest_secrets_first_and_ignores_tiny_ones() -> None:
    assert scrub("token abcdef123 and abcdef", ["abcdef", "abcdef123"]) == "token [redacted] and [redacted]"
    assert scrub("a b c", ["a", None, ""]) == "a b c"


@pytest.mark.parametrize(
    ("err", "words"),
    [
        (httpx.ConnectError("refused"), "Could not connect"),
        (httpx.ConnectTimeout("slow"), "Timed out connecting"),
        (httpx.ReadTimeout("slow"), "Timed out waiting"),
        (httpx.RemoteProtocolError("gone"), "dropped"),
        (httpx.ReadError("reset"), "dropped"),
        (httpx.UnsupportedProtocol("ftp"), "UnsupportedProtocol"),
    ],
)
def test_transport_failures_become_network_errors(err: httpx.TransportError, words: str) -> None:
    error = network_error(err, host="platform.ringcentral.com")
    assert isinstance(error, NetworkError)
    assert words in error.message and "platform.ringcentral.com" in error.message
    assert error.status is None


def test_repr_names_every_field() -> None:
    error = RateLimitedError("slow down", status=429, error_code="CMN-301", request_id="r1", retry_after=30.0)
    assert repr(error) == (
        "RateLimitedError(message='slow down', status=429, error_code='CMN-301', request_id='r1', retry_after=30.0)"
    )
    assert str(RingSenseError("plain")) == "plain"
