"""Finishing the analysis of a call while the sandbox runs: ``POST /sandbox/v1/analysis-complete``.

It completes a pending recording (insights not ready yet) or records a new realistic call, makes the insights
readable through the REST endpoints (and, for a new phone call, puts it in the call log), then pushes the
event(s) to every matching subscription. For ``pbx`` that is two events for one ``sourceRecordId``: AI Notes
first (transcript, summary, notes), then RingSense with every insight and a later ``lastModifiedTime``
(reference §2.1), so consumers must upsert.
"""

from __future__ import annotations

import copy
import itertools
import math
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from server.sandbox.dataset_build import (
    Party,
    call_leg,
    call_log_record,
    conversation_insights,
    iso,
    recording_insights,
    recording_ref,
    seeded,
    speaker_info,
    spoken_dates,
    time_lines,
)
from server.sandbox.dataset_live import INBOUND_INQUIRY, ROLLOUT_FOLLOWUP
from server.sandbox.errors import api_error, invalid_parameter
from server.sandbox.samples import JSON, Dataset, SampleCall, SampleRecording, SandboxUser

DOMAINS = ("pbx", "rcv", "rcx", "nice-incontact", "ms-teams")
AI_NOTES_KINDS = ("Transcript", "Summary", "CallNotes")  # what the AI Notes event carries; RingSense adds the rest
_RINGSENSE_DELAY = timedelta(seconds=47)  # the RingSense event follows the AI Notes one
_counter = itertools.count(1)
RS_APP_BASE = "https://ringsense.ringcentral.com/app/records"  # illustrative: the real host is not documented
_CALLERS = (
    Party("Luis Ortega", "+19165550142", company="Halvorsen Mechanical"),
    Party("Dev Patel", "+14085550163", company="Northstar Heating & Air"),
    Party(None, "+17075550198"),
)


@dataclass(frozen=True)
class Completed:
    """What the control answers, and the event bodies it pushed (in order)."""

    source_record_id: str
    source_session_id: str
    domain: str
    events: list[JSON]

    def answer(self) -> JSON:
        return {
            "sourceRecordId": self.source_record_id,
            "sourceSessionId": self.source_session_id,
            "domain": self.domain,
        }


def _party(block: JSON) -> Party:
    return Party(block.get("name"), block.get("phoneNumber") or "", block.get("extensionId"))


def _insights(
    *,
    call_key: str,
    record_id: str,
    session_id: str,
    domain: str,
    title: str,
    direction: str | None,
    owner: Party,
    other: Party,
    account_id: str,
    started: datetime,
    now: datetime,
) -> tuple[JSON, JSON]:
    """The AI Notes body and the RingSense body of one recording (both raw wire JSON)."""
    rng = seeded(f"live:{call_key}")
    # The user calls out to follow up; a caller rings in with an inquiry (meetings use the follow-up script).
    conversation = INBOUND_INQUIRY if direction == "Inbound" else ROLLOUT_FOLLOWUP
    dates = {**spoken_dates(started), "rep": (owner.name or "our rep").split()[0]}
    utterances = time_lines(
        conversation.lines,
        rng=rng,
        first_start=round(rng.uniform(0.8, 2.4), 2),
        backchannel_rate=0.3,
        placeholders=dates,
    )
    # Speaker ids are the call's telephony party ids (docs: "the call party ID assigned by the telephony system"),
    # `p-<session id without s->-<n>`, as in the dataset's calls.
    party = session_id.removeprefix("s-")
    speaker_ids = {"rep": f"p-{party}-1", "cust": f"p-{party}-2"}
    duration_ms = math.ceil((utterances[-1].end + rng.uniform(1.5, 4.0)) * 1000)
    full = recording_insights(
        title=title,
        domain=domain,
        record_id=record_id,
        session_id=session_id,
        direction=direction,
        owner_extension_id=owner.extension_id or "",
        duration_ms=duration_ms,
        started=started,
        created=now - _RINGSENSE_DELAY,
        modified=now,
        speakers=speaker_info([(speaker_ids["rep"], owner), (speaker_ids["cust"], other)], account_id),
        insights=conversation_insights(conversation, utterances, speaker_ids, placeholders=dates),
    )
    if domain == "rcx":  # the rcx sample event names the kind of change and links to the RingSense web app
        full = {"eventType": "Create", **full, "rsRecordUri": f"{RS_APP_BASE}/{record_id}"}
    notes = copy.deepcopy(full)
    notes["insights"] = {kind: units for kind, units in full["insights"].items() if kind in AI_NOTES_KINDS}
    notes["lastModifiedTime"] = iso(now - _RINGSENSE_DELAY)
    return notes, full


def _pending(dataset: Dataset, domain: str, record_id: str | None) -> tuple[int, SampleCall, SampleRecording] | None:
    # The newest pending recording first: it is the one whose analysis is due (older ones may never finish).
    for index, call in reversed(list(enumerate(dataset.calls))):
        for recording in call.recordings:
            if (record_id is None and call.domain == domain and recording.insights is None) or (
                record_id is not None and recording.record_id == record_id and call.domain == domain
            ):
                return index, call, recording
    return None


