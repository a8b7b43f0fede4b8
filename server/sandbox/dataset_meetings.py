"""Scripted account meetings of the sandbox: a conference, a renewal, onboarding, a partner, a video meeting.

`{dN}` placeholders become the date N days after the call. Everyone and everything here is fictional.
"""

from __future__ import annotations

from server.sandbox.dataset_build import Conversation

# Quarterly review on a conference bridge. Roles: `dana` Dana Whitfield and `priya` Priya Raman (Crestline);
# `harold` Harold Jennings, `mei` Mei Chen, `carlos` Carlos Mendez (Redwood Valley Utilities).
# Transcription stopped partway through the meeting, so the recording runs on well past these lines.
CONFERENCE = Conversation(
    lines=(
        (
            "dana",
            "Good morning everyone. I think we have everybody. Harold, Mei, Carlos, and Priya from our support team.",
        ),
        ("harold", "Morning, Dana. Carlos is dialing in from the yard, so apologies for any truck noise."),
        ("carlos", "Yeah, sorry, they're loading the bucket trucks right behind me."),
        (
            "dana",
            "No problem at all. The plan for today: usage over the quarter, support tickets, what's coming on the "
            "roadmap, and then your renewal in the spring.",
        ),
        ("dana", "We have forty-five minutes. Mei, you said you had a hard stop?"),
        ("mei", "I do, at quarter to. I've got a change advisory board."),
        ("dana", "We'll make sure the IT topics come first then. Let me start with usage."),
        (
            "dana",
            "Over the quarter, your crews completed eleven thousand four hundred work orders in Crestline, up "
            "from nine thousand eight hundred the quarter before. Meter exchanges were about forty percent of that.",
            "usage",
        ),
        ("harold", "That matches our numbers. The meter replacement program ramped up in the second month."),
        (
            "dana",
            "Average time from work order creation to dispatch dropped from three point one hours to one point "
            "eight. Most of that is auto-assignment on the meter exchange jobs.",
        ),
        (
            "carlos",
            "I can tell you the crews noticed. They're not sitting in the yard waiting for assignments anymore.",
        ),
        ("dana", "That's great to hear. Mobile adoption is at ninety-four percent of field staff logging in weekly."),
        ("harold", "Who's the other six percent?"),
        ("dana", "Mostly the water treatment operators. They're set up as technicians but rarely take work orders."),
        ("harold", "Right, that's expected. We can probably move them to a read-only role."),
        ("dana", "Good idea. That would also take them off the seat count. Priya, do you want to cover support?"),
        (
            "priya",
            "Sure. Your team opened twenty-three tickets this quarter. Nineteen are closed, median time to first "
            "response was forty minutes, and median resolution was just under a day.",
            "tickets",
        ),
        (
            "priya",
            "The four open ones are all about the GIS integration, and Mei, I think you know the details better than "
            "I do.",
        ),
        (
            "mei",
            "Yeah. When a crew closes a work order, the asset status should update in our GIS. About two percent "
            "of the time it doesn't, and we only find out when the next crew shows up.",
            "gis",
        ),
        (
            "priya",
            "Engineering traced it to time-outs when your GIS server takes longer than thirty seconds to respond. The "
            "retries weren't kicking in.",
        ),
        ("mei", "Our GIS server is slow at shift change, that's true. Everyone syncs at once."),
        (
            "priya",
            "The fix shipped to our staging environment last week. It adds retries with backoff and a daily report of "
            "anything that still failed.",
        ),
        ("mei", "When does it go to production?"),
        (
            "priya",
            "It's scheduled for the release on {d9}. I'd like to test it with you in staging before then, if you have "
            "time.",
        ),
        ("mei", "I can do {d4} in the afternoon. I'll bring our GIS admin."),
        ("priya", "Perfect, I'll send an invite for {d4} at one.", "gis_test"),
        ("harold", "Good. That two percent has caused a couple of embarrassing double visits."),
        (
            "dana",
            "Understood, and I'm sorry it's taken this long. Priya will keep you updated weekly until it's closed.",
        ),
        ("mei", "Can I jump in with the security questionnaire before I lose track of time?"),
        ("dana", "Please."),
        (
            "mei",
            "Our auditors want updated answers on data retention and encryption by the end of the month. Same "
            "questionnaire as last year, forty questions.",
        ),
        ("dana", "We'll turn that around in a week. Send it to me and I'll route it to our security team."),
        ("mei", "I'll send it today.", "questionnaire"),
        ("dana", "Thanks. Now roadmap. Three things are relevant to you this coming quarter."),
        (
            "dana",
            "First, crew scheduling. Right now Crestline schedules individuals. In the next release you'll be "
            "able to schedule a crew, say a three-person bucket truck crew, as one unit.",
        ),
        (
            "carlos",
            "That would be huge for us. Right now we create three work orders for one job and link them by hand.",
        ),
        (
            "dana",
            "That's exactly the feedback that drove it. Second, outage mode. During a storm, you can switch a region "
            "to outage mode and it reprioritizes everything automatically.",
        ),
        ("harold", "How does it decide priority?"),
        (
            "dana",
            "Rules you define. For example, critical customers first, then by number of customers affected per "
            "circuit.",
        ),
        ("harold", "We'd want medical baseline customers at the top."),
        ("dana", "That's supported. And third, the new inventory module, which tracks meters and parts per truck."),
        ("carlos", "Does that include serialized meters? We have to track every meter by serial number for the state."),
        ("dana", "Yes, serialized inventory is in scope. I'd love to get you into the early access program for that."),
        ("carlos", "Sign me up."),
        (
            "dana",
            "I'll put you down. Now, Harold, your renewal is in the spring. I'd like to start that conversation early.",
        ),
        (
            "harold",
            "I appreciate that. I'll be honest, budget is tight next year. The rate case didn't go the way we hoped.",
        ),
        (
            "dana",
            "Understood. We'll look at the seat count, including moving the treatment operators to read-only, before "
            "we talk numbers.",
        ),
        ("harold", "That would help. Let's do that in a separate meeting with our finance lead."),
        ("dana", "Great. Let me check where we are on time."),
        ("mei", "Sorry, I'm going to drop now for my board meeting. Thanks everyone."),
        ("dana", "Thanks Mei, talk on {d4}."),
        ("harold", "Carlos, while we have Dana and Priya, do you want to raise the thing about the Eastside yard?"),
        ("carlos", "Yeah. So, at the Eastside yard, the tablets in the trucks keep losing the connection when..."),
    ),
    summary=(
        "Quarterly review between Crestline and Redwood Valley Utilities. Work orders rose to 11,400 for the "
        "quarter, dispatch time fell from 3.1 to 1.8 hours, and weekly mobile adoption reached 94%.",
        "Support closed 19 of 23 tickets; the four open ones concern GIS updates failing about 2% of the time. "
        "A fix with retries is in staging for the release on {d9}, with a joint test on {d4}.",
        "Dana presented crew scheduling, outage mode and serialized inventory on the roadmap and opened renewal "
        "talks; Harold flagged a tight budget after the rate case.",
    ),
    highlights=(
        ("usage", "Work orders grew from 9,800 to 11,400 this quarter; meter exchanges were about 40%."),
        ("tickets", "23 tickets this quarter, 19 closed, median first response 40 minutes."),
        ("gis", "About 2% of closed work orders fail to update asset status in the customer's GIS."),
    ),
    next_steps=(
        ("gis_test", "Priya and Mei to test the GIS retry fix in staging on {d4} at 1 pm."),
        ("questionnaire", "Mei to send the 40-question security questionnaire; Crestline to answer within a week."),
    ),
    bullets=(
        ("Usage", "11,400 work orders; dispatch time 1.8 hours; 94% weekly mobile adoption."),
        ("Support", "23 tickets, 19 closed; GIS sync fix due in the {d9} release."),
        ("Roadmap", "Crew scheduling, outage mode, serialized inventory early access."),
        ("Renewal", "Spring renewal; budget tight; review seat count first."),
    ),
    notes=(
        "QBR Redwood Valley Utilities.\n"
        "GIS fix staging test {d4} 1 pm; prod release {d9}.\n"
        "Security questionnaire due end of month.\n"
        "Carlos: early access for serialized inventory.\n"
        "Renewal: separate meeting with finance lead."
    ),
    score="7",
    sentiment="Neutral",
)

