"""Building blocks of the sandbox dataset: timing of scripted speech, insight bodies, call-log records.

Everything here is pure: the same arguments (and the same seeded `random.Random`) give the same JSON.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from server.sandbox.samples import JSON

API_BASE = "https://platform.ringcentral.com/restapi/v1.0"
MEDIA_BASE = "https://media.ringcentral.com/restapi/v1.0"

# Short acknowledgements a listener drops into someone else's turn; transcripts are full of them.
BACKCHANNELS = (
    "Mm-hmm.",
    "Yeah.",
    "Right.",
    "Okay.",
    "Got it.",
    "Sure.",
    "Yep.",
    "Uh-huh.",
    "Right, right.",
    "Okay, yeah.",
    "Makes sense.",
    "Yeah, totally.",
    "Oh, okay.",
    "Sure, sure.",
    "Gotcha.",
)

# (role, text) or (role, text, anchor): an anchor names the line so insights can point at it.
Line = tuple[str, ...]


@dataclass(frozen=True)
class Party:
    """One side of a call: an internal extension (with `extension_id`) or an external caller."""

    name: str | None
    phone: str
    extension_id: str | None = None
    extension_number: str | None = None
    company: str | None = None

    @property
    def internal(self) -> bool:
        return self.extension_id is not None


@dataclass(frozen=True)
class Utterance:
    role: str
    text: str
    start: float
    end: float
    anchor: str | None = None


@dataclass(frozen=True)
class Conversation:
    """What was said on one recording and what RingSense made of it.

    `None` leaves an insight section out of the body; an empty tuple sends it as an empty array.
    """

    lines: tuple[Line, ...]
    summary: tuple[str, ...] | None = None
    highlights: tuple[tuple[str, str], ...] | None = None  # (anchor, value)
    next_steps: tuple[tuple[str, str], ...] | None = None  # (anchor, value)
    bullets: tuple[tuple[str | None, str], ...] | None = None  # (section, value)
    notes: str | None = None
    score: str | None = None
    sentiment: str | None = None


def seeded(seed: str) -> random.Random:
    """A generator that gives the same sequence for the same seed string, in every process."""
    return random.Random(seed)  # noqa: S311 - reproducible sample data, not security


def iso(moment: datetime) -> str:
    """RingCentral's timestamp form: UTC, milliseconds, `Z`."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_seconds(moment: datetime) -> str:
    """The call log's timestamp form: whole seconds, `.000Z`."""
    return iso(moment.replace(microsecond=0))


def spoken_dates(day: datetime, *, span: int = 30) -> dict[str, str]:
    """Placeholders `{d3}` ("Thursday, June 12") and `{w3}` ("Thursday") for dates after the call."""
    values: dict[str, str] = {}
    for offset in range(span + 1):
        later = day + timedelta(days=offset)
        values[f"w{offset}"] = later.strftime("%A")
        values[f"d{offset}"] = f"{later.strftime('%A, %B')} {later.day}"
    return values


