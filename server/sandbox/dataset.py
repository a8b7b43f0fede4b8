"""The sandbox's deterministic sample dataset: the users and calls of Crestline Software's account.

`build_dataset(now)` returns the same data for the same `now`: call dates are fixed UTC times of day a fixed
number of days before `now` (all within the last 30 days); the most recent call, whose insights are not
ready yet, started 52 minutes before `now`. The only randomness is `random.Random` seeded per call key.

Recordings carry RecordingInsights bodies as raw wire JSON, including the drift a client must tolerate:

| key                  | what it demonstrates                                                             |
|----------------------|----------------------------------------------------------------------------------|
| sales-discovery      | 30-minute call, 300+ utterances, every insight type (the size benchmark)         |
| support-escalation   | angry inbound customer, escalated; Sentiment Negative                            |
| transferred-call     | one telephony session, two legs, two recordings each with its own insights       |
| conference           | five speakers; transcription stopped long before the recording ended             |
| unknown-caller       | external speaker with `name: null`; no name in the call log                      |
| long-call            | 90 minutes, 1,500+ utterances                                                    |
| not-ready            | recorded, insights not ready (404 RAH-3001); the most recent call                |
| legacy-format        | `HighLights`, `QnA`, ordinal Summary times, numeric AIScore, `eventType`,        |
|                      | speaker `phoneNumber`, one transcript unit without `text`                        |
| prompt-injection     | speech that impersonates instructions and forges `<<<END CALL CONTENT>>>`        |
| pipeline-review      | `rcv` video meeting: record id == session id; not in the phone call log          |
| callback-voicemail   | short call whose Highlights, NextSteps and BulletedSummary are empty arrays      |
| partner-call, renewal-negotiation, onboarding-checkin | ordinary calls; sections and sentiment vary     |
| missed-call, unrecorded-followup, unrecorded-vendor   | no recording, so `recordingType` filters matter |

Users (`dataset_people.STAFF`): Dana Whitfield (default, both permissions), Marcus Oyelaran (sales AE),
Priya Raman (support), Owen Castillo (no ReadRingSenseInsights), Sofia Lindqvist (no FullCompanyCallLog),
Jamal Reyes, Ethan Brandt.

The `rcv` meeting is not a phone call, so its `SampleCall.call_log` is an empty dict: serve it from the
insights endpoints, never from the call log.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from server.sandbox import dataset_meetings, dialogues
from server.sandbox.dataset_build import (
    Conversation,
    Party,
    Utterance,
    call_leg,
    call_log_record,
    conversation_insights,
    recording_insights,
    recording_ref,
    seeded,
    speaker_info,
    spoken_dates,
    time_lines,
)
from server.sandbox.dataset_calls import CallSpec, Ids, phone_call_specs
from server.sandbox.dataset_people import PEOPLE, external, users
from server.sandbox.samples import JSON, Dataset, SampleCall, SampleRecording

SANDBOX_ACCOUNT_ID = "412583007"


def _speaker_ids(session_id: str, roles: dict[str, Party], numbers: dict[str, int] | None) -> dict[str, str]:
    """Participant ids of the session; a party keeps its number across the recordings of one session."""
    stem = session_id.removeprefix("s-")
    numbers = numbers or {role: index for index, role in enumerate(roles, start=1)}
    return {role: f"p-{stem}-{numbers[role]}" for role in roles}


def _title(source: Party, target: Party) -> str:
    return f"Call from {source.name or source.phone} to {target.name or target.phone}"


@dataclass(frozen=True)
class _Recorded:
    """One recording's insights and where it sits in time."""

    insights: JSON
    started: datetime
    duration_ms: int


def _record(
    *,
    conversation: Conversation,
    rng: random.Random,
    started: datetime,
    record_id: str,
    session_id: str,
    domain: str,
    title: str,
    direction: str | None,
    owner: Party,
    roles: dict[str, Party],
    target_end: float | None = None,
    recording_ms: int | None = None,
    backchannels: float = 0.35,
    quirks: Callable[[JSON, list[Utterance], dict[str, str]], JSON] | None = None,
    speaker_numbers: dict[str, int] | None = None,
) -> _Recorded:
    dates = spoken_dates(started)
    utterances = time_lines(
        conversation.lines,
        rng=rng,
        target_end=target_end,
        first_start=round(rng.uniform(0.8, 2.6), 2),
        backchannel_rate=backchannels,
        placeholders=dates,
    )
    speaker_ids = _speaker_ids(session_id, roles, speaker_numbers)
    duration_ms = recording_ms or math.ceil((utterances[-1].end + rng.uniform(1.5, 4.5)) * 1000)
    created = started + timedelta(milliseconds=duration_ms, minutes=rng.uniform(20, 40))
    insights = recording_insights(
        title=title,
        domain=domain,
        record_id=record_id,
        session_id=session_id,
        direction=direction,
        owner_extension_id=owner.extension_id or "",
        duration_ms=duration_ms,
        started=started,
        created=created,
        modified=created + timedelta(milliseconds=rng.randint(0, 40)),
        speakers=speaker_info(((speaker_ids[r], p) for r, p in roles.items()), SANDBOX_ACCOUNT_ID),
        insights=conversation_insights(conversation, utterances, speaker_ids, placeholders=dates),
    )
    if quirks is not None:
        insights = quirks(insights, utterances, speaker_ids)
    return _Recorded(insights, started, duration_ms)