# Dana Whitfield negotiates a renewal with Stephen Moore of Foothill Pest Control; roles `mgr`, `cust`.
RENEWAL = Conversation(
    lines=(
        ("mgr", "Hi Stephen, Dana Whitfield from Crestline. Thanks for making time."),
        ("cust", "Hi Dana. Sure. I'll be upfront, I have some concerns about the renewal quote."),
        ("mgr", "I'd rather hear them now than in a month. What's on your mind?"),
        (
            "cust",
            "The quote came in at forty-six dollars per technician, up from forty-two. For sixty-five techs that's "
            "more than three thousand a year extra, and nothing changed for us.",
            "concern",
        ),
        (
            "mgr",
            "That's fair. The list price went up in January, and your original three-year discount ends with this "
            "term.",
        ),
        (
            "cust",
            "I get that, but from where I sit, it's the same product at a higher price. We've had other vendors "
            "calling us.",
        ),
        ("mgr", "I'd expect that. Can I ask how the team is using it today? It'll help me make the case internally."),
        (
            "cust",
            "Sixty-five technicians, all on the mobile app. Route optimization cut our fuel spend by about eleven "
            "percent last year.",
        ),
        ("mgr", "Eleven percent on fuel. Do you know what that was in dollars?"),
        ("cust", "Our controller said about thirty-eight thousand."),
        ("mgr", "So the whole subscription is a bit under a year of fuel savings."),
        ("cust", "Sure, but that's the case for keeping a routing tool. It's not the case for paying more for it."),
        ("mgr", "Fair point. What number were you hoping to see?"),
        ("cust", "Honestly, I'd like twenty percent off the new list. Call it thirty-seven dollars."),
        ("mgr", "Twenty percent isn't something I can do on a one-year term. On a two-year term I can get closer."),
        ("cust", "How close?"),
        (
            "mgr",
            "On a two-year term I can do twelve percent off list, which is forty dollars and forty-eight cents per "
            "technician, below what you pay today.",
            "offer",
        ),
        ("cust", "Below today's price. And locked for both years?"),
        ("mgr", "Locked for both years, yes."),
        ("cust", "What about the twelve seats we added in the summer? Those were seasonal."),
        (
            "mgr",
            "We could make those flex seats. You'd pay for them only in the months they're active, from April to "
            "September.",
        ),
        ("cust", "That helps a lot. Those seats sit idle half the year."),
        (
            "mgr",
            "So: fifty-three core seats on the two-year term at forty forty-eight, twelve flex seats for six months a "
            "year.",
        ),
        ("cust", "Can you send that in writing? I need to run it by my business partner."),
        ("mgr", "I'll send a revised quote by {d2}. When would you and your partner decide?"),
        ("cust", "We meet on Mondays. If I have it by then, you'll hear from me by {d7}.", "decision"),
        ("mgr", "That works. And if the flex seats need more detail, I can get our billing team on a call."),
        ("cust", "I'll let you know. Thanks for taking this seriously, Dana."),
        ("mgr", "Of course. Talk soon, Stephen."),
    ),
    summary=(
        "Stephen Moore of Foothill Pest Control pushed back on a renewal quote of $46 per technician, up from "
        "$42, and asked for 20% off.",
        "Dana Whitfield offered 12% off list on a two-year term ($40.48 per technician, locked) for 53 core "
        "seats, plus 12 seasonal flex seats billed April to September. Stephen will decide with his partner.",
    ),
    highlights=(
        ("concern", "The renewal quote rose from $42 to $46 per technician for 65 technicians."),
        ("offer", "Two-year term at 12% off list: $40.48 per technician, locked for both years."),
    ),
    next_steps=(
        ("offer", "Dana to send a revised quote with core and flex seats by {d2}."),
        ("decision", "Stephen to confirm a decision with his business partner by {d7}."),
    ),
    bullets=(
        ("Concerns", "Price increase from $42 to $46; competitors calling."),
        ("Value", "Route optimization cut fuel spend about 11%, roughly $38,000 a year."),
        ("Offer", "Two-year term, $40.48 per technician; 12 flex seats April to September."),
    ),
    notes=(
        "Renewal: 65 techs.\nAsked 20% off; offered 12% on 2-year ($40.48).\n12 flex seats Apr-Sep.\n"
        "Quote by {d2}; decision by {d7}."
    ),
    score="7",
    sentiment="Neutral",
)

