"""The calls of the sandbox account: who called whom, when, with what ids, and what was said.

`phone_call_specs()` lists every single-leg phone call; `server.sandbox.dataset` turns each into a call-log
record and, when recorded, a RecordingInsights body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta

from server.sandbox import dataset_discovery, dataset_meetings, dialogues, longcall
from server.sandbox.dataset_build import Conversation, Party, Utterance, anchored, seeded
from server.sandbox.dataset_people import CONFERENCE_BRIDGE, HALVORSEN, PEOPLE, TYLER, external
from server.sandbox.samples import JSON


@dataclass(frozen=True)
class Ids:
    """A call's ids: call-log `id`, numeric `sessionId`, `telephonySessionId`, recording id ("" if none)."""

    log_id: str
    session_number: str
    session_id: str
    record_id: str


@dataclass(frozen=True)
class CallSpec:
    """One single-leg phone call, as the sample data describes it."""

    key: str
    ids: Ids
    days_ago: int
    at: time  # UTC time of day the call started
    direction: str
    owner: str  # key into STAFF
    external: Party
    roles: dict[str, Party]  # speakers, in speakerInfo order
    conversation: Conversation | None
    recording_type: str | None = "Automatic"  # None: not recorded
    target_end: float | None = None  # transcript end in seconds; None: natural pace
    recording_ms: int | None = None  # recording length when it outlasts the transcript
    backchannels: float = 0.35
    result: str | None = None
    title: str | None = None
    started_ago: timedelta | None = None  # instead of days_ago/at: started this long before `now`
    insights_ready: bool = True
    quirks: Callable[[JSON, list[Utterance], dict[str, str]], JSON] | None = None


BRENDA = external("Brenda Walsh", "+15595550126", "Tri-County Landscaping")


