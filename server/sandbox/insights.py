"""The permission check (reference §4) and the RingSense insight endpoints (reference §1)."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.sandbox.errors import (
    JSON,
    insights_forbidden,
    insights_not_found,
    invalid_parameter,
    missing_parameter,
)
from server.sandbox.guards import authorize, platform_of, require_account, resolve_extension
from server.sandbox.samples import SandboxUser

DOMAINS = frozenset({"pbx", "rcv", "rcx", "nice-incontact", "ms-teams"})
# The spec's insightTypes enum; requests are validated against it exactly.
INSIGHT_TYPES = frozenset(
    {"Transcript", "Summary", "Highlights", "NextSteps", "BulletedSummary", "AIScore", "CallNotes", "Sentiment"}
)
# Data keys that answer to another spelling of a requested type (the docs spell highlights "HighLights").
_KEY_ALIASES = {"HighLights": "Highlights"}

INSIGHTS_PERMISSION = "ReadRingSenseInsights"
COMPANY_CALL_LOG_PERMISSION = "FullCompanyCallLog"
COMPANY_RECORDINGS_PERMISSION = "ReadCompanyCallRecording"  # RingSense event filters need it (reference §2.1)
_ACCOUNT_WIDE = frozenset({INSIGHTS_PERMISSION, COMPANY_CALL_LOG_PERMISSION, COMPANY_RECORDINGS_PERMISSION})


def permissions_of(user: SandboxUser) -> frozenset[str]:
    granted = {"ReadAccounts", "ReadCallLog", "ReadCallRecording"}
    if user.can_read_insights:
        granted.add(INSIGHTS_PERMISSION)
    if user.can_read_company_call_log:
        granted.add(COMPANY_CALL_LOG_PERMISSION)
    if user.can_read_company_recordings:
        granted.add(COMPANY_RECORDINGS_PERMISSION)
    return frozenset(granted)


async def check_permission(request: Request) -> Response:
    caller = authorize(request, "Light")
    account_id = require_account(request)
    subject = resolve_extension(request, caller)
    permission_id = request.query_params.get("permissionId")
    if not permission_id:
        raise missing_parameter("permissionId")
    # The real endpoint echoes targetExtensionId in `uri` even when the caller did not send it.
    target = request.query_params.get("targetExtensionId") or subject.extension_id
    base = str(request.base_url).rstrip("/")
    query = urlencode({"permissionId": permission_id, "targetExtensionId": target})
    uri = f"{base}/restapi/v1.0/account/{account_id}/extension/{subject.extension_id}/authz-profile/check?{query}"
    if permission_id not in permissions_of(subject):
        return JSONResponse({"uri": uri, "successful": False})
    role_id = "1" if subject.can_read_company_call_log else "2"
    return JSONResponse(
        {
            "uri": uri,
            "successful": True,
            "details": {
                "permission": {
                    "uri": f"{base}/restapi/v1.0/dictionary/permission/{permission_id}",
                    "id": permission_id,
                    "assignable": True,
                    "readOnly": False,
                    "siteCompatible": "Independent",
                },
                "effectiveRole": {"uri": f"{base}/restapi/v1.0/dictionary/user-role/{role_id}", "id": role_id},
                "scopes": ["AllExtensions" if permission_id in _ACCOUNT_WIDE else "Self"],
            },
        }
    )


def _domain(request: Request) -> str:
    domain: str = request.path_params["domain"]
    if domain not in DOMAINS:
        raise invalid_parameter("domain", domain)
    return domain


def _insight_types(request: Request) -> frozenset[str] | None:
    """The requested types (comma-separated, repeated parameters also accepted); ``None`` means all."""
    values = request.query_params.getlist("insightTypes")
    if not values:
        return None
    requested = {item.strip() for value in values for item in value.split(",") if item.strip()}
    for item in sorted(requested):
        if item not in INSIGHT_TYPES:
            raise invalid_parameter("insightTypes", item)
    return frozenset(requested) or None


def _filtered(body: JSON, types: frozenset[str] | None) -> JSON:
    if types is None:
        return body
    insights = {key: value for key, value in body["insights"].items() if _KEY_ALIASES.get(key, key) in types}
    return {**body, "insights": insights}


def _prepare(request: Request) -> tuple[str, frozenset[str] | None]:
    """Checks shared by both insight endpoints, in the order the API applies them."""
    caller = authorize(request, "Light")
    require_account(request)
    domain = _domain(request)
    types = _insight_types(request)
    if not caller.user.can_read_insights:
        raise insights_forbidden()
    return domain, types


async def record_insights(request: Request) -> Response:
    domain, types = _prepare(request)
    found = platform_of(request).dataset.find_record(domain, request.path_params["sourceRecordId"])
    if found is None or found[1].insights is None:
        raise insights_not_found()
    return JSONResponse(_filtered(found[1].insights, types))


async def session_insights(request: Request) -> Response:
    domain, types = _prepare(request)
    call = platform_of(request).dataset.find_session(domain, request.path_params["sourceSessionId"])
    ready = [rec.insights for rec in call.recordings if rec.insights is not None] if call else []
    if not ready:
        raise insights_not_found()
    records = [_filtered(body, types) for body in ready]
    paging = {
        "page": 1,
        "perPage": len(records),
        "pageStart": 0,
        "pageEnd": len(records) - 1,
        "totalPages": 1,
        "totalElements": len(records),
        "sortableFields": [],
    }
    return JSONResponse({"records": records, "paging": paging})