# Sofia Lindqvist checks in with Nadia Farouk of Bayside Appliance Repair after go-live; roles `impl`, `cust`.
ONBOARDING = Conversation(
    lines=(
        ("impl", "Hi Nadia, it's Sofia from Crestline. This is our two-week check-in since go-live. How is it going?"),
        ("cust", "Hi Sofia! Honestly, better than I expected. The technicians picked up the app really quickly."),
        (
            "impl",
            "That's great. I can see twenty-two of your twenty-four technicians completed jobs in the app this week.",
        ),
        ("cust", "The other two are on leave, so that's everybody."),
        ("impl", "Perfect. How about the office? Are the online bookings coming through?"),
        (
            "cust",
            "Yes, we've had sixty-one online bookings in two weeks. Before, people had to call, and we missed a lot "
            "of calls.",
            "bookings",
        ),
        ("impl", "Sixty-one is a strong start. Are customers picking reasonable time slots?"),
        (
            "cust",
            "Mostly. The problem is some people book a four-hour window for jobs that take six hours, like a full "
            "dryer vent cleaning.",
        ),
        (
            "impl",
            "We can fix that. Each job type has a default duration. I'll set dryer vent cleaning to six hours, and "
            "online booking will respect it.",
        ),
        ("cust", "Oh, that's easy. Can I do that myself next time?"),
        ("impl", "Yes, it's under settings, job types. I'll send you a short video."),
        ("cust", "The other thing is parts. Techs are asking if they can see which truck has a part."),
        (
            "impl",
            "That's the inventory module. You're on Business, and inventory is included, it's just not turned on yet.",
        ),
        ("cust", "It's included? Nobody told me that."),
        (
            "impl",
            "It is. I'd suggest we turn it on after you've had a month on the basics, so we don't change too much at "
            "once.",
        ),
        ("cust", "That makes sense. Can we plan for it?"),
        (
            "impl",
            "Let's schedule an inventory setup session for {d14}. We'll load your truck stock lists then.",
            "inventory",
        ),
        ("cust", "Perfect. I'll ask the warehouse to prepare the lists."),
        ("impl", "Anything else bothering you or the team?"),
        ("cust", "Just one thing. The invoice emails go out with our old logo."),
        ("impl", "Easy fix. Send me the new logo and I'll update the template today."),
        ("cust", "I'll email it right after this call."),
        ("impl", "Great. You're in very good shape, Nadia. Talk to you on {d14}."),
        ("cust", "Thanks Sofia, bye!"),
    ),
    summary=(
        "Two weeks after go-live, Bayside Appliance Repair has all active technicians (22 of 24) using the app "
        "and 61 online bookings. Sofia will lengthen the dryer vent cleaning job type to six hours, update the "
        "invoice logo, and plan inventory setup.",
    ),
    highlights=(
        ("bookings", "61 online bookings in the first two weeks after go-live."),
        ("inventory", "Inventory is included in Business and will be turned on in a later session."),
    ),
    next_steps=(
        ("bookings", "Sofia to set the dryer vent cleaning job type to six hours and send a how-to video."),
        ("inventory", "Inventory setup session on {d14}; Nadia's warehouse to prepare truck stock lists."),
    ),
    bullets=(
        ("Adoption", "22 of 24 technicians active; the other two on leave."),
        ("Booking", "61 online bookings; job durations to be adjusted."),
        ("Next", "Inventory module setup on {d14}; new logo on invoice emails."),
    ),
    score="9",
    sentiment="Positive",
)