def time_lines(
    lines: Sequence[Line],
    *,
    rng: random.Random,
    target_end: float | None = None,
    first_start: float = 1.8,
    backchannel_rate: float = 0.0,
    placeholders: dict[str, str] | None = None,
) -> list[Utterance]:
    """Give scripted lines plausible start/end times, ending at `target_end` seconds.

    Each role speaks at its own pace; listeners interject backchannels after long turns with probability
    `backchannel_rate`. With `target_end`, times are stretched or squeezed uniformly so the last line ends
    on target. Starts and ends increase monotonically and no utterance overlaps the next.
    """
    roles = sorted({line[0] for line in lines})
    pace = {role: rng.uniform(2.35, 2.95) for role in roles}  # words per second
    draft: list[tuple[str, str, float, float, str | None]] = []
    clock = first_start
    for index, line in enumerate(lines):
        role, text = line[0], line[1]
        anchor = line[2] if len(line) > 2 else None
        if placeholders and "{" in text:
            text = text.format_map(placeholders)
        words = len(text.split())
        duration = max(0.45, words / pace[role] * rng.uniform(0.9, 1.12) + 0.25)
        draft.append((role, text, clock, clock + duration, anchor))
        clock += duration
        if words >= 12 and len(roles) > 1 and rng.random() < backchannel_rate:
            upcoming = lines[index + 1][0] if index + 1 < len(lines) else None
            listeners = [r for r in roles if r not in (role, upcoming)] or [r for r in roles if r != role]
            listener = rng.choice(listeners)
            clock += rng.uniform(0.1, 0.35)
            short = rng.uniform(0.35, 0.85)
            draft.append((listener, rng.choice(BACKCHANNELS), clock, clock + short, None))
            clock += short
        clock += rng.uniform(0.2, 0.9) if rng.random() > 0.06 else rng.uniform(1.5, 4.0)

    natural_end = draft[-1][3]
    factor = 1.0 if target_end is None else (target_end - first_start) / (natural_end - first_start)
    return [
        Utterance(
            role,
            text,
            round(first_start + (start - first_start) * factor, 2),
            round(first_start + (end - first_start) * factor, 2),
            anchor,
        )
        for role, text, start, end, anchor in draft
    ]


def anchored(utterances: Sequence[Utterance]) -> dict[str, Utterance]:
    return {u.anchor: u for u in utterances if u.anchor}


def summary_units(paragraphs: Sequence[str], utterances: Sequence[Utterance]) -> list[JSON]:
    """Summary paragraphs spread over the transcript, each spanning whole utterances (seconds)."""
    if not paragraphs:
        return []
    chunk = math.ceil(len(utterances) / len(paragraphs))
    units = []
    for index, value in enumerate(paragraphs):
        part = utterances[index * chunk : (index + 1) * chunk] or utterances[-1:]
        units.append({"value": value, "start": part[0].start, "end": part[-1].end})
    return units


def conversation_insights(
    conversation: Conversation,
    utterances: Sequence[Utterance],
    speaker_ids: dict[str, str],
    *,
    highlights_key: str = "Highlights",
    placeholders: dict[str, str] | None = None,
) -> JSON:
    """The `insights` object (PascalCase keys) of a RecordingInsights body."""
    marks = anchored(utterances)
    fill = placeholders or {}

    def moment(anchor: str, value: str) -> JSON:
        said = marks[anchor]
        return {
            "speakerId": speaker_ids[said.role],
            "value": value.format_map(fill),
            "start": said.start,
            "end": said.end,
        }

    body: JSON = {
        "Transcript": [
            {"speakerId": speaker_ids[u.role], "text": u.text, "start": u.start, "end": u.end} for u in utterances
        ]
    }
    if conversation.summary is not None:
        body["Summary"] = summary_units([p.format_map(fill) for p in conversation.summary], utterances)
    if conversation.highlights is not None:
        body[highlights_key] = [moment(a, v) for a, v in conversation.highlights]
    if conversation.next_steps is not None:
        body["NextSteps"] = [moment(a, v) for a, v in conversation.next_steps]
    if conversation.bullets is not None:
        body["BulletedSummary"] = [
            {"value": value.format_map(fill), "section": section} if section else {"value": value.format_map(fill)}
            for section, value in conversation.bullets
        ]
    if conversation.score is not None:
        body["AIScore"] = [{"value": conversation.score}]
    if conversation.notes is not None:
        body["CallNotes"] = [{"value": conversation.notes.format_map(fill)}]
    if conversation.sentiment is not None:
        body["Sentiment"] = [{"value": conversation.sentiment}]
    return body


def speaker_info(speakers: Iterable[tuple[str, Party]], account_id: str, *, with_phone: bool = False) -> list[JSON]:
    """`speakerInfo`: internal speakers carry account and extension; external ones send nulls."""
    entries = []
    for speaker_id, party in speakers:
        entry: JSON = {
            "speakerId": speaker_id,
            "name": party.name,
            "accountId": account_id if party.internal else None,
            "extensionId": party.extension_id,
        }
        if with_phone:
            entry["phoneNumber"] = party.phone
        entries.append(entry)
    return entries


