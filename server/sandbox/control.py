"""The sandbox's own test controls, under ``/sandbox/v1`` (not a RingCentral API; loopback callers only)."""

from __future__ import annotations

import ipaddress
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.sandbox.analysis import complete_analysis
from server.sandbox.errors import api_error, invalid_parameter
from server.sandbox.guards import platform_of


def _require_loopback(request: Request) -> None:
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise api_error(403, "CMN-419", "Sandbox controls answer loopback callers only")  # code assumed


async def analysis_complete(request: Request) -> Response:
    """``POST /sandbox/v1/analysis-complete`` with an optional ``{"domain": "pbx", "sourceRecordId": "…"}``.

    Finishes a pending call's analysis (or records a new one), serves it over REST, pushes its event(s), and
    answers ``{"sourceRecordId", "sourceSessionId", "domain"}``.
    """
    _require_loopback(request)
    platform = platform_of(request)
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise invalid_parameter("body", None) from None
    if not isinstance(body, dict):
        raise invalid_parameter("body", None)
    domain = body.get("domain", "pbx")
    record_id = body.get("sourceRecordId")
    if not isinstance(domain, str):
        raise invalid_parameter("domain", None)
    if record_id is not None and not isinstance(record_id, str):
        raise invalid_parameter("sourceRecordId", None)
    dataset = platform.dataset
    done = complete_analysis(
        dataset, domain=domain, record_id=record_id, now_ts=platform.clock(), user=dataset.users[0]
    )
    for event in done.events:
        platform.push.publish(done.domain, event)
    return JSONResponse(done.answer())