# Jamal Reyes with Rob Delgado of Bluewater IT Partners, a reseller; roles `pm`, `partner`.
PARTNER = Conversation(
    lines=(
        ("pm", "Rob, good to hear from you. How's everything at Bluewater?"),
        (
            "partner",
            "Busy, which is good. I wanted to talk about the two deals we have in the pipeline and our margin tier.",
        ),
        ("pm", "Sure. Let's start with the deals. Where are they?"),
        (
            "partner",
            "Coastal Electric, forty technicians, they've seen the demo and want pricing. And Delta Pool Services, "
            "about twenty-five, still early.",
        ),
        ("pm", "Coastal Electric I know about, I see it registered on the partner portal. Delta isn't registered yet."),
        ("partner", "I'll register Delta today."),
        ("pm", "Please do. Registration is what protects your margin if they also come to us directly.", "register"),
        (
            "partner",
            "Understood. Now, margin. We're at the silver tier, fifteen percent. We'll pass two hundred seats this "
            "quarter if Coastal closes.",
        ),
        (
            "pm",
            "Let me check. You're at a hundred and seventy-two active seats. Coastal would put you at two hundred and "
            "twelve.",
        ),
        ("partner", "And gold starts at two hundred, right?"),
        (
            "pm",
            "Right. Gold is twenty percent on new business and eighteen on renewals, and it comes with co-marketing "
            "funds.",
            "gold",
        ),
        ("partner", "That's what I thought. Is the tier based on end of quarter or when the deal closes?"),
        ("pm", "It's reviewed at the end of each quarter, so Coastal has to close before the quarter ends to count."),
        (
            "partner",
            "Then I need your help getting Coastal over the line. Their owner wants to talk to someone at Crestline "
            "about the roadmap.",
        ),
        ("pm", "I can do that. I'll bring our product lead. What does the owner care about most?"),
        ("partner", "Permit tracking. Electricians pull a lot of permits, and they track them in a spreadsheet."),
        (
            "pm",
            "Permit tracking is on the roadmap for the second half. I'll make sure our product lead can speak to it "
            "honestly.",
        ),
        ("partner", "Honest is good. He'll smell a sales pitch."),
        ("pm", "Can you set up the call for {d6} or {d7}?"),
        ("partner", "I'll get something on the calendar and send the invite.", "meeting"),
        ("pm", "Great. Anything else on your side?"),
        (
            "partner",
            "Just the co-marketing. If we make gold, we'd like to run a webinar for electrical contractors in our "
            "region.",
        ),
        ("pm", "Love it. We'll fund up to five thousand dollars for that once you're at gold."),
        ("partner", "Perfect. Thanks Jamal."),
        ("pm", "Thanks Rob. Talk soon."),
    ),
    summary=(
        "Jamal Reyes and Rob Delgado of Bluewater IT Partners reviewed two reseller deals: Coastal Electric (40 "
        "technicians, pricing stage) and Delta Pool Services (about 25, early). Coastal would lift Bluewater "
        "from 172 to 212 seats and into the gold tier (20% new, 18% renewals) if it closes this quarter.",
    ),
    highlights=(("gold", "Gold tier pays 20% on new business and 18% on renewals, with co-marketing funds."),),
    next_steps=(
        ("register", "Rob to register Delta Pool Services on the partner portal today."),
        ("meeting", "Rob to set up a roadmap call with Coastal Electric's owner on {d6} or {d7}."),
    ),
    notes="Bluewater: 172 seats; Coastal (+40) -> 212 = gold.\nRegister Delta today.\nCoastal owner call {d6}/{d7}.",
    score="8",
)