def recording_insights(
    *,
    title: str,
    domain: str,
    record_id: str,
    session_id: str,
    direction: str | None,
    owner_extension_id: str,
    duration_ms: int,
    started: datetime,
    created: datetime,
    modified: datetime,
    speakers: list[JSON],
    insights: JSON,
) -> JSON:
    body: JSON = {
        "title": title,
        "domain": domain,
        "sourceRecordId": record_id,
        "sourceSessionId": session_id,
    }
    if direction is not None:
        body["callDirection"] = direction
    body |= {
        "ownerExtensionId": owner_extension_id,
        "recordingDurationMs": duration_ms,
        "recordingStartTime": iso(started),
        "creationTime": iso(created),
        "lastModifiedTime": iso(modified),
        "speakerInfo": speakers,
        "insights": insights,
    }
    return body


def caller(party: Party) -> JSON:
    """A call-log `from`/`to` block; keys with no value are left out, as the platform does."""
    info: JSON = {"phoneNumber": party.phone}
    if party.extension_number:
        info["extensionNumber"] = party.extension_number
    if party.extension_id:
        info["extensionId"] = party.extension_id
    if party.name:
        info["name"] = party.name
    return info


def extension_ref(account_id: str, extension_id: str) -> JSON:
    return {"id": int(extension_id), "uri": f"{API_BASE}/account/{account_id}/extension/{extension_id}"}


def recording_ref(account_id: str, record_id: str, recording_type: str) -> JSON:
    return {
        "id": record_id,
        "uri": f"{API_BASE}/account/{account_id}/recording/{record_id}",
        "type": recording_type,
        "contentUri": f"{MEDIA_BASE}/account/{account_id}/recording/{record_id}/content",
    }


def call_leg(
    *,
    account_id: str,
    session_id: str,
    started: datetime,
    duration_s: int,
    direction: str,
    action: str,
    result: str,
    leg_type: str,
    source: Party,
    target: Party,
    extension_id: str,
    master: bool = False,
    recording: JSON | None = None,
) -> JSON:
    leg: JSON = {
        "startTime": iso_seconds(started),
        "duration": duration_s,
        "durationMs": duration_s * 1000,
        "type": "Voice",
        "direction": direction,
        "action": action,
        "result": result,
        "reason": "Accepted" if result in ("Accepted", "Call connected") else result,
        "telephonySessionId": session_id,
        "from": caller(source),
        "to": caller(target),
        "extension": extension_ref(account_id, extension_id),
        "legType": leg_type,
        "transport": "PSTN",
    }
    if master:
        leg["master"] = True
    if recording is not None:
        leg["recording"] = recording
    return leg


def call_log_record(
    *,
    account_id: str,
    log_id: str,
    session_number: str,
    session_id: str,
    started: datetime,
    duration_s: int,
    direction: str,
    action: str,
    result: str,
    source: Party,
    target: Party,
    extension_id: str,
    legs: list[JSON],
    recording: JSON | None = None,
) -> JSON:
    """A call-log record in the Detailed view."""
    record: JSON = {
        "id": log_id,
        "uri": f"{API_BASE}/account/{account_id}/call-log/{log_id}?view=Detailed",
        "sessionId": session_number,
        "telephonySessionId": session_id,
        "startTime": iso_seconds(started),
        "duration": duration_s,
        "durationMs": duration_s * 1000,
        "type": "Voice",
        "internalType": "LocalNumber" if direction == "Inbound" else "LongDistance",
        "direction": direction,
        "action": action,
        "result": result,
        "to": caller(target),
        "from": caller(source),
        "extension": extension_ref(account_id, extension_id),
        "transport": "PSTN",
        "lastModifiedTime": iso_seconds(started + timedelta(seconds=duration_s + 3)),
        "legs": legs,
    }
    if recording is not None:
        record["recording"] = recording
    return record
