"""``POST /restapi/oauth/token`` and ``POST /restapi/oauth/revoke`` (reference §3)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.sandbox.errors import ApiError, oauth_error
from server.sandbox.guards import context_of, platform_of, throttle
from server.sandbox.platform import JWT_BEARER_GRANT

REFRESH_GRANT = "refresh_token"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# Documented lower bound of the requestable access-token lifetime; the platform's own TTL is default and maximum.
ACCESS_TTL_MIN = 600
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def parse_form(body: bytes) -> dict[str, str]:
    """A urlencoded body as a dict; a repeated parameter is 400 OAU-111, as on the real endpoint."""
    pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            raise oauth_error(400, "invalid_request", "OAU-111", "Request parameter duplication detected")
        form[key] = value
    return form


def _invalid_parameter(name: str) -> ApiError:
    return oauth_error(400, "invalid_request", "OAU-101", f"Parameter [{name}] is invalid", [{"parameterName": name}])


def _client_id(request: Request) -> str:
    """The client id from a valid HTTP Basic header; 401 invalid_client OAU-153 otherwise."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    client_id, secret = "", ""
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id, secret = "", ""
    if not platform_of(request).client_is_valid(client_id, secret):
        shown = client_id if client_id.isalnum() else ""  # echo a plausible id only, never a mangled secret
        raise oauth_error(
            401,
            "invalid_client",
            "OAU-153",
            f"Invalid client: {shown}",
            [{"parameterName": "client_id", "parameterValue": shown}],
        )
    return client_id


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_CONTENT_TYPE:
        # 415 is declared by the spec; the error code is assumed.
        raise oauth_error(415, "invalid_request", "OAU-101", f"Unsupported Media Type [{content_type}]")
    return parse_form(await request.body())


def _ttl(form: dict[str, str], name: str, lower: float, upper: float) -> float:
    raw = form.get(name)
    if raw is None or raw == "":
        return upper
    try:
        requested = int(raw)
    except ValueError:
        raise _invalid_parameter(name) from None
    return min(max(requested, min(lower, upper)), upper)


async def token(request: Request) -> Response:
    platform = platform_of(request)
    context = context_of(request)
    client_id = _client_id(request)
    form = await _form(request)
    # The Auth group is counted per user and app (reference §6.1); the middleware found the user in the form.
    throttle(request, f"{client_id}/{context.user or 'anonymous'}", "Auth")
    grant_type = form.get("grant_type", "")
    access_ttl = _ttl(form, "access_token_ttl", ACCESS_TTL_MIN, platform.access_token_ttl)
    refresh_ttl = _ttl(form, "refresh_token_ttl", 1, platform.refresh_token_ttl)

    if grant_type == JWT_BEARER_GRANT:
        assertion = form.get("assertion")
        if not assertion:
            raise _invalid_parameter("assertion")
        info = platform.login_with_jwt(assertion, client_id, access_ttl, refresh_ttl)
    elif grant_type == REFRESH_GRANT:
        refresh_token = form.get("refresh_token")
        if not refresh_token:
            raise _invalid_parameter("refresh_token")
        info = platform.refresh(refresh_token, client_id, access_ttl, refresh_ttl)
    elif not grant_type:
        raise _invalid_parameter("grant_type")
    else:
        # The error code is assumed; the RFC 6749 error name is not.
        raise oauth_error(400, "unsupported_grant_type", "OAU-250", f"Unsupported grant type [{grant_type}]")
    context.user = info["owner_id"]
    return JSONResponse(info, headers=_NO_STORE)


async def revoke(request: Request) -> Response:
    """Revoke a session; the token may come in the form body or, as the spec also allows, the query string."""
    platform = platform_of(request)
    client_id = _client_id(request)
    token_value = request.query_params.get("token")
    form = await _form(request) if token_value is None or await request.body() else {}
    token_value = form.get("token") or token_value
    owner = platform.bearer_owner(f"Bearer {token_value}") or platform.refresh_token_owner(token_value or "")
    throttle(request, f"{client_id}/{owner or 'anonymous'}", "Auth")
    if not token_value:
        raise _invalid_parameter("token")
    platform.revoke(token_value)
    return Response(status_code=200, headers=_NO_STORE)