def legacy_quirks(body: JSON, utterances: list[Utterance], speaker_ids: dict[str, str]) -> JSON:
    """Reshape a body the way the docs' prose and rcx sample do, rather than the way the spec does."""
    insights = body["insights"]
    insights["HighLights"] = insights.pop("Highlights")
    insights["Summary"] = [{**unit, "start": i, "end": i + 1} for i, unit in enumerate(insights["Summary"])]
    insights["AIScore"] = [{"value": int(insights["AIScore"][0]["value"])}]
    marks = anchored(utterances)
    insights["QnA"] = [
        {
            "start": marks[anchor].start,
            "end": marks[anchor].end,
            "value": value,
            "speakerId": speaker_ids[marks[anchor].role],
        }
        for anchor, value in dialogues.LEGACY_QNA
    ]
    transcript = insights["Transcript"]
    del transcript[len(transcript) // 2]["text"]  # the one malformed unit clients must skip and report
    phones = {PEOPLE["priya"].name: PEOPLE["priya"].phone, BRENDA.name: BRENDA.phone}
    for speaker in body["speakerInfo"]:
        speaker["phoneNumber"] = phones[speaker["name"]]
    return {"eventType": "Create", **body}


def phone_call_specs() -> list[CallSpec]:
    """Every single-leg phone call of the account (the long call's script is generated here, per build)."""
    me = PEOPLE
    halvorsen_ops = external("Luis Ortega", HALVORSEN.phone, HALVORSEN.company)
    greg = external("Greg Tanaka", "+15035550167", "Pinecrest Property Services")
    cascade = external("Monica Alvarez", "+12065550158", "Cascade Home Services")
    stephen = external("Stephen Moore", "+19515550134", "Foothill Pest Control")
    nadia = external("Nadia Farouk", "+15105550172", "Bayside Appliance Repair")
    rob = external("Rob Delgado", "+16195550137", "Bluewater IT Partners")
    victor = external("Victor Hale", "+13125550190", "Northgate Compliance")
    unknown = external(None, "+17075550183")
    bridge = external("Conference bridge", CONFERENCE_BRIDGE)
    return [
        CallSpec(
            key="sales-discovery",
            ids=Ids("60bCjFhU80s9UA", "14037126070", "s-afe024070aae0z198a2cd8185ze3c93f0000", "2793284513355"),
            days_ago=26,
            at=time(17, 2, 14),
            direction="Outbound",
            owner="marcus",
            external=HALVORSEN,
            roles={"rep": me["marcus"], "coo": HALVORSEN, "ops": halvorsen_ops},
            conversation=dataset_discovery.CONVERSATION,
            target_end=1_796.0,
            backchannels=0.75,
        ),
        CallSpec(
            key="partner-call",
            ids=Ids("EVA2aegg2lEZiA", "14335196089", "s-aaa2a99cecee0z19ce8bb864czdb932e0000", "2736808122335"),
            days_ago=24,
            at=time(21, 30, 41),
            direction="Inbound",
            owner="jamal",
            external=rob,
            roles={"pm": me["jamal"], "partner": rob},
            conversation=dataset_meetings.PARTNER,
        ),
        CallSpec(
            key="support-escalation",
            ids=Ids("iy7Yb1Z3P1rpkA", "14307853313", "s-a701c957b9f90z19a6a12822bze97c5d0000", "2759720585857"),
            days_ago=22,
            at=time(16, 11, 37),
            direction="Inbound",
            owner="priya",
            external=greg,
            roles={"agent": me["priya"], "cust": greg},
            conversation=dialogues.SUPPORT_ESCALATION,
        ),
        CallSpec(
            key="unrecorded-followup",
            ids=Ids("ei30z3j0SziIFA", "14285645036", "s-a59b5acc98ce9z19d69f24d18z2498f70000", ""),
            days_ago=21,
            at=time(17, 30, 2),
            direction="Outbound",
            owner="priya",
            external=greg,
            roles={},
            conversation=None,
            recording_type=None,
        ),
        CallSpec(
            key="legacy-format",
            ids=Ids("WMoLV8BV65OAKA", "14684585653", "s-ab9a9941ab592z19fa0e7c5abz9878850000", "2753630483225"),
            days_ago=20,
            at=time(18, 40, 9),
            direction="Inbound",
            owner="priya",
            external=BRENDA,
            roles={"agent": me["priya"], "cust": BRENDA},
            conversation=dialogues.LEGACY_FORMAT,
            recording_type="OnDemand",
            quirks=legacy_quirks,
        ),
        CallSpec(
            key="conference",
            ids=Ids("SgfXgSjCTaiIOA", "14832246450", "s-a9a2ae6e956c0z198e3bac290zea927b0000", "2798762090735"),
            days_ago=18,
            at=time(17, 0, 3),
            direction="Outbound",
            owner="dana",
            external=bridge,
            roles={
                "dana": me["dana"],
                "priya": me["priya"],
                "harold": external("Harold Jennings", "+15305550161", "Redwood Valley Utilities"),
                "mei": external("Mei Chen", "+15305550162", "Redwood Valley Utilities"),
                "carlos": external("Carlos Mendez", "+15305550163", "Redwood Valley Utilities"),
            },
            conversation=dataset_meetings.CONFERENCE,
            recording_ms=2_672_384,
            title="Conference call: Redwood Valley Utilities quarterly review",
        ),
        CallSpec(
            key="long-call",
            ids=Ids("XhhiOZhQYQ6RUA", "14438923416", "s-a452e88e120ebz198df818f0az8a08b80000", "2766964652877"),
            days_ago=14,
            at=time(16, 0, 11),
            direction="Outbound",
            owner="sofia",
            external=cascade,
            roles={
                "lead": me["sofia"],
                "se": me["ethan"],
                "ops": cascade,
                "it": external("Kevin Shaw", cascade.phone, cascade.company),
                "disp": external("Trina Boyd", cascade.phone, cascade.company),
            },
            conversation=longcall.workshop(seeded("long-call-script")),
            target_end=5_396.0,
            backchannels=0.3,
        ),
        CallSpec(
            key="renewal-negotiation",
            ids=Ids("eJoWxLKAsF3nLA", "14094086369", "s-a392b62869096z199d21f98e9z251eaf0000", "2777402588774"),
            days_ago=12,
            at=time(20, 15, 48),
            direction="Outbound",
            owner="dana",
            external=stephen,
            roles={"mgr": me["dana"], "cust": stephen},
            conversation=dataset_meetings.RENEWAL,
        ),
        CallSpec(
            key="prompt-injection",
            ids=Ids("oDKhyTpnzPLG8A", "14409594401", "s-adb2462ece62fz1986cf85ac3zccee4a0000", "2728278440385"),
            days_ago=11,
            at=time(22, 5, 26),
            direction="Inbound",
            owner="marcus",
            external=victor,
            roles={"rep": me["marcus"], "caller": victor},
            conversation=dialogues.PROMPT_INJECTION,
            recording_type="OnDemand",
        ),
        CallSpec(
            key="missed-call",
            ids=Ids("LMhxhVYGHFKO9A", "14963597193", "s-a4fbc4b9f54f0z196b146bbaaz6a707e0000", ""),
            days_ago=9,
            at=time(17, 5, 50),
            direction="Inbound",
            owner="marcus",
            external=TYLER,
            roles={},
            conversation=None,
            recording_type=None,
            result="Missed",
        ),
        CallSpec(
            key="callback-voicemail",
            ids=Ids("GHN6gmUKB8DlVA", "14558973752", "s-a23fb3040d765z19c48224258z5359030000", "2745007184270"),
            days_ago=9,
            at=time(19, 31, 12),
            direction="Outbound",
            owner="marcus",
            external=TYLER,
            roles={"vm": TYLER, "rep": me["marcus"]},
            conversation=dialogues.CALLBACK_VOICEMAIL,
            backchannels=0.0,
        ),
        CallSpec(
            key="unknown-caller",
            ids=Ids("svJWkhcGU0yX2A", "13988324677", "s-a720e4f04d2ddz19274fff85ez55c1de0000", "2777013546185"),
            days_ago=7,
            at=time(18, 22, 40),
            direction="Inbound",
            owner="marcus",
            external=unknown,
            roles={"rep": me["marcus"], "caller": unknown},
            conversation=dialogues.UNKNOWN_CALLER,
            recording_type="OnDemand",
        ),
        CallSpec(
            key="onboarding-checkin",
            ids=Ids("LiCToUBQM0XdzA", "14280278168", "s-a27dc7c6bedcbz19492e511ddzea9e240000", "2737468504661"),
            days_ago=5,
            at=time(16, 45, 19),
            direction="Outbound",
            owner="sofia",
            external=nadia,
            roles={"impl": me["sofia"], "cust": nadia},
            conversation=dataset_meetings.ONBOARDING,
        ),
        CallSpec(
            key="unrecorded-vendor",
            ids=Ids("5pVJe3Q8FFhuoA", "14995211885", "s-a0245da10ce46z19afbc1566fzd0764a0000", ""),
            days_ago=2,
            at=time(18, 10, 33),
            direction="Inbound",
            owner="owen",
            external=external("Crown Office Supply", "+19165550104"),
            roles={},
            conversation=None,
            recording_type=None,
        ),
        CallSpec(
            key="not-ready",
            ids=Ids("d0NH8T5KT1ueaA", "14920924347", "s-af1e707de1782z1907b610ceaz1169210000", "2766451248793"),
            days_ago=0,
            at=time(0, 0),
            started_ago=timedelta(minutes=52),
            direction="Outbound",
            owner="marcus",
            external=halvorsen_ops,
            roles={},
            conversation=None,
            insights_ready=False,
        ),
    ]
