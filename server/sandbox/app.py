"""The sandbox's Starlette app: the route table and how unrouted requests are answered."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp

from server.sandbox.calllog import company_call_log, user_call_log
from server.sandbox.control import analysis_complete
from server.sandbox.errors import AGW_404, ApiError, handle_api_error, legacy_body
from server.sandbox.insights import check_permission, record_insights, session_insights
from server.sandbox.middleware import SandboxMiddleware
from server.sandbox.oauth import revoke, token
from server.sandbox.platform import SandboxPlatform
from server.sandbox.websocket import WS_PATH, websocket_endpoint, ws_token

_ACCOUNT = "/restapi/v1.0/account/{accountId}"
_RINGSENSE = "/ai/ringsense/v1/public/accounts/{accountId}/domains/{domain}"

ROUTES = [
    Route("/restapi/oauth/token", token, methods=["POST"]),
    Route("/restapi/oauth/revoke", revoke, methods=["POST"]),
    Route("/restapi/oauth/wstoken", ws_token, methods=["POST"]),
    WebSocketRoute(WS_PATH, websocket_endpoint),
    Route(_ACCOUNT + "/extension/{extensionId}/authz-profile/check", check_permission, methods=["GET"]),
    Route(_ACCOUNT + "/call-log", company_call_log, methods=["GET"]),
    Route(_ACCOUNT + "/extension/{extensionId}/call-log", user_call_log, methods=["GET"]),
    Route(_RINGSENSE + "/records/{sourceRecordId}/insights", record_insights, methods=["GET"]),
    Route(_RINGSENSE + "/sessions/{sourceSessionId}/insights", session_insights, methods=["GET"]),
    Route("/sandbox/v1/analysis-complete", analysis_complete, methods=["POST"]),
]


async def _unrouted(request: Request, exc: Exception) -> Response:
    """404 is the API gateway's AGW-404. A known path with the wrong method answers 405 with ``Allow``;
    RingCentral's own answer there is undocumented, and AGW-405 is an assumed code in the gateway's family."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return JSONResponse(legacy_body("AGW-405", "Method not allowed"), status_code=405, headers=exc.headers)
    return JSONResponse(AGW_404, status_code=404)


class SandboxApp(Starlette):
    """A Starlette app whose outermost layer is the sandbox middleware (outside Starlette's 500 handler)."""

    def __init__(self, platform: SandboxPlatform) -> None:
        super().__init__(
            routes=ROUTES,
            exception_handlers={ApiError: handle_api_error, 404: _unrouted, 405: _unrouted},
        )
        self.router.redirect_slashes = False  # the real API does not redirect "/insights/" to "/insights"
        self.platform = platform
        self.state.platform = platform

    def build_middleware_stack(self) -> ASGIApp:
        return SandboxMiddleware(super().build_middleware_stack(), self.platform)


def create_sandbox_app(platform: SandboxPlatform | None = None) -> Starlette:
    """The fake RingCentral platform as an ASGI app; a new ``SandboxPlatform()`` when none is given."""
    return SandboxApp(platform if platform is not None else SandboxPlatform())
