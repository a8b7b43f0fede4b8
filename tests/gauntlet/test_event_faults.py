"""Live events under fault: every gateway fault the sandbox can play, against the product's `EventSubscriber`.

For each fault: the subscriber does not crash, logs one clear line saying what happened, ends up subscribed
again, and delivers the event the platform kept for it (published during or right after the fault), exactly
once. No log line holds a token, a ws token, a wsc token or the JWT. The gateway runs on a real loopback
socket; the subscriber's waits run on virtual time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
import pytest

from server.ringsense import Backoff, InsightsEvent, SubscriberState
from server.sandbox.push import PushSettings
from tests.ringsense.eventrig import NO_RECORDINGS, Rig, rig, subscribed

from .harness import REPORT

pytestmark = pytest.mark.anyio
SECTION = "6. Live events: gateway faults × the subscriber"


async def _drop(r: Rig) -> None:
    r.platform.push.drop_connections()
    await r.until(lambda s: s.state == SubscriberState.RECONNECTING)
    await r.sandbox_until(lambda hub: hub.active_subscriptions() == 0)


def _reconnect_fault(kind: str) -> Callable[[Rig], Awaitable[None]]:
    async def inject(r: Rig) -> None:
        r.platform.push.fail_next_connection(kind)
        await _drop(r)

    return inject


async def _malformed_frames(r: Rig) -> None:
    r.platform.push.send_raw("{not json")
    r.platform.push.send_raw("[42]")


async def _unparsable_event(r: Rig) -> None:
    r.platform.push.send_raw('[{"type": "ServerNotification"}, {"event": "/x", "body": {"insights": []}}]')


async def _replay_after_drop(r: Rig) -> None:
    r.platform.push.drop_after_next_notification()


async def _idle_timeout(r: Rig) -> None:
    await r.until(lambda s: s.state == SubscriberState.RECONNECTING)  # the gateway's WSG-902 closed it


@dataclass(frozen=True)
class EventFault:
    name: str
    inject: Callable[[Rig], Awaitable[None]]
    logged: str  # a fragment of the one line that must say what happened
    push: PushSettings | None = None


FAULTS = [
    EventFault("dropped connection", _drop, "connection to the gateway was lost"),
    EventFault("no ConnectionDetails", _reconnect_fault("silent"), "sent no ConnectionDetails"),
    EventFault("Error instead of ConnectionDetails", _reconnect_fault("error"), "refused the connection (WSG-500"),
    EventFault("garbage before ConnectionDetails", _reconnect_fault("garbage"), "is not JSON"),
    EventFault("malformed frames mid-stream", _malformed_frames, "ignored a malformed message"),
    EventFault("event body that does not parse", _unparsable_event, "could not be parsed (body.sourceRecordId"),
    EventFault("notification replayed after a drop", _replay_after_drop, "connection to the gateway was lost"),
    EventFault("idle timeout (WSG-902)", _idle_timeout, "WSG-902", PushSettings(idle_timeout=0.2)),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
async def test_a_gateway_fault_is_logged_survived_and_loses_no_kept_event(
    fault: EventFault, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with rig(backoff=Backoff(base=0.0, cap=0.0), details_timeout=0.3, push=fault.push or PushSettings()) as r:
        await r.until(subscribed)
        await fault.inject(r)
        answer = await r.complete()
        items = [await r.next(), await r.next()]
        status = await r.until(subscribed)
        secrets = [*r.platform.push.issued_tokens(), *r.platform.issued_tokens(), NO_RECORDINGS.jwt]
        secrets += [s.wsc_token for s in r.platform.push._sessions.values()]

    assert all(isinstance(i, InsightsEvent) and i.insights.source_record_id == answer["sourceRecordId"] for i in items)
    assert items[0].key != items[1].key  # AI Notes then RingSense, each once
    assert fault.logged in caplog.text
    assert not [secret for secret in secrets if secret in caplog.text]
    line = next(r.getMessage() for r in caplog.records if fault.logged in r.getMessage())
    REPORT.add(
        SECTION,
        f"| {fault.name} | {line[:90]} | delivered ×1 | connections {status.connections}, "
        f"recoveries {status.recoveries}, gaps {status.gaps}, duplicates dropped {status.duplicates} |",
    )


async def test_a_subscription_refused_for_a_permission_is_logged_once_with_the_permission_and_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with rig(jwt=NO_RECORDINGS.jwt) as r:
        await r.until(lambda s: s.state == SubscriberState.REFUSED)
        r.time.advance(300)
        status = await r.until(lambda s: s.connections == 2)

    errors = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert len(errors) == 1 and "ReadCompanyCallRecording" in errors[0].getMessage()
    assert status.state == SubscriberState.REFUSED
    REPORT.add(SECTION, f"| subscription refused (CMN-408) | {errors[0].getMessage()[:90]} | — | retried every 300 s |")


async def test_the_iterator_ends_cleanly_when_closed_mid_fault() -> None:
    async with rig(backoff=Backoff(base=60.0, cap=60.0)) as r:
        await r.until(subscribed)
        await _drop(r)
        await r.subscriber.aclose()
        with anyio.fail_after(5):
            assert [item async for item in r.subscriber] == []
    assert r.subscriber.status.state == SubscriberState.CLOSED