def _call_start(now: datetime, days_ago: int, at: time) -> datetime:
    return datetime.combine((now - timedelta(days=days_ago)).date(), at, tzinfo=UTC)


def _phone_call(spec: CallSpec, now: datetime) -> SampleCall:
    """A call with at most one recording, on one leg."""
    rng = seeded(spec.key)
    owner = PEOPLE[spec.owner]
    if spec.started_ago is not None:
        started = (now - spec.started_ago).replace(microsecond=0)
    else:
        started = _call_start(now, spec.days_ago, spec.at)
    inbound = spec.direction == "Inbound"
    source, target = (spec.external, owner) if inbound else (owner, spec.external)
    recordings: list[SampleRecording] = []
    recording = None
    duration_s = rng.randint(70, 260)
    if spec.recording_type:
        recording = recording_ref(SANDBOX_ACCOUNT_ID, spec.ids.record_id, spec.recording_type)
    if recording is not None and not spec.insights_ready:
        duration_s = rng.randint(380, 520)
        recordings.append(SampleRecording(spec.ids.record_id, None))
    elif recording is not None and spec.conversation is not None:
        recorded = _record(
            conversation=spec.conversation,
            rng=rng,
            started=started + timedelta(milliseconds=rng.randint(900, 3400)),
            record_id=spec.ids.record_id,
            session_id=spec.ids.session_id,
            domain="pbx",
            title=spec.title or _title(source, target),
            direction=spec.direction,
            owner=owner,
            roles=spec.roles,
            target_end=spec.target_end,
            recording_ms=spec.recording_ms,
            backchannels=spec.backchannels,
            quirks=spec.quirks,
        )
        recordings.append(SampleRecording(spec.ids.record_id, recorded.insights))
        duration_s = math.ceil((recorded.started - started).total_seconds() + recorded.duration_ms / 1000) + 2
    result = spec.result or ("Accepted" if inbound else "Call connected")
    if result == "Missed":
        duration_s = rng.randint(18, 32)
    common: dict[str, Any] = {"account_id": SANDBOX_ACCOUNT_ID, "session_id": spec.ids.session_id, "started": started}
    leg = call_leg(
        **common,
        duration_s=duration_s,
        direction=spec.direction,
        action="Phone Call" if inbound else "VoIP Call",
        result=result,
        leg_type="Accept" if inbound else "SipToPstnMetered",
        source=source,
        target=target,
        extension_id=owner.extension_id or "",
        master=True,
        recording=recording,
    )
    record = call_log_record(
        **common,
        log_id=spec.ids.log_id,
        session_number=spec.ids.session_number,
        duration_s=duration_s,
        direction=spec.direction,
        action="Phone Call" if inbound else "VoIP Call",
        result=result,
        source=source,
        target=target,
        extension_id=owner.extension_id or "",
        legs=[leg],
        recording=recording,
    )
    return SampleCall(spec.key, spec.ids.session_id, "pbx", owner.extension_id or "", record, recordings)