def complete_analysis(
    dataset: Dataset, *, domain: str, record_id: str | None, now_ts: float, user: SandboxUser
) -> Completed:
    """Finish a pending recording of ``domain`` (``record_id``, or the first pending one) or make a new call.

    Raises ``ApiError``: 400 for an unknown domain, 404 for an unknown ``record_id``, 409 for a recording
    whose analysis is already complete.
    """
    if domain not in DOMAINS:
        raise invalid_parameter("domain", domain)
    now = datetime.fromtimestamp(now_ts, UTC).replace(microsecond=0)
    found = _pending(dataset, domain, record_id)
    if found is None and record_id is not None:
        raise api_error(
            404, "CMN-102", "Resource for parameter [sourceRecordId] is not found", parameterName="sourceRecordId"
        )
    if found is not None:
        index, call, recording = found
        if recording.insights is not None:
            raise api_error(409, "CMN-409", f"Analysis of recording [{recording.record_id}] is already complete")
        return _complete_pending(dataset, index, call, recording, now)
    return _new_call(dataset, domain, now, user)


def _complete_pending(
    dataset: Dataset, index: int, call: SampleCall, recording: SampleRecording, now: datetime
) -> Completed:
    log = call.call_log
    direction = log.get("direction")
    source, target = _party(log.get("from", {})), _party(log.get("to", {}))
    owner, other = (target, source) if direction == "Inbound" else (source, target)
    started = datetime.fromisoformat(log["startTime"].replace("Z", "+00:00")) if log else now - timedelta(minutes=40)
    notes, full = _insights(
        call_key=call.key,
        record_id=recording.record_id,
        session_id=call.session_id,
        domain=call.domain,
        title=f"Call from {source.name or source.phone} to {target.name or target.phone}",
        direction=direction,
        owner=owner,
        other=other,
        account_id=dataset.account_id,
        started=started + timedelta(seconds=2),
        now=now,
    )
    recordings = [replace(r, insights=full) if r is recording else r for r in call.recordings]
    dataset.calls[index] = replace(call, recordings=recordings)
    events = [notes, full] if call.domain == "pbx" else [full]
    return Completed(recording.record_id, call.session_id, call.domain, events)


def _new_call(dataset: Dataset, domain: str, now: datetime, user: SandboxUser) -> Completed:
    n = next(_counter)
    rng = seeded(f"live-call:{n}")
    owner = Party(user.name, f"+1650555{rng.randint(1000, 1999)}", user.extension_id, user.extension_number)
    other = _CALLERS[n % len(_CALLERS)]
    session_id = f"s-a{secrets.token_hex(8)}z{secrets.token_hex(7)}0000"
    record_id = str(2_800_000_000_000 + rng.randint(0, 99_999_999)) if domain in ("pbx", "rcx") else session_id
    if domain == "rcv":
        record_id = session_id = (
            f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-4{secrets.token_hex(2)[1:]}-a{secrets.token_hex(2)[1:]}-{secrets.token_hex(6)}"
        )
    inbound = n % 2 == 1
    direction = (
        "Inbound" if domain in ("pbx", "rcx") and inbound else ("Outbound" if domain in ("pbx", "rcx") else None)
    )
    source, target = (other, owner) if inbound else (owner, other)
    talk_minutes = rng.randint(4, 9)
    started = now - timedelta(minutes=talk_minutes + 31)
    title = (
        f"Call from {source.name or source.phone} to {target.name or target.phone}" if direction else "Customer meeting"
    )
    notes, full = _insights(
        call_key=f"new-{n}",
        record_id=record_id,
        session_id=session_id,
        domain=domain,
        title=title,
        direction=direction,
        owner=owner,
        other=other,
        account_id=dataset.account_id,
        started=started,
        now=now,
    )
    call_log: JSON = {}
    if domain == "pbx":
        recording = recording_ref(dataset.account_id, record_id, "Automatic")
        duration_s = math.ceil(full["recordingDurationMs"] / 1000) + 3
        action = "Phone Call" if inbound else "VoIP Call"
        result = "Accepted" if inbound else "Call connected"
        leg = call_leg(
            account_id=dataset.account_id,
            session_id=session_id,
            started=started,
            action=action,
            result=result,
            duration_s=duration_s,
            direction=direction or "Outbound",
            leg_type="Accept" if inbound else "SipToPstnMetered",
            source=source,
            target=target,
            extension_id=user.extension_id,
            master=True,
            recording=recording,
        )
        call_log = call_log_record(
            account_id=dataset.account_id,
            session_id=session_id,
            started=started,
            action=action,
            result=result,
            log_id=secrets.token_urlsafe(10)[:14],
            session_number=str(15_000_000_000 + n),
            duration_s=duration_s,
            direction=direction or "Outbound",
            source=source,
            target=target,
            extension_id=user.extension_id,
            legs=[leg],
            recording=recording,
        )
    call = SampleCall(f"live-{n}", session_id, domain, user.extension_id, call_log, [SampleRecording(record_id, full)])
    dataset.calls.append(call)
    events = [notes, full] if domain == "pbx" else [full]
    return Completed(record_id, session_id, domain, events)
