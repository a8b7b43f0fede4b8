"""RingCentral error bodies, as the platform sends them.

REST and RingSense errors carry both shapes at once: the legacy top-level ``errorCode``/``message`` and the
current ``errors[]`` array (reference §6.2). OAuth errors use the RFC 6749 ``error``/``error_description``
pair plus ``errors[]`` (reference §3.1). Codes not seen in a public source are marked "assumed".
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

JSON = dict[str, Any]


class ApiError(Exception):
    """Raised by a handler to answer with a RingCentral error body; the app turns it into a response."""

    def __init__(self, status: int, body: JSON, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def legacy_body(code: str, message: str, **extra: Any) -> JSON:
    """The legacy + ``errors[]`` body; ``extra`` (e.g. ``parameterName``) goes in both places."""
    return {
        "errorCode": code,
        "message": message,
        "errors": [{"errorCode": code, "message": message, **extra}],
        **extra,
    }


def api_error(status: int, code: str, message: str, **extra: Any) -> ApiError:
    return ApiError(status, legacy_body(code, message, **extra))


def oauth_error(status: int, error: str, code: str, description: str, parameters: list[JSON] | None = None) -> ApiError:
    entry: JSON = {"errorCode": code, "message": description}
    if parameters:
        entry["parameters"] = parameters
    return ApiError(status, {"error": error, "errors": [entry], "error_description": description})


def invalid_parameter(name: str, value: str | None) -> ApiError:
    extra: JSON = {"parameterName": name}
    if value is not None:
        extra["parameterValue"] = value
    return api_error(400, "CMN-101", f"Parameter [{name}] value is invalid", **extra)


def missing_parameter(name: str) -> ApiError:
    # CMN-100 is assumed; the shape (parameterName) is the documented ParameterizedErrorResponseModel.
    return api_error(400, "CMN-100", f"Required parameter [{name}] is missing", parameterName=name)


def resource_not_found(parameter: str) -> ApiError:
    return api_error(404, "CMN-102", f"Resource for parameter [{parameter}] is not found", parameterName=parameter)


def permission_required(permission: str) -> ApiError:
    message = (
        f"In order to call this API endpoint, user needs to have [{permission}] permission for requested resource."
    )
    return api_error(403, "CMN-408", message, permissionName=permission)


def insights_not_found() -> ApiError:
    return api_error(404, "RAH-3001", "Insights not found")


def insights_forbidden() -> ApiError:
    # RAH-3005 is observed by third parties only (reference §8.2); the message is ours.
    return api_error(403, "RAH-3005", "Insufficient permissions: [ReadRingSenseInsights] is required")


RATE_EXCEEDED = legacy_body("CMN-301", "Request rate exceeded")
AGW_404 = {"errorCode": "AGW-404", "message": "Resource not found", "errors": []}

# Default bodies of Fault.status(code) where the caller gives none.
_DEFAULT_API_BODIES: dict[int, JSON] = {
    400: legacy_body("CMN-101", "Parameter value is invalid"),
    401: legacy_body("OAU-149", "Unparsable access token"),
    403: legacy_body("CMN-401", "In order to call this API endpoint, application needs to have permission"),
    404: AGW_404,
    409: legacy_body("CMN-409", "Conflict"),  # assumed
    429: RATE_EXCEEDED,
    500: legacy_body("CMN-203", "Internal server error"),  # CMN-202 is 501 "not supported"
    502: legacy_body("AGW-502", "Bad gateway"),  # assumed
    503: legacy_body("CMN-201", "Service temporary unavailable"),
    504: legacy_body("AGW-504", "Gateway timeout"),  # assumed
}
_DEFAULT_OAUTH_BODIES: dict[int, JSON] = {
    400: oauth_error(400, "invalid_grant", "OAU-140", "Invalid resource owner credentials").body,
    401: oauth_error(
        401, "invalid_client", "OAU-153", "Invalid client: ", [{"parameterName": "client_id", "parameterValue": ""}]
    ).body,
}


def default_error_body(status: int, path: str) -> JSON:
    """The body RingCentral would most plausibly send with ``status`` on ``path``."""
    if path.startswith("/restapi/oauth/") and status in _DEFAULT_OAUTH_BODIES:
        return _DEFAULT_OAUTH_BODIES[status]
    if path.startswith("/ai/"):
        if status == 404:
            return insights_not_found().body
        if status == 403:
            return insights_forbidden().body
    if status in _DEFAULT_API_BODIES:
        return _DEFAULT_API_BODIES[status]
    if status >= 500:
        return _DEFAULT_API_BODIES[500]
    return legacy_body("CMN-101", "Request is invalid")


def error_response(err: ApiError) -> Response:
    return JSONResponse(err.body, status_code=err.status, headers=err.headers)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)
