"""`ringsense-mcp check`: a doctor for credentials — token, permission, call log, one insights call — and, when
RINGSENSE_REDIS_URL is set, for the Redis the replicas share."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import anyio

from server.config import Settings
from server.ringsense import RingSenseClient
from server.ringsense.errors import InsightsNotFoundError, RingSenseError
from server.ringsense.models import InsightType
from tools.errors import describe

from .runtime import Runtime

LOOKBACK_DAYS = 14
EVENTS_PERMISSION = "ReadCompanyCallRecording"  # what the RingSense event filter needs (docs/events.md)
OK, WARN, FAIL = "✔", "!", "✘"


def _line(mark: str, what: str, detail: str) -> None:
    print(f" {mark} {what}: {detail}")


async def _check_shared_state(settings: Settings) -> bool:
    """Whether the replicas' Redis answers, and whether it holds their token (never showing it)."""
    if settings.redis_url is None or settings.credentials is None or settings.sandbox:
        return True
    # Lazy import: Redis is loaded only where it is configured.
    from server.ringsense.shared import SharedState

    shared = SharedState.connect(
        settings.redis_url.get_secret_value(), server_url=settings.server_url, credentials=settings.credentials
    )
    where = f"Redis at {shared.redis.description}"
    try:
        answered = await shared.redis.run("checking Redis", lambda redis: redis.ping(), False)
        if not answered:
            _line(FAIL, "shared state", f"{where} does not answer: every replica would work alone (check the URL)")
            return False
        stored = await shared.tokens.load() if shared.tokens is not None else None
        if stored is not None and stored.access_token is not None:
            held = f"the replicas' token is stored, encrypted (valid {stored.expires_in:.0f} s more)"
        else:
            held = "no shared token yet (the first replica to call logs in for all)"
        _line(OK, "shared state", f"{where} answers; {held}")
        return True
    finally:
        await shared.aclose()


async def _check(settings: Settings) -> bool:
    where = "the embedded sandbox" if settings.sandbox else settings.server_url
    print(f"Checking RingSense access on {where} (auth: {'sandbox JWT' if settings.sandbox else settings.auth_mode})")
    shared_ok = await _check_shared_state(settings)
    return await _check_platform(settings) and shared_ok


async def _check_platform(settings: Settings) -> bool:
    # The doctor asks the platform itself, never a local copy: it checks the credentials, not the tools. So it
    # signs in on its own (not with the replicas' shared token) and ends its own session afterwards.
    client: RingSenseClient
    async with Runtime(replace(settings, redis_url=None)).client_factory() as client:
        try:
            permission = await client.check_permission()
        except RingSenseError as err:
            _line(FAIL, "sign-in / permission check", describe(err))
            return False
        _line(OK, "sign-in", "a token was issued")
        if permission.successful:
            _line(OK, "permission", "ReadRingSenseInsights granted ('AI Conversation Expert – Access Insights')")
        else:
            _line(
                FAIL,
                "permission",
                "ReadRingSenseInsights NOT granted: an admin must add 'AI Conversation "
                "Expert – Access Insights' to the user's role.",
            )
        if settings.events:
            await _check_events(client)

        end = datetime.now(UTC)
        try:
            page = await client.list_call_log(date_from=end - timedelta(days=LOOKBACK_DAYS), date_to=end, per_page=50)
        except RingSenseError as err:
            _line(FAIL, "call log", describe(err))
            return False
        recorded = [call for call in page.records if call.recordings]
        level = "company" if page.level == "account" else "own calls only (no FullCompanyCallLog)"
        _line(
            OK if recorded else WARN,
            "call log",
            f"{len(recorded)} recorded call(s) in the last {LOOKBACK_DAYS} days ({level})",
        )
        if not recorded:
            _line(WARN, "insights", "no recorded call to try; record a call with a licensed user and run again")
            return permission.successful

        tried = 0
        for call in recorded[:5]:
            record_id = call.recordings[0].id
            tried += 1
            try:
                insights = await client.get_record_insights(record_id, insight_types=[InsightType.SUMMARY])
            except InsightsNotFoundError:
                continue
            except RingSenseError as err:
                _line(FAIL, "insights", describe(err))
                return False
            _line(OK, "insights", f"recording {record_id}: {insights.title or 'insights returned'}")
            return permission.successful
        _line(
            WARN,
            "insights",
            f"none of the {tried} most recent recordings has insights yet (analysis takes "
            "15–30 minutes; the owner needs an AI Conversation Expert license)",
        )
        return permission.successful


async def _check_events(client: RingSenseClient) -> None:
    """Live events (RINGSENSE_EVENTS / --events): a ws token, and the permission the event filter needs.

    A warning, not a failure: the tools work without events.
    """
    try:
        await client.create_ws_token()
        recordings = await client.check_permission(permission_id=EVENTS_PERMISSION)
    except RingSenseError as err:
        _line(
            WARN, "live events", f"no WebSocket token: {describe(err)} (the app needs the WebSocketsSubscription scope)"
        )
        return
    if recordings.successful:
        _line(OK, "live events", f"WebSocket token issued; {EVENTS_PERMISSION} granted")
    else:
        _line(
            WARN,
            "live events",
            f"{EVENTS_PERMISSION} NOT granted: the RingSense event subscription will be refused until an admin "
            "grants it (insights still work without events)",
        )


def run_check(settings: Settings) -> int:
    healthy = anyio.run(_check, settings)
    print(
        "Verdict: READY — the MCP server can read RingSense insights."
        if healthy
        else "Verdict: NOT READY — fix the ✘ items above."
    )
    return 0 if healthy else 1