# Crestline's weekly pipeline review on RingCentral Video; roles `dana`, `marcus`, `jamal`, `ethan`.
PIPELINE_REVIEW = Conversation(
    lines=(
        ("dana", "Okay, let's get started. Marcus, Jamal, Ethan, thanks. Same format as always, biggest deals first."),
        ("dana", "We're at seventy-one percent of the quarter's number with five weeks left, so the commits matter."),
        (
            "marcus",
            "I'll start with Halvorsen Mechanical. A hundred and eighty technicians. Pilot in Elk Grove is scoped, "
            "proposal went out.",
        ),
        ("dana", "What's the value?"),
        (
            "marcus",
            "Three-year at forty-three thirty-five, so about ninety-three thousand six hundred a year, plus nine "
            "thousand two fifty implementation.",
            "halvorsen",
        ),
        ("dana", "Is that in commit or best case?"),
        ("marcus", "Best case. The CFO hasn't seen it yet. They have a leadership meeting next week."),
        ("dana", "Okay. Ethan, where's the route analysis?"),
        (
            "ethan",
            "I got their export. It's messy but workable. First pass shows about fourteen percent less drive time in "
            "Elk Grove.",
        ),
        ("dana", "Fourteen percent is a strong story. Get that to Marcus by Thursday so it's in front of the CFO."),
        ("ethan", "Will do."),
        (
            "jamal",
            "On partners: Bluewater's Coastal Electric deal, forty seats. Owner call with product is set. If it "
            "closes, Bluewater goes gold.",
        ),
        ("dana", "What's your confidence?"),
        ("jamal", "Sixty percent. They're comparing us with one competitor, mostly on permit tracking."),
        ("dana", "We don't have permit tracking until the second half. Make sure product is honest about that."),
        ("jamal", "Already told them. Rob at Bluewater said the owner will smell a pitch."),
        ("dana", "Good. Marcus, what about Foothill Pest Control? I sent the revised renewal quote."),
        ("marcus", "That's yours, Dana, but I saw the note. Two-year at forty forty-eight?"),
        (
            "dana",
            "Yes, and flex seats for the seasonal staff. Stephen said he'd decide this week. I'd put it at eighty "
            "percent.",
        ),
        ("dana", "Anything at risk we should talk about?"),
        ("marcus", "Pinecrest Property. After the Android outage their ops lead is angry. Renewal is in four months."),
        ("dana", "I saw the incident report. Priya handled the call well. Have we issued the credit?"),
        ("marcus", "Approved yesterday. One month of subscription."),
        ("dana", "Let's have their CSM schedule an executive call with me. I'd rather hear it directly.", "pinecrest"),
        ("marcus", "I'll set it up."),
        (
            "dana",
            "Okay. Actions: Ethan, route analysis to Marcus by Thursday. Marcus, the Pinecrest executive call. Jamal, "
            "Coastal owner call.",
        ),
        ("dana", "Thanks everyone. Same time next week."),
    ),
    summary=(
        "Weekly pipeline review at 71% of the quarterly target with five weeks left. Halvorsen Mechanical (about "
        "$93,600 a year plus $9,250 implementation) is best case pending the CFO; Ethan's first route analysis "
        "shows about 14% less drive time in Elk Grove.",
        "Bluewater's Coastal Electric deal is at 60% and hinges on permit tracking; Foothill Pest Control's "
        "renewal is at 80%. Pinecrest Property is at risk after the Android outage; a one-month credit was approved.",
    ),
    highlights=(
        ("halvorsen", "Halvorsen Mechanical three-year deal: about $93,600 a year plus $9,250 implementation."),
        ("pinecrest", "Pinecrest Property renewal is at risk after the Android sync outage."),
    ),
    next_steps=(
        ("halvorsen", "Ethan to send the Elk Grove route analysis to Marcus by Thursday."),
        ("pinecrest", "Marcus to arrange an executive call between Dana and Pinecrest's operations lead."),
    ),
    bullets=(
        ("Pipeline", "71% of target, five weeks left."),
        ("Deals", "Halvorsen best case; Coastal Electric 60%; Foothill renewal 80%."),
        ("Risks", "Pinecrest Property after the Android outage."),
    ),
    score="7",
)
