"""The 90-minute implementation workshop with Cascade Home Services, generated from seeded templates.

The script is assembled from an agenda: a scripted opening, one block per agenda topic (role-specific
templates filled with seeded numbers, names and fields, plus reactions, interruptions and the odd dropped
connection), and a scripted wrap-up whose next steps the insights point at.

Roles: `lead` Sofia Lindqvist (Crestline implementation), `se` Ethan Brandt (Crestline solutions engineer),
`ops` Monica Alvarez (director of operations), `it` Kevin Shaw (IT manager), `disp` Trina Boyd (lead dispatcher).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from server.sandbox.dataset_build import Conversation, Line

ROLES = ("lead", "se", "ops", "it", "disp")
FIRST_NAMES = {"lead": "Sofia", "se": "Ethan", "ops": "Monica", "it": "Kevin", "disp": "Trina"}
LINES_PER_TOPIC = 164  # with backchannels added by the timing pass this passes 1,500 utterances


@dataclass(frozen=True)
class Topic:
    key: str
    noun: str  # how people refer to the topic's work product, for the shared templates
    intro: str
    weights: dict[str, int]
    lines: dict[str, tuple[str, ...]]


_VALUES = {
    "field": (
        "job type",
        "customer number",
        "site address",
        "warranty end date",
        "equipment serial",
        "last service date",
        "priority code",
        "contract tier",
        "gate code",
        "billing contact",
    ),
    "zone": ("North Valley", "Eastside", "Riverside", "Downtown", "Foothills", "Lakeshore", "Airport", "Old Mill"),
    "skill": (
        "EPA 608",
        "backflow testing",
        "gas line",
        "commercial refrigeration",
        "boiler",
        "ductless mini-split",
        "tankless water heater",
        "sewer camera",
    ),
    "tech": ("Ray Dominguez", "Hannah Lee", "Josh Whitaker", "Amir Haddad", "Carla Nunes", "Pete Sorensen", "Li Wei"),
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    "time": ("7:30", "8", "9:15", "10", "11:30", "1 o'clock", "2:30", "4"),
    "report": ("first-time fix rate", "jobs per tech per day", "SLA attainment", "revenue by zone", "callback rate"),
}

OPENING: tuple[Line, ...] = (
    ("lead", "Okay, I think we're all here. Good morning everyone, and thanks for blocking the whole ninety minutes."),
    ("ops", "Morning, Sofia. Kevin and Trina are both on."),
    ("it", "Morning."),
    ("disp", "Hi everyone, I'm in the dispatch room, so if you hear phones, that's why."),
    ("lead", "No problem. Ethan from our solutions team is here too. He'll take the data and integration questions."),
    ("se", "Hi all. I've got the sandbox copy of your FieldBook data open, so we can look at real records."),
    (
        "lead",
        "Today's agenda: data migration, service zones, technician skills, priorities and SLAs, the mobile "
        "rollout, the accounting integration, reporting, and then training and the cutover plan.",
    ),
    ("ops", "That's a lot. Let's keep moving and park anything that needs a longer discussion."),
    ("lead", "Agreed. I'll keep a parking lot and an action log, and send both after the call."),
)

TOPICS: tuple[Topic, ...] = (
    Topic(
        "migration",
        "the field mapping",
        "First up, data migration. Ethan ran a test load from FieldBook last week, so let's look at the results.",
        {"lead": 3, "se": 4, "ops": 2, "it": 3, "disp": 1},
        {
            "lead": (
                "For the {field}, do you want to keep the old values or map them to our standard list?",
                "The test load had {big} records and {n} failed validation, mostly on the {field}.",
                "We can put the {field} in a custom field so nothing gets lost.",
                "Let's agree the mapping for the {field} today, otherwise it holds up the second test load.",
            ),
            "se": (
                "FieldBook gives us the {field} as free text, so I'll normalise it during the load.",
                "The dedupe on the sandbox copy found {n} likely duplicates among {big} customers.",
                "If we cut over on a {day}, the delta load should take about {hrs} hours.",
                "About {pct} percent of sites have no {field} at all, so we'll flag those for cleanup.",
                "Attachments come over as links, roughly {big} photos and PDFs in total.",
            ),
            "ops": (
                "We haven't really used the {field} since about 2019, honestly.",
                "Keep the {field}. The commercial team asks for it every week.",
                "Can we leave out anything older than {n} years? Most of it is noise.",
            ),
            "it": (
                "I can give you a fresh export on {day} night, after the last shift closes.",
                "The FieldBook database is about {gb} gigabytes, and most of that is attachments.",
                "Is the upload over SFTP, or do you want it through the secure link again?",
                "I'd want the old system read-only for at least {n} days after cutover.",
            ),
            "disp": (
                "My team only looks at the {field} when a customer calls to complain.",
                "If the {field} is wrong, the tech goes to the wrong door. That happens maybe {n} times a week.",
            ),
        },
    ),
    Topic(
        "zones",
        "the zone map",
        "Next, service zones. Right now you dispatch by ZIP code lists, and we want to move that to map-based zones.",
        {"lead": 3, "se": 2, "ops": 3, "it": 1, "disp": 4},
        {
            "lead": (
                "So {zone} would cover about {n} ZIP codes. Does that match how you staff it?",
                "We can let technicians float between {zone} and {zone2} when one side is overloaded.",
                "How many trucks do you start in {zone} on a normal day?",
                "Let's draw {zone} on the map now and you tell me where the edges are.",
            ),
            "se": (
                "I've drawn {zone} from your ZIP list. It's about {n} square miles.",
                "Drive time across {zone} at rush hour is close to {mins} minutes, so I'd split it.",
                "The zone boundaries can follow the freeway instead of ZIP lines, if that's easier for dispatch.",
            ),
            "ops": (
                "{zone} is our busiest area. We run {n} trucks there in summer.",
                "I'd keep {zone} and {zone2} separate, they have different managers.",
                "We're opening a satellite yard near {zone} in spring, so plan for that.",
            ),
            "it": (
                "Do the zones come from our GIS layer, or do we maintain them in Crestline?",
                "If we redraw {zone}, does anything change for the customers' addresses in the ERP?",
                "Our GIS team updates the parcel layer every {n} weeks, for what it's worth.",
            ),
            "disp": (
                "Nobody wants to drive into {zone} after three, the bridge is a parking lot.",
                "In practice {tech} covers {zone} and half of {zone2}.",
                "When {zone} is slammed I borrow two techs from {zone2}, every single week.",
                "Can the board show me {zone} jobs in a different color?",
            ),
        },
    ),
    Topic(
        "skills",
        "the skills matrix",
        "Okay, technician skills and certifications. This is what drives the scheduling recommendations.",
        {"lead": 3, "se": 2, "ops": 3, "it": 1, "disp": 3},
        {
            "lead": (
                "How many of your technicians hold {skill} certification today?",
                "We'll load the expiry dates, and the board warns {n} days before a certification runs out.",
                "Should {skill} be required for that job type, or just preferred?",
                "For apprentices we can allow {skill} jobs only when paired with a senior tech.",
            ),
            "se": (
                "The HR spreadsheet has {n} rows for {skill}, but {n2} of them have no expiry date.",
                "I can import certifications from the HR file directly; it's {big} rows in total.",
                "The scheduler treats an expired {skill} certification as missing, from the day it expires.",
            ),
            "ops": (
                "We have {n} techs with {skill}, and we need more before summer.",
                "{tech} is the only one who really knows {skill} jobs. That's a risk.",
                "Make {skill} required. We got fined for that once.",
            ),
            "it": (
                "Who keeps the certifications up to date after go-live, HR or dispatch?",
                "HR's system can export certifications nightly, if that helps keep them in sync.",
                "Do the certification records count as personal data for our retention policy?",
            ),
            "disp": (
                "If I can't find a {skill} tech, I call {tech} even on his day off.",
                "Half of our callbacks are {skill} jobs sent to the wrong person.",
                "I'd like to filter the board by {skill} with one click.",
            ),
        },
    ),
    Topic(
        "sla",
        "the SLA rules",
        "Let's move to priorities and SLAs. You have residential windows and commercial response times.",
        {"lead": 3, "se": 2, "ops": 4, "it": 1, "disp": 3},
        {
            "lead": (
                "So a priority one commercial call needs someone on site within {hrs} hours?",
                "We can turn the job amber when there are {mins} minutes left and nobody is en route.",
                "Should emergency calls after {time} in the evening go to the on-call tech automatically?",
                "Residential windows are {hrs} hours today. Do you want to offer narrower ones?",
            ),
            "se": (
                "Last quarter you had {n} priority one calls and {pct} percent were on time, from the FieldBook data.",
                "The SLA clock can pause while the customer is unreachable, if your contracts allow it.",
                "Each contract can have its own calendar, so holidays are handled per customer.",
            ),
            "ops": (
                "Our property management contracts say {hrs} hours, no exceptions.",
                "We pay a credit of {credit} every time we miss one of those.",
                "I want residential jobs to move before commercial ones ever do.",
                "Holidays count as business days in {n} of our contracts, believe it or not.",
            ),
            "it": (
                "Can the on-call rotation come from our phone system, or does it live in Crestline?",
                "The after-hours line forwards to a cell phone today, which nobody likes.",
                "If the SLA alert is a text, which number does it come from?",
            ),
            "disp": (
                "When the clock gets close I call the nearest tech and beg.",
                "Give me a text alert when a priority one is {mins} minutes from missing.",
                "We miss SLAs mostly in {zone}, because of the bridge.",
            ),
        },
    ),
    Topic(
        "mobile",
        "the mobile rollout",
        "Now the mobile rollout. Kevin, you said the phones are managed, so let's talk about deployment.",
        {"lead": 3, "se": 2, "ops": 2, "it": 4, "disp": 2},
        {
            "lead": (
                "We'd roll out to {zone} first, about {n} technicians, then everyone else a week later.",
                "The checklist for {skill} jobs can require photos before the tech closes the job.",
                "Do technicians collect payment on site, or is everything invoiced?",
            ),
            "se": (
                "The app is about {n} megabytes, and it works offline for the whole day's jobs.",
                "Battery use is modest, around {pct} percent over a ten-hour shift in our tests.",
                "We can push the app through your device management with the login prefilled.",
            ),
            "ops": (
                "The techs will ask if we're tracking their location all day. What do I tell them?",
                "About {pct} percent of jobs are paid on site today, mostly residential.",
                "Some of the older techs will want a printed quick-start card in the truck.",
                "Can the app show the customer's history before the tech rings the bell?",
            ),
            "it": (
                "We have {n} phones enrolled, and {n2} older ones we're replacing this quarter.",
                "Our device policy blocks apps that aren't approved, so I'll add yours on {day}.",
                "Does the app need the camera and location permission at all times, or only while in use?",
                "I'd like single sign-on for the app too, not separate passwords.",
            ),
            "disp": (
                "{tech} still uses a paper job sheet. He'll need some hand-holding.",
                "If the app shows the gate code, that alone saves me {n} calls a day.",
            ),
        },
    ),
    Topic(
        "integration",
        "the ERP sync",
        "Next is the accounting integration. Ethan, can you walk through how invoices and payments flow?",
        {"lead": 2, "se": 4, "ops": 2, "it": 4, "disp": 1},
        {
            "lead": (
                "Who on your side approves invoices today before they go out?",
                "Do you want invoices to sync as drafts, so finance can review them first?",
                "We'll test the sync with {n} real invoices from {zone} before cutover.",
            ),
            "se": (
                "Invoices sync to your ERP every {mins} minutes, and payments come back the other way.",
                "In the test we pushed {n} invoices and {n2} failed because the item codes didn't match.",
                "We'll need a mapping table for about {n} price book items.",
                "Tax is calculated in the ERP, so Crestline shows an estimate until the sync returns.",
            ),
            "ops": (
                "Finance closes the month on the {n}th, so nothing can be stuck in a queue over that weekend.",
                "We bill about {money} a month through FieldBook today.",
            ),
            "it": (
                "The ERP sandbox is refreshed every {day}, so test data disappears.",
                "I'll create an integration user with only the permissions it needs.",
                "What happens if the ERP is down for maintenance for {hrs} hours?",
                "Are the API credentials stored on your side or ours?",
            ),
            "disp": (
                "Will I still see if a customer is on credit hold before I send someone?",
                "Half my calls from the field are techs asking if a customer has paid.",
            ),
        },
    ),
    Topic(
        "reporting",
        "the dashboards",
        "Reporting. Monica, you said there are five reports leadership looks at every week.",
        {"lead": 3, "se": 2, "ops": 4, "it": 1, "disp": 2},
        {
            "lead": (
                "The {report} report comes out of the box, and we can schedule it for {day} mornings.",
                "Do you want {report} by zone, by technician, or both?",
                "We can build {report} as a dashboard tile for the dispatch room screen.",
            ),
            "se": (
                "From the FieldBook data your {report} last quarter was about {pct} percent.",
                "If you want the raw data, there's a nightly export to your data warehouse.",
                "The {report} numbers will look different at first because we count callbacks within {n} days.",
            ),
            "ops": (
                "Leadership looks at {report} every {day}. Today it takes someone {hrs} hours to build.",
                "I don't trust our current {report} number, so I'd like to start fresh.",
                "Can {report} exclude warranty jobs? Those skew it badly.",
            ),
            "it": (
                "Our warehouse loads at two in the morning, so the export needs to land before that.",
                "Is the export a full snapshot every night, or only what changed?",
            ),
            "disp": (
                "I'd like to see {report} for my team, not just for management.",
                "A screen in the dispatch room with {report} would settle a lot of arguments.",
            ),
        },
    ),
    Topic(
        "training",
        "the cutover plan",
        "Last topic: training and the cutover. Let's agree the sequence and the dates.",
        {"lead": 4, "se": 2, "ops": 3, "it": 2, "disp": 3},
        {
            "lead": (
                "Dispatcher training is {hrs} hours, and we'd do it in two groups so the phones are covered.",
                "Technician training is {mins} minutes in the yard, at the start of shift.",
                "Cutover weekend: we freeze FieldBook on Friday at {time} and load the delta overnight.",
                "We'll have someone on site in the dispatch room for the first {n} days.",
            ),
            "se": (
                "The final delta load ran in {hrs} hours in the rehearsal, so we have margin.",
                "I'd like a rehearsal cutover on a {day} two weeks before the real one.",
                "For the rehearsal I'll time every step, so the real weekend has no surprises.",
            ),
            "ops": (
                "Not the first week of the month, that's when the commercial inspections happen.",
                "I want {tech} and {tech2} trained first, they'll help everyone else.",
                "Can we record the training so new hires can watch it later?",
            ),
            "it": (
                "I need the cutover plan {n} days ahead for our change board.",
                "Who do we call at two in the morning if the load fails?",
                "I'll keep the FieldBook server running for {n} days after go-live, read-only.",
            ),
            "disp": (
                "Monday mornings are our worst. Please don't go live on a Monday.",
                "My dispatchers want a cheat sheet taped to their monitors.",
                "We'll need the old board running side by side for at least {n} days.",
            ),
        },
    ),
)

# Said by anyone, under any topic: questions, decisions, asides.
COMMON: dict[str, tuple[str, ...]] = {
    "lead": (
        "Let me write that down.",
        "Good, I'll log that as a decision.",
        "Can we park that and come back to it at the end?",
        "Any questions on this before we move on?",
        "I'll put that in the action log with {who} as the owner.",
        "So to confirm, we go with the simpler option for launch?",
        "That's a good catch, thank you.",
    ),
    "se": (
        "Give me a second, I'm sharing my screen.",
        "Can everyone see the spreadsheet now?",
        "That's configuration, not custom work, so it doesn't change the timeline.",
        "I'll test that in the sandbox tonight and report back.",
        "Let me pull up the record so we're looking at a real example.",
    ),
    "ops": (
        "What does that mean for the dispatchers day to day?",
        "I don't want us to overbuild this for launch.",
        "Let's keep it simple for now and revisit after ninety days.",
        "Who else is doing it this way? I'd like to talk to a reference.",
    ),
    "it": (
        "Is that over the API or a file drop?",
        "Who owns that on your side?",
        "I'll need that documented for our auditors.",
        "Send me the IP ranges and I'll allow them on our firewall.",
    ),
    "disp": (
        "In practice, the guys just call me.",
        "That would save us a ton of phone calls.",
        "Can I try that on the board before we decide?",
        "Honestly, that's how we do it today anyway.",
    ),
}

# Shared by every topic; `{noun}` names the topic's work product.
GENERIC: dict[str, tuple[str, ...]] = {
    "lead": (
        "I'd like {who} to sign off on {noun} before we lock it.",
        "Let's not let {noun} hold up go-live. We can refine it after the first month.",
        "I'll draft {noun} from what we said today and send it round by {day}.",
        "Other customers your size usually finish {noun} in about {n} days.",
        "So the open question on {noun} is ownership after go-live. Who takes it?",
    ),
    "se": (
        "Changing {noun} after go-live is configuration, so no change request needed.",
        "I'll mock up {noun} in the sandbox so you can click through it on {day}.",
        "The tricky part of {noun} is the exceptions, not the normal case.",
        "I've seen {noun} go wrong when nobody owns it after launch.",
    ),
    "ops": (
        "I want {noun} simple enough that a new dispatcher gets it in a day.",
        "Can we revisit {noun} after the first {n} days live?",
        "{tech} will have opinions about {noun}, for sure.",
        "Who else needs to see {noun} before we finalise it?",
    ),
    "it": (
        "Please send {noun} as a document, our change board will ask for it.",
        "Does {noun} live only in Crestline, or do we keep a copy on our side?",
        "From a security point of view {noun} is fine, as long as access is role-based.",
    ),
    "disp": (
        "I'm worried {noun} will confuse the newer dispatchers at first.",
        "Honestly {noun} already looks better than what we have in FieldBook.",
        "Can I get {noun} printed out for the dispatch room wall?",
    ),
}

REACTIONS = (
    "That works for us.",
    "Agreed.",
    "Okay, let's do that.",
    "I'm fine with that.",
    "Hmm, let me think about that.",
    "Good question.",
    "Exactly.",
    "Not sure, I'd have to check.",
    "No, that's right.",
    "Sounds good.",
    "Sorry, can you say that again?",
    "Let's do {day}.",
    "Perfect.",
    "Yes, definitely.",
    "I'd say about {n}.",
    "Probably closer to {pct} percent.",
)

WRAP_UP: tuple[Line, ...] = (
    ("lead", "Okay, we're close to time. Let me read back the action log, and stop me if anything is wrong."),
    (
        "lead",
        "Ethan runs the second test load with the new field mapping and shares the error report by {d5}.",
        "ns:load",
    ),
    ("se", "Yes, {d5} is fine."),
    ("lead", "Kevin sends the fresh FieldBook export and adds the app to the device policy by {d3}.", "ns:export"),
    ("it", "Confirmed. I'll also send the cutover plan to our change board."),
    ("lead", "Trina reviews the zone map with her team and sends corrections by {d4}.", "ns:zones"),
    ("disp", "Will do. I'll get the senior dispatchers to look at it together."),
    (
        "lead",
        "Monica confirms which five leadership reports we build first, and the SLA rules per contract, by {d6}.",
        "ns:reports",
    ),
    ("ops", "Yes. I'll pull the contract list from legal."),
    (
        "lead",
        "And I'll send the training schedule, with the rehearsal cutover on {d17} and go-live on {d24}.",
        "ns:golive",
    ),
    ("ops", "{d24} works, as long as it's not a Monday."),
    ("lead", "It isn't, I checked. Anything else for the parking lot?"),
    ("it", "Just the single sign-on question for the mobile app."),
    ("lead", "Noted, Ethan will follow up on that one."),
    ("ops", "Thanks, Sofia, Ethan. That was productive."),
    ("lead", "Thank you all. Notes and the action log will be in your inbox this afternoon."),
)


def _fill(template: str, rng: random.Random, speaker: str, noun: str) -> str:
    if "{" not in template:
        return template
    zone, zone2 = rng.sample(_VALUES["zone"], 2)
    tech, tech2 = rng.sample(_VALUES["tech"], 2)
    text = template.format(
        n=rng.randint(2, 48),
        n2=rng.randint(2, 19),
        big=f"{rng.randint(12, 480) * 100:,}",
        pct=rng.randint(4, 96),
        hrs=rng.randint(2, 8),
        mins=rng.choice((15, 20, 30, 45, 60, 90)),
        gb=rng.randint(20, 400),
        money=f"${rng.randint(40, 900) * 500:,}",
        credit=f"${rng.randint(3, 40) * 50:,}",
        field=rng.choice(_VALUES["field"]),
        zone=zone,
        zone2=zone2,
        skill=rng.choice(_VALUES["skill"]),
        tech=tech,
        tech2=tech2,
        day=rng.choice(_VALUES["day"]),
        time=rng.choice(_VALUES["time"]),
        report=rng.choice(_VALUES["report"]),
        who=FIRST_NAMES[rng.choice([r for r in ROLES if r != speaker])],
        noun=noun,
    )
    return text[:1].upper() + text[1:]


def _topic_lines(topic: Topic, rng: random.Random, said: set[str]) -> list[Line]:
    """One agenda block. Substantive lines (six words or more) are never repeated word for word."""
    lines: list[Line] = [("lead", topic.intro, f"topic:{topic.key}")]
    roles = list(topic.weights)
    last = "lead"

    def fresh(speaker: str, pools: tuple[tuple[str, ...], ...]) -> str:
        for _ in range(6):
            text = _fill(rng.choice(rng.choice(pools)), rng, speaker, topic.noun)
            if len(text.split()) < 6 or text not in said:
                said.add(text)
                return text
        return _fill(rng.choice(REACTIONS), rng, speaker, topic.noun)

    while len(lines) < LINES_PER_TOPIC:
        speaker = rng.choices(roles, weights=[0 if r == last else topic.weights[r] for r in roles])[0]
        draw = rng.random()
        if draw < 0.02:
            other = rng.choice([r for r in roles if r not in (speaker, last)])
            lines += [(speaker, "Sorry, go ahead."), (other, f"No, no, you go, {FIRST_NAMES[speaker]}.")]
            speaker = other
        elif draw < 0.026:
            observer, responder = rng.sample([r for r in roles if r != speaker], 2)
            lines += [
                (observer, f"Sorry, I think {FIRST_NAMES[speaker]} froze."),
                (speaker, "Can you hear me now? My connection dropped for a second."),
                (responder, "Yes, you're back."),
            ]
        elif draw < 0.36:
            lines.append((speaker, _fill(rng.choice(REACTIONS), rng, speaker, topic.noun)))
        elif draw < 0.5:
            lines.append((speaker, fresh(speaker, (COMMON[speaker], GENERIC[speaker]))))
        else:
            lines.append((speaker, fresh(speaker, (topic.lines[speaker],))))
        last = speaker
    return lines


def workshop_lines(rng: random.Random) -> tuple[Line, ...]:
    """The whole untimed script, opening to wrap-up."""
    lines = list(OPENING)
    said: set[str] = set()
    for topic in TOPICS:
        lines += _topic_lines(topic, rng, said)
    return (*lines, *WRAP_UP)


def workshop(rng: random.Random) -> Conversation:
    return Conversation(
        lines=workshop_lines(rng),
        summary=(
            "Ninety-minute implementation workshop between Crestline (Sofia Lindqvist, Ethan Brandt) and Cascade "
            "Home Services (Monica Alvarez, Kevin Shaw, Trina Boyd) covering the move from FieldBook.",
            "The team reviewed the first test data load, agreed to normalise free-text fields and flag sites "
            "without key data, and redrew service zones on the map instead of ZIP code lists.",
            "They set required and preferred skills per job type, SLA timers with amber warnings for commercial "
            "contracts, a staged mobile rollout through device management, and the ERP invoice and payment sync.",
            "Reporting starts with five leadership reports. Training runs in two dispatcher groups, with a "
            "rehearsal cutover on {d17} and go-live on {d24}.",
        ),
        highlights=tuple(
            (f"topic:{key}", value)
            for key, value in (
                ("migration", "The first test load surfaced validation failures and duplicates to clean up."),
                ("zones", "Dispatch will move from ZIP code lists to map-based service zones."),
                ("sla", "Commercial SLA jobs get timers and amber warnings before a miss."),
                ("training", "Rehearsal cutover on {d17}; go-live on {d24}, not on a Monday."),
            )
        ),
        next_steps=(
            ("ns:load", "Ethan to run the second test load and share the error report by {d5}."),
            ("ns:export", "Kevin to send a fresh FieldBook export and approve the app in device management by {d3}."),
            ("ns:zones", "Trina to send zone map corrections by {d4}."),
            ("ns:reports", "Monica to confirm the first five reports and per-contract SLA rules by {d6}."),
            ("ns:golive", "Sofia to send the training schedule; rehearsal {d17}, go-live {d24}."),
        ),
        bullets=(
            (
                "Data migration",
                "Second test load with the agreed field mapping; duplicates merged; attachments as links.",
            ),
            ("Service zones", "Map-based zones; float rules between neighbouring zones."),
            ("Skills", "Certifications imported from HR with expiry warnings; required skills per job type."),
            ("SLAs", "Timers per contract; on-call routing after hours."),
            ("Mobile", "Staged rollout through device management; offline support; single sign-on to follow up."),
            ("Integration", "ERP sync for invoices and payments; price book mapping table."),
            ("Reporting", "Five leadership reports first; nightly warehouse export."),
            ("Cutover", "Rehearsal {d17}; go-live {d24}; on-site support in the first days."),
        ),
        notes=(
            "Cascade Home Services workshop (FieldBook -> Crestline).\n"
            "Actions: 2nd test load by {d5} (Ethan); export + MDM by {d3} (Kevin); zone fixes by {d4} (Trina); "
            "reports + SLA rules by {d6} (Monica).\n"
            "Rehearsal {d17}; go-live {d24}.\n"
            "Parking lot: SSO for mobile app."
        ),
        score="8",
        sentiment="Positive",
    )
