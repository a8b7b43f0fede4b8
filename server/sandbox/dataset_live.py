"""Scripts for calls whose analysis finishes while the sandbox runs (``POST /sandbox/v1/analysis-complete``).

Roles: ``rep`` is the account's user who owns the recording, ``cust`` the outside party. Lines may use the
``{d1}``/``{w2}`` date placeholders of ``dataset_build.spoken_dates`` and ``{rep}``, the user's first name.
"""

from __future__ import annotations

from server.sandbox.dataset_build import Conversation

ROLLOUT_FOLLOWUP = Conversation(
    lines=(
        ("rep", "Hi, this is {rep} from Crestline Software, following up on the scheduling rollout. Is now okay?"),
        ("cust", "Yeah, good timing actually. We turned it on for the service crews on Monday."),
        ("rep", "Great. How did the first week go for the dispatchers?", "ask"),
        (
            "cust",
            "Mostly well. The drag-and-drop board is a hit. The problem is the technicians' phones: about a third of "
            "them never got the invite text, so they're still calling the office for their jobs.",
            "invites",
        ),
        ("rep", "That's usually the carrier filtering the short code. I can switch your account to a long number."),
        ("cust", "Please do. And can we get the invoices to pull the job notes automatically? Billing retypes them."),
        (
            "rep",
            "Yes, that's a setting on the invoice template. I'll turn it on and send you a sample invoice by {d1} so "
            "billing can check the layout before we switch everyone over.",
            "invoice",
        ),
        ("cust", "Perfect. If the texts work by {w2}, I'll add the plumbing crews the week after.", "expand"),
        ("rep", "Sounds like a plan. I'll email you a recap today."),
        ("cust", "Thanks, {rep}. Talk soon."),
    ),
    summary=(
        "{rep} followed up on the scheduling rollout; dispatchers like the board, but a third of the technicians "
        "never received the invite text.",
        "{rep} will move the account to a long number for texts and turn on job notes in invoices; the plumbing "
        "crews join once texting works.",
    ),
    highlights=(
        ("invites", "About a third of technicians never received the invite text and still phone the office."),
        ("expand", "The customer will add the plumbing crews once texting works."),
    ),
    next_steps=(
        ("invoice", "{rep} to enable job notes on invoices and send a sample invoice by {d1}."),
        ("invites", "{rep} to switch the account's texting to a long number."),
    ),
    bullets=(
        ("Status", "Scheduling is live for the service crews since Monday."),
        ("Issues", "Invite texts are filtered for about a third of technicians."),
        ("Next", "Long-number texting, job notes on invoices, then the plumbing crews."),
    ),
    notes="Invite texts filtered (short code) → switch to long number.\nJob notes on invoices → sample by {d1}.",
    score="8",
    sentiment="Positive",
)

INBOUND_INQUIRY = Conversation(
    lines=(
        ("rep", "Thanks for calling Crestline Software, this is the sales team. How can I help?"),
        (
            "cust",
            "Hi, we run eleven HVAC vans and we're outgrowing our whiteboard. A friend said you do scheduling for "
            "trades.",
            "need",
        ),
        ("rep", "We do. Do your techs need to see jobs on their phones, or is it mostly the office?"),
        ("cust", "Phones, definitely. And we'd want customers to get a text when the tech is on the way.", "texts"),
        ("rep", "Both are in the standard plan. What are you using for invoicing today?"),
        ("cust", "QuickBooks. If it doesn't sync with QuickBooks it's a non-starter for us.", "quickbooks"),
        ("rep", "It syncs both ways. Could we book a demo for {w3} so your office manager can see it too?", "demo"),
        ("cust", "{w3} works. Mornings are best."),
        ("rep", "I'll send an invite for ten o'clock {d3} and a one-page price sheet today."),
        ("cust", "Great, thank you."),
    ),
    summary=(
        "An HVAC company with eleven vans asked about scheduling software with a mobile app and on-the-way texts.",
        "QuickBooks sync is a hard requirement; a demo was booked for {d3} at ten.",
    ),
    highlights=(("quickbooks", "QuickBooks sync is a hard requirement for the prospect."),),
    next_steps=(("demo", "Send a demo invite for {d3} at 10:00 and a one-page price sheet today."),),
    bullets=(
        ("Prospect", "HVAC company, eleven vans, scheduling on a whiteboard today."),
        ("Needs", "Mobile job list, on-the-way texts, two-way QuickBooks sync."),
    ),
    notes="HVAC, 11 vans. Needs mobile + texts + QuickBooks.\nDemo {d3} 10:00.",
    score="7",
    sentiment="Positive",
)
