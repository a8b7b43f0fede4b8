"""`EventSubscriber` against the sandbox's gateway over a real WebSocket on loopback, in virtual time."""

from __future__ import annotations

import logging

import anyio
import pytest

from server.ringsense import Backoff, Gap, InsightsEvent, SubscriberState

from .conftest import FULL, PENDING_RECORD_ID, make_dataset
from .eventrig import NO_RECORDINGS, WAIT, rig, subscribed

pytestmark = pytest.mark.anyio


async def test_events_arrive_parsed_ai_notes_first_then_ringsense() -> None:
    async with rig() as r:
        await r.until(subscribed)
        answer = await r.complete()
        notes, full = await r.next(), await r.next()

    assert answer["sourceRecordId"] == PENDING_RECORD_ID
    assert isinstance(notes, InsightsEvent) and isinstance(full, InsightsEvent)
    assert notes.insights.source_record_id == full.insights.source_record_id == PENDING_RECORD_ID
    assert notes.domain == "pbx" and notes.account_id == make_dataset().account_id
    assert notes.key != full.key  # both kept: consumers upsert by sourceRecordId
    assert full.insights.insights.highlights and not notes.insights.insights.highlights
    assert r.subscriber.status.events == 2


async def test_only_the_chosen_domains_are_delivered_and_rcx_extras_are_kept() -> None:
    async with rig(domains=("rcx",)) as r:
        await r.until(subscribed)
        await r.complete(domain="pbx")
        rcx = await r.complete(domain="rcx")
        event = await r.next()

    assert isinstance(event, InsightsEvent)
    assert event.insights.source_record_id == rcx["sourceRecordId"] and event.domain == "rcx"
    assert event.event_type == "Create" and event.insights.rs_record_uri


async def test_a_heartbeat_is_sent_when_nothing_was_sent_for_the_interval_and_is_answered() -> None:
    async with rig() as r:
        await r.until(subscribed)
        r.time.advance(61)
        status = await r.until(lambda s: s.heartbeats_answered >= 1)
    assert status.state == SubscriberState.SUBSCRIBED and status.connections == 1


async def test_a_dropped_connection_is_recovered_and_missed_events_replayed() -> None:
    async with rig(backoff=Backoff(base=1.0, cap=1.0)) as r:
        await r.until(subscribed)
        r.platform.push.drop_connections()
        await r.until(lambda s: s.state == SubscriberState.RECONNECTING)
        await r.sandbox_until(lambda hub: hub.active_subscriptions() == 0)
        await r.complete()  # published while the subscriber waits out its backoff: buffered by the gateway
        r.time.advance(1)
        replayed = [await r.next(), await r.next()]
        status = await r.until(lambda s: s.recoveries == 1)

    assert all(isinstance(item, InsightsEvent) for item in replayed)
    assert status.gaps == 0 and status.connections == 2


async def test_a_failed_recovery_resubscribes_and_yields_a_gap_before_new_events() -> None:
    async with rig(backoff=Backoff(base=1.0, cap=1.0)) as r:
        await r.until(subscribed)
        r.platform.push.drop_connections()
        await r.until(lambda s: s.state == SubscriberState.RECONNECTING)
        await r.sandbox_until(lambda hub: hub.active_subscriptions() == 0)
        r.platform_clock.now += 181  # the gateway's recovery window lapses; the subscriber still hopes
        r.time.advance(1)
        gap = await r.next()
        await r.until(subscribed)
        await r.complete()
        event = await r.next()

    assert isinstance(gap, Gap) and "WSG-1001" in gap.reason and gap.since <= gap.until
    assert isinstance(event, InsightsEvent)
    assert r.subscriber.status.gaps == 1 and r.subscriber.status.recoveries == 0


async def test_past_the_recovery_window_it_does_not_try_to_recover_and_says_so() -> None:
    async with rig(backoff=Backoff(base=200.0, cap=200.0)) as r:
        await r.until(subscribed)
        r.platform.push.drop_connections()
        await r.until(lambda s: s.state == SubscriberState.RECONNECTING)
        r.time.advance(200)
        gap = await r.next()

    assert isinstance(gap, Gap) and "recovery window had passed" in gap.reason
    assert not any("wsc=" in entry.query for entry in r.platform.requests_to("/ws")[1:])