def _transferred_call(now: datetime) -> SampleCall:
    """Reception answers, then transfers to implementation: one session, two legs, two recordings."""
    key = "transferred-call"
    ids = Ids("HKASfYqRBSWiFA", "14106547873", "s-ab7fed3747b7bz19b58359356z72c6960000", "2767906023023")
    second_record_id = "2767906023311"
    rng = seeded(key)
    owen, sofia = PEOPLE["owen"], PEOPLE["sofia"]
    angela = external("Angela Brooks", "+14805550119", "Brooks & Sons Plumbing")
    started = _call_start(now, 16, time(19, 12, 5))
    common: dict[str, Any] = {"session_id": ids.session_id, "domain": "pbx", "direction": "Inbound"}
    first = _record(
        **common,
        conversation=dialogues.TRANSFER_RECEPTION,
        rng=rng,
        started=started + timedelta(milliseconds=rng.randint(900, 2400)),
        record_id=ids.record_id,
        title=_title(angela, owen),
        owner=owen,
        roles={"recep": owen, "cust": angela},
        backchannels=0.2,
    )
    first_leg_s = math.ceil((first.started - started).total_seconds() + first.duration_ms / 1000) + 1
    picked_up = started + timedelta(seconds=first_leg_s + rng.randint(6, 14))
    second = _record(
        **common,
        conversation=dialogues.TRANSFER_SPECIALIST,
        rng=rng,
        started=picked_up + timedelta(milliseconds=rng.randint(700, 1600)),
        record_id=second_record_id,
        title=_title(angela, sofia),
        owner=sofia,
        roles={"impl": sofia, "cust": angela},
        speaker_numbers={"impl": 3, "cust": 2},
    )
    total_s = math.ceil((second.started - started).total_seconds() + second.duration_ms / 1000) + 2
    first_ref = recording_ref(SANDBOX_ACCOUNT_ID, ids.record_id, "Automatic")
    second_ref = recording_ref(SANDBOX_ACCOUNT_ID, second_record_id, "Automatic")
    where: dict[str, Any] = {"account_id": SANDBOX_ACCOUNT_ID, "session_id": ids.session_id}
    legs = [
        call_leg(
            **where,
            started=started,
            duration_s=first_leg_s,
            direction="Inbound",
            action="Phone Call",
            result="Accepted",
            leg_type="Accept",
            source=angela,
            target=owen,
            extension_id=owen.extension_id or "",
            master=True,
            recording=first_ref,
        ),
        call_leg(
            **where,
            started=picked_up,
            duration_s=total_s - int((picked_up - started).total_seconds()),
            direction="Inbound",
            action="Transfer",
            result="Accepted",
            leg_type="TransferCall",
            source=angela,
            target=sofia,
            extension_id=sofia.extension_id or "",
            recording=second_ref,
        ),
    ]
    record = call_log_record(
        **where,
        log_id=ids.log_id,
        session_number=ids.session_number,
        started=started,
        duration_s=total_s,
        direction="Inbound",
        action="Phone Call",
        result="Accepted",
        source=angela,
        target=owen,
        extension_id=owen.extension_id or "",
        legs=legs,
        recording=first_ref,
    )
    recordings = [
        SampleRecording(ids.record_id, first.insights),
        SampleRecording(second_record_id, second.insights),
    ]
    return SampleCall(key, ids.session_id, "pbx", owen.extension_id or "", record, recordings)


def _video_meeting(now: datetime) -> SampleCall:
    """A RingCentral Video meeting: `rcv` domain, where the record id and the session id are one id."""
    meeting_id = "9a1f6c2e-4b7d-4e08-a3c5-7d2b8f10e6a4"
    rng = seeded("pipeline-review")
    dana = PEOPLE["dana"]
    roles = {"dana": dana, "marcus": PEOPLE["marcus"], "jamal": PEOPLE["jamal"], "ethan": PEOPLE["ethan"]}
    recorded = _record(
        conversation=dataset_meetings.PIPELINE_REVIEW,
        rng=rng,
        started=_call_start(now, 3, time(15, 30, 0)) + timedelta(milliseconds=rng.randint(4000, 9000)),
        record_id=meeting_id,
        session_id=meeting_id,
        domain="rcv",
        title="Weekly pipeline review",
        direction=None,
        owner=dana,
        roles=roles,
        backchannels=0.25,
    )
    return SampleCall(
        "pipeline-review",
        meeting_id,
        "rcv",
        dana.extension_id or "",
        {},
        [SampleRecording(meeting_id, recorded.insights)],
    )


def _start_key(call: SampleCall) -> str:
    if call.call_log:
        return str(call.call_log["startTime"])
    insights = call.recordings[0].insights or {}
    return str(insights["recordingStartTime"])


def build_dataset(now: datetime | None = None) -> Dataset:
    """Build the sample account as it looks at `now` (default: the current time; naive means UTC).

    The same `now` always gives an equal `Dataset`; ids do not depend on `now`, dates do.
    """
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    calls = [_phone_call(spec, now) for spec in phone_call_specs()]
    calls += [_transferred_call(now), _video_meeting(now)]
    calls.sort(key=_start_key)
    return Dataset(account_id=SANDBOX_ACCOUNT_ID, users=users(), calls=calls)
