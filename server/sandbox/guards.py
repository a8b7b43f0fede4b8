"""What every API handler does first: find the platform, authenticate, throttle, resolve path ids."""

from __future__ import annotations

from starlette.requests import Request

from server.sandbox.errors import RATE_EXCEEDED, ApiError, permission_required, resource_not_found
from server.sandbox.platform import CONTEXT_SCOPE_KEY, Caller, RequestContext, SandboxPlatform
from server.sandbox.samples import SandboxUser

CURRENT = "~"  # "the current session's account/extension" in a path


def platform_of(request: Request) -> SandboxPlatform:
    platform: SandboxPlatform = request.app.state.platform
    return platform


def context_of(request: Request) -> RequestContext:
    context: RequestContext = request.scope[CONTEXT_SCOPE_KEY]
    return context


def throttle(request: Request, key: str, group: str) -> None:
    """Count the request against ``group`` for ``key``; raises 429 CMN-301 when over the limit."""
    decision = platform_of(request).rate_limiter.hit(key, group)
    context_of(request).extra_headers.update(decision.headers())
    if not decision.allowed:
        raise ApiError(429, RATE_EXCEEDED)


def authorize(request: Request, group: str) -> Caller:
    """Authenticate the bearer token (401 otherwise), then apply the user's rate limit for ``group``."""
    caller = platform_of(request).authenticate_bearer(request.headers.get("authorization"))
    context_of(request).user = caller.user.extension_id
    throttle(request, f"{caller.client_id}/{caller.user.extension_id}", group)
    return caller


def require_account(request: Request) -> str:
    """The real account id for the path's ``accountId`` (``~`` or the id itself); 404 CMN-102 otherwise."""
    account_id = platform_of(request).dataset.account_id
    if request.path_params["accountId"] not in (CURRENT, account_id):
        raise resource_not_found("accountId")
    return account_id


def resolve_extension(request: Request, caller: Caller) -> SandboxUser:
    """The user the path's ``extensionId`` names. ``~`` and the caller's own id always work; another
    extension of the account only for a caller with company-wide call-log rights (403 CMN-408 otherwise)."""
    extension_id = request.path_params["extensionId"]
    if extension_id in (CURRENT, caller.user.extension_id):
        return caller.user
    user = platform_of(request).user_by_extension(extension_id)
    if user is None:
        raise resource_not_found("extensionId")
    if not caller.user.can_read_company_call_log:
        raise permission_required("FullCompanyCallLog")
    return user