async def test_an_access_token_that_expired_while_connected_is_refreshed_for_the_reconnect() -> None:
    async with rig(backoff=Backoff(base=1.0, cap=1.0)) as r:
        await r.until(subscribed)
        r.platform.expire_access_tokens()
        r.platform.push.drop_connections()
        await r.until(lambda s: s.state == SubscriberState.RECONNECTING)
        r.time.advance(1)
        status = await r.until(lambda s: s.recoveries == 1)

    assert status.gaps == 0  # the refresh kept the OAuth session, so the WebSocket session recovered
    assert r.platform.token_requests("refresh_token")
    assert [q.status for q in r.platform.requests_to("/restapi/oauth/wstoken")] == [200, 401, 200]


async def test_the_access_token_is_kept_fresh_while_connected() -> None:
    async with rig(access_token_ttl=600) as r:
        await r.until(subscribed)
        for _ in range(2):
            r.time.advance(300)
        with anyio.fail_after(WAIT):
            while not r.platform.token_requests("refresh_token"):
                await anyio.lowlevel.checkpoint()
    assert r.subscriber.status.connections == 1


async def test_a_refused_subscription_names_the_permission_and_is_retried_rarely() -> None:
    async with rig(jwt=NO_RECORDINGS.jwt) as r:
        status = await r.until(lambda s: s.state == SubscriberState.REFUSED)
        r.time.advance(299)
        assert r.subscriber.status.connections == 1
        r.time.advance(1)
        again = await r.until(lambda s: s.connections == 2)

    assert "ReadCompanyCallRecording" in (status.last_error or "")
    assert again.state == SubscriberState.REFUSED


@pytest.mark.parametrize("fault", ["silent", "error", "garbage"])
async def test_a_gateway_that_misbehaves_on_connect_is_retried(fault: str) -> None:
    async with rig(details_timeout=0.3) as r:
        await r.until(subscribed)
        r.platform.push.fail_next_connection(fault)
        r.platform.push.drop_connections()
        status = await r.until(lambda s: s.state == SubscriberState.SUBSCRIBED and s.connections == 2)
        await r.complete()
        event = await r.next()

    assert isinstance(event, InsightsEvent)
    assert status.last_error is None  # cleared once subscribed again


async def test_malformed_frames_and_unparsable_events_are_skipped_and_counted() -> None:
    async with rig() as r:
        await r.until(subscribed)
        r.platform.push.send_raw("{not json")
        r.platform.push.send_raw('[{"type": "ServerNotification"}, {"event": "/x", "body": {"title": 5}}]')
        await r.complete()
        event = await r.next()
        status = await r.until(lambda s: s.malformed == 2)

    assert isinstance(event, InsightsEvent) and status.state == SubscriberState.SUBSCRIBED


async def test_an_event_replayed_after_a_drop_is_delivered_once() -> None:
    async with rig(backoff=Backoff(base=1.0, cap=1.0)) as r:
        await r.until(subscribed)
        r.platform.push.drop_after_next_notification()
        await r.complete()
        first = await r.next()
        await r.until(lambda s: s.state == SubscriberState.RECONNECTING)
        r.time.advance(1)
        second = await r.next()
        status = await r.until(lambda s: s.duplicates >= 1)

    assert isinstance(first, InsightsEvent) and isinstance(second, InsightsEvent)
    assert first.key != second.key and status.events == 2


async def test_closing_unsubscribes_and_ends_the_iteration() -> None:
    async with rig() as r:
        await r.until(subscribed)
        await r.subscriber.aclose()
        with anyio.fail_after(WAIT):
            leftovers = [item async for item in r.subscriber]
        await r.sandbox_until(lambda hub: hub.active_subscriptions() == 0)

    assert leftovers == []
    assert r.subscriber.status.state == SubscriberState.CLOSED
    assert all(s.subscription is None for s in r.platform.push._sessions.values())


async def test_no_token_or_wsc_appears_in_any_log_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with rig(backoff=Backoff(base=1.0, cap=1.0)) as r:
        await r.until(subscribed)
        r.platform.push.drop_connections()
        await r.until(lambda s: s.state == SubscriberState.RECONNECTING)
        r.time.advance(1)
        await r.until(lambda s: s.recoveries == 1)
        wsc = [s.wsc_token for s in r.platform.push._sessions.values()]
        secrets = [*r.platform.push.issued_tokens(), *r.platform.issued_tokens(), *wsc, FULL.jwt]

    logged = caplog.text
    assert "GET /ws?access_token=REDACTED&wsc=REDACTED" in logged  # the wire log was there, and redacted
    assert not [secret for secret in secrets if secret in logged]
