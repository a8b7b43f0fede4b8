"""The 30-minute sales discovery call: Crestline's account executive with Halvorsen Mechanical.

Roles: `rep` Marcus Oyelaran (Crestline AE), `coo` Karen Halvorsen (COO), `ops` Luis Ortega (dispatch manager).
`{dN}` placeholders become the date N days after the call.
"""

from __future__ import annotations

from server.sandbox.dataset_build import Conversation

LINES = (
    ("rep", "Hi Karen, it's Marcus Oyelaran from Crestline Software. Did I catch you at a good time?"),
    ("coo", "Hi Marcus, yes, perfect timing. I've got Luis Ortega with me, he runs dispatch for us."),
    ("ops", "Hey Marcus, good to meet you."),
    ("rep", "Good to meet you too, Luis. Thanks both of you for making the time this morning."),
    (
        "rep",
        "Before we dive in, how are you holding up with the heat? I saw Sacramento hit a hundred and six on Monday.",
    ),
    ("coo", "Ha, that's our busy season, so we don't complain too loudly. The phones haven't stopped."),
    ("ops", "We ran eight hundred and forty jobs on Monday. A record, and not in a good way."),
    ("rep", "That's a lot of no-cool calls. Good timing for this conversation, then."),
    (
        "rep",
        "Just so you know, I record these calls so I can focus on the conversation instead of typing. Is that okay?",
    ),
    ("coo", "That's fine, go ahead."),
    (
        "rep",
        "Great. So I've blocked thirty minutes. My goal is to understand how you schedule and dispatch today, "
        "where it hurts, and whether Crestline is even a fit. If it isn't, I'll tell you.",
    ),
    ("coo", "I appreciate that. We've sat through a few demos that were, let's say, mostly slides."),
    ("rep", "No slides today, I promise. Could you give me the quick picture of Halvorsen Mechanical as it is now?"),
    (
        "coo",
        "Sure. We're a third-generation HVAC and plumbing company. Residential service is about sixty percent "
        "of revenue, commercial maintenance contracts are the rest and growing.",
    ),
    (
        "coo",
        "We have four branches: Sacramento, Roseville, Elk Grove and Davis. About a hundred and eighty field "
        "technicians in total.",
    ),
    ("rep", "A hundred and eighty technicians. And how many people in the office doing scheduling and dispatch?"),
    ("ops", "Eleven dispatchers, plus two customer service reps who book appointments but don't dispatch."),
    ("rep", "And Luis, are all eleven in one place or spread across the branches?"),
    (
        "ops",
        "Seven are here in Sacramento and the other four sit in the branches. Honestly, that split is part of "
        "the problem, because each branch kind of runs its own board.",
    ),
    ("rep", "Tell me about the board. What does a normal morning look like for a dispatcher?"),
    (
        "ops",
        "So we have a tool called ServiceTrak that we've had since 2011. It's on a server in our back office. "
        "Jobs get entered there, but the actual assignment happens on a whiteboard and a shared spreadsheet.",
    ),
    ("rep", "So the system of record and the actual schedule are two different places."),
    ("ops", "Exactly. And by ten in the morning they don't match anymore."),
    ("coo", "Which is why I get calls from customers asking where their technician is, and nobody can tell them."),
    ("rep", "How many jobs are you running on a typical day across the four branches?"),
    ("ops", "In the shoulder season, maybe five hundred and fifty. In July it goes past eight hundred on a hot week."),
    (
        "rep",
        "Eight hundred a day in peak. And when a job runs long, how does the rest of that technician's day get "
        "reshuffled?",
    ),
    (
        "ops",
        "The tech calls or texts the dispatcher, the dispatcher looks at the whiteboard, and then we start "
        "calling customers to move windows. It's a lot of phone tag.",
    ),
    ("rep", "Roughly how much of a dispatcher's day goes into that reshuffling?"),
    ("ops", "On a bad day? Half. On a normal day I'd say two to three hours each."),
    ("rep", "So with eleven dispatchers that's somewhere around twenty-five to thirty hours a day of reshuffling."),
    ("coo", "When you say it like that, it's painful."),
    ("rep", "Karen, from your seat, what made you start looking at this now rather than last year?"),
    (
        "coo",
        "Three things. First, our second-visit rate. About eighteen percent of residential jobs need a second "
        "trip, usually because the tech didn't have the right part or the right skills.",
        "pain",
    ),
    ("rep", "Eighteen percent. Do you know what a second visit costs you on average?"),
    (
        "coo",
        "Our controller put it at about a hundred and forty dollars in labor and drive time, not counting the "
        "customer who's annoyed because they took another morning off work.",
    ),
    ("rep", "And the second thing?"),
    (
        "coo",
        "Commercial contracts. We signed two big property management companies last year and they have "
        "four-hour response SLAs. We missed the SLA on about nine percent of calls last quarter.",
    ),
    ("rep", "Are there penalties attached to those misses?"),
    (
        "coo",
        "Credits. It cost us a little over thirty-one thousand dollars last quarter. And it's a relationship risk.",
    ),
    ("rep", "That's real money. And the third?"),
    (
        "coo",
        "ServiceTrak's vendor is ending support. Our maintenance contract runs out in about four months, and "
        "after that we're on our own with a server in a closet.",
        "timeline",
    ),
    ("rep", "So there's a hard date behind this. Is the plan to be live on something new before that contract ends?"),
    ("coo", "That's the plan. I don't want to renew ServiceTrak for another year just to buy time."),
    ("rep", "Understood. Luis, walk me through how a job gets matched to a technician today. Who decides?"),
    (
        "ops",
        "The dispatcher, mostly from memory. They know who's certified for what, who's fast, who the customer "
        "liked last time. It's all in their heads.",
    ),
    ("rep", "And when that dispatcher is on vacation?"),
    ("ops", "Then we find out how much was in their head."),
    (
        "coo",
        "Last August one of our senior dispatchers was out for two weeks and the Roseville branch basically fell over.",
    ),
    ("rep", "Do you track certifications anywhere today? EPA 608, backflow testing, that kind of thing?"),
    ("ops", "HR has a spreadsheet for certifications with expiry dates. Dispatch doesn't look at it, honestly."),
    ("rep", "How about parts? Does each truck carry a standard stock?"),
    (
        "ops",
        "There's a standard load list, about two hundred and forty SKUs per truck, but nobody knows what's "
        "actually on a truck at any given moment.",
    ),
    ("rep", "So part of that eighteen percent is the tech showing up without the part."),
    ("ops", "I'd say half of it. The other half is sending the wrong skill level."),
    (
        "rep",
        "That matches what we see at other HVAC shops your size. Can I share how we'd approach it, at a high level?",
    ),
    ("coo", "Please."),
    (
        "rep",
        "Crestline Dispatch keeps the job, the technician profile and the truck in one place. Each tech has "
        "skills and certifications with expiry dates, and each job type has the skills it needs.",
    ),
    (
        "rep",
        "When a job comes in, the scheduler only offers technicians who can actually do it, ranks them by drive "
        "time and current load, and flags if the truck is missing a part the job usually needs.",
    ),
    ("ops", "Does it assign automatically or does the dispatcher still pick?"),
    (
        "rep",
        "Both. Most customers start with recommendations, the dispatcher clicks to accept, and after a few "
        "weeks they turn on auto-assignment for routine job types like filter changes and tune-ups.",
    ),
    ("ops", "I like that. My team would revolt if a computer started assigning everything on day one."),
    ("rep", "That's exactly why we don't do it that way. What happens when a job runs long is the other big piece."),
    (
        "rep",
        "The tech marks the job as running over in the mobile app, the system recalculates the rest of the day, "
        "and the customers who are affected get a text with a new window.",
    ),
    ("coo", "Automatically? Without a dispatcher calling them?"),
    (
        "rep",
        "Automatically, with rules you set. For example, commercial SLA jobs never get pushed, residential ones can "
        "move.",
    ),
    ("coo", "That alone would change our mornings."),
    ("ops", "What about the four-hour SLA jobs? Can it tell me before I'm going to miss one?"),
    (
        "rep",
        "Yes. Each SLA job has a clock, and the board turns it amber at a threshold you choose, say ninety "
        "minutes left with nobody en route. It can also page the on-call supervisor.",
    ),
    ("ops", "We'd want that by branch. Elk Grove handles most of the commercial work."),
    (
        "rep",
        "You can set it per branch or per contract. Do the property managers ask you for reporting on SLA performance?",
    ),
    ("coo", "Every month. Right now someone spends two days building it in Excel."),
    ("rep", "That report comes out of the box. You can schedule it to go to the customer on the first of the month."),
    ("coo", "Okay, you have my attention."),
    ("rep", "Can I ask a few questions about the customer side before we get to commercials?"),
    ("coo", "Go ahead."),
    (
        "rep",
        "When a residential customer books, what do they hear from you between booking and the technician arriving?",
    ),
    ("ops", "A confirmation call the day before, if the CSRs have time. Usually they don't in summer."),
    ("rep", "And on the day? Do they get an on-the-way message?"),
    ("ops", "Only if the tech remembers to call. Some do, most don't."),
    ("coo", "Our online reviews say it all. 'Nice tech, but no idea when he was coming.' We see that every week."),
    (
        "rep",
        "Crestline sends a reminder the day before, an on-the-way text with the technician's photo and a live "
        "arrival estimate, and a review request after the job closes. All of it can be switched per branch.",
    ),
    ("coo", "Can the review request go out only when the job went well?"),
    (
        "rep",
        "Yes. A lot of customers send the review link only when the tech marks the job complete with no "
        "callback needed, and route anything else to a manager first.",
    ),
    ("ops", "What about the technicians' time? Right now they fill in paper timesheets and payroll keys them in."),
    ("rep", "How many hours a week does payroll spend on that?"),
    ("coo", "Two people, most of Monday and Tuesday. And there are always disputes about overtime."),
    (
        "rep",
        "The app tracks clock-in, travel and on-site time per job. Payroll gets an export every week, and the "
        "supervisor approves exceptions before it goes out. It usually ends most of the overtime arguments.",
    ),
    ("ops", "The techs might push back on being tracked, though. Some of the senior guys are pretty vocal."),
    (
        "rep",
        "That comes up a lot. Location is only recorded while they're clocked in, and most teams find the "
        "techs like it once it shows their drive time is paid time.",
    ),
    ("coo", "That's actually a good point. Drive time disputes come up in every union conversation we have."),
    ("rep", "And for you, Karen, what does reporting look like at the leadership level today?"),
    (
        "coo",
        "I get a weekly revenue number from accounting and a jobs-completed number from Luis, and they never "
        "quite agree. I have no idea what our first-time fix rate is by branch.",
    ),
    ("rep", "What would you look at every Monday if you could have anything?"),
    ("coo", "First-time fix rate, revenue per technician per day, SLA attainment for commercial, and callbacks."),
    ("ops", "And for me, jobs per dispatcher and how many got rescheduled. I want to know who's drowning."),
    ("rep", "All of those are standard dashboards. You can filter them by branch, technician and job type."),
    ("rep", "Let me ask about the technicians. What are they using in the field today?"),
    ("ops", "Company iPhones. About a third are on the older models, the rest got new ones last spring."),
    (
        "rep",
        "Good, the app supports iOS versions going back about four years. Do they capture photos and signatures today?",
    ),
    ("ops", "Photos go to a shared album. Signatures are on paper, which then get scanned. Sometimes."),
    ("coo", "Sometimes is generous."),
    (
        "rep",
        "In Crestline those attach to the job automatically, and the invoice can go out before the tech leaves the "
        "driveway.",
    ),
    (
        "coo",
        "What do you integrate with for accounting? We're on QuickBooks Online and moving to Sage Intacct next year.",
    ),
    (
        "rep",
        "Both are standard connectors. QuickBooks Online syncs customers, invoices and payments every fifteen "
        "minutes. Sage Intacct uses the same connector framework, so switching later is a configuration change.",
    ),
    ("coo", "And our CRM? The commercial team uses HubSpot."),
    ("rep", "HubSpot is a standard connector too. Service history shows up on the company record in HubSpot."),
    ("ops", "What happens when the internet goes down in the field? Some of our Davis routes are pretty rural."),
    (
        "rep",
        "The app works offline. The tech sees the day's jobs, captures notes and photos, and it syncs when the "
        "signal comes back. The dispatcher sees the last known status in the meantime.",
    ),
    ("ops", "Okay. That's been a problem with every app we've tried."),
    (
        "coo",
        "Let me push back a little. We tried a dispatch app four years ago and the techs stopped using it in a month.",
    ),
    ("rep", "What happened?"),
    ("ops", "Too many screens. Fourteen taps to close a job. And it crashed when they took photos."),
    (
        "rep",
        "That's a fair worry. Closing a routine job in our app is three taps, and we'd want your senior techs in "
        "the pilot specifically so they can tell us what's annoying before it reaches everybody.",
    ),
    ("coo", "I'd want references too. Another HVAC company, ideally one our size."),
    (
        "rep",
        "I can connect you with Delta Comfort Systems in Fresno, about two hundred technicians, and a plumbing "
        "company in Reno with around ninety. Both went live last year.",
    ),
    ("coo", "Fresno would be useful. Similar climate, similar summers."),
    ("rep", "I'll ask their operations director if she's open to a call next week."),
    ("rep", "Can I ask about how decisions get made here? Who else will weigh in besides the two of you?"),
    (
        "coo",
        "I own the decision operationally. Janet Morales, our CFO, has to sign off on anything over fifty "
        "thousand a year. And we have an outside IT contractor, Valley Tech Group, who'll look at security.",
    ),
    ("rep", "Who's the contact at Valley Tech?"),
    ("coo", "Derek Lindgren. He'll want to know about single sign-on and where the data lives."),
    (
        "rep",
        "We support single sign-on with Microsoft Entra and Google, and data is hosted in US regions only. I'll get "
        "Derek our security packet.",
    ),
    ("coo", "Good. Is there a SOC 2 report?"),
    ("rep", "SOC 2 Type Two, renewed every year. We share it under NDA. I'll send the NDA with the packet."),
    ("rep", "Have you budgeted for this project, or is that still being worked out?"),
    (
        "coo",
        "We set aside about ninety-five thousand dollars for this year for field service software, including "
        "implementation. Janet was clear that's the number.",
        "budget",
    ),
    ("rep", "That's helpful, thank you. And are you looking at other vendors?"),
    (
        "coo",
        "We've talked to two others. One was much cheaper, one was much more expensive. I'm not going to tell you "
        "which is which.",
    ),
    ("rep", "Fair enough. Can I walk through how our pricing would likely land for you, so there are no surprises?"),
    ("coo", "Yes, please. That's usually where these conversations go sideways."),
    (
        "rep",
        "We price per field technician per month. Office users, dispatchers and customer service, are included "
        "up to fifteen seats on the Business plan, so your thirteen office people cost nothing extra.",
    ),
    (
        "rep",
        "The Business plan is forty-two dollars per technician per month at list. That includes scheduling, mobile, "
        "SLA tracking and the standard connectors.",
    ),
    ("ops", "And the route optimization you mentioned, is that included?"),
    (
        "rep",
        "Route optimization is an add-on at nine dollars per technician per month. Given your drive times "
        "between Davis and Elk Grove, I think it pays for itself, but we can prove that first.",
    ),
    (
        "rep",
        "So at list, a hundred and eighty technicians on Business with route optimization is fifty-one dollars "
        "each, nine thousand one hundred and eighty dollars a month, or about a hundred and ten thousand a year.",
        "price",
    ),
    ("coo", "That's above the ninety-five."),
    ("rep", "It is, at list. Let me finish, because there are two things that move it."),
    (
        "rep",
        "On a three-year agreement we take fifteen percent off the subscription. That brings fifty-one dollars "
        "down to forty-three thirty-five per technician.",
    ),
    (
        "rep",
        "That's seven thousand eight hundred and three dollars a month, so roughly ninety-three thousand six hundred "
        "a year.",
    ),
    ("coo", "Okay. That's inside the number, but only just, and I assume there's implementation on top."),
    (
        "rep",
        "There is. Implementation for four branches is eighteen thousand five hundred, one time. That covers data "
        "migration from ServiceTrak, configuration, connector setup and on-site training at each branch.",
    ),
    ("coo", "So year one is over a hundred and twelve thousand. That doesn't work for Janet."),
    (
        "rep",
        "Understood. This quarter we can cover half of implementation for customers who sign a three-year "
        "agreement, which takes it to nine thousand two hundred and fifty.",
    ),
    (
        "rep",
        "And we could phase the rollout, so you're not paying for all hundred and eighty technicians from day one.",
    ),
    ("coo", "Phase it how?"),
    (
        "rep",
        "Start with one branch, say Sacramento. How many technicians are there, seventy or so? You'd pay for "
        "those first, then add branches as they go live, a month or so apart.",
    ),
    ("ops", "Sacramento is seventy-four techs. Roseville is forty-one, Elk Grove thirty-eight, Davis twenty-seven."),
    (
        "rep",
        "So if Sacramento goes live in month two and the rest follow a month apart, your first-year subscription is "
        "well under the full run rate.",
    ),
    ("coo", "Can you put those numbers in writing? Janet will want to see it month by month."),
    (
        "rep",
        "Absolutely. I'll build a month-by-month schedule with two options: annual at list and the three-year with "
        "the discount.",
    ),
    ("coo", "Is the fifteen percent the best you can do on the three-year?"),
    (
        "rep",
        "It's what I can commit to today. If you're ready to move before the end of the quarter I'll take it to my "
        "manager, Dana, and see what's possible.",
    ),
    ("coo", "I'd rather see the real number than play games, to be honest."),
    ("rep", "Fair. I'll ask Dana before I send the proposal so the number you get is the number."),
    ("ops", "Can we try it before we commit to three years? My dispatchers need to actually like it."),
    (
        "rep",
        "Yes. What I'd propose is a sixty-day pilot in one branch. For a pilot we usually pick a smaller branch, "
        "so Davis or Elk Grove, with real jobs and real technicians.",
        "pilot",
    ),
    ("ops", "Elk Grove. That's where the commercial SLAs are, so that's where it has to prove itself."),
    ("coo", "What does the pilot cost?"),
    (
        "rep",
        "No subscription fees during the pilot. The pilot setup is part of implementation, so if you go ahead "
        "it's credited; if you don't, you've spent nothing but your team's time.",
    ),
    ("coo", "I like that a lot better than the alternatives we've seen."),
    (
        "rep",
        "For the pilot to be useful, we'd agree upfront on what success looks like. What would you want to see after "
        "sixty days?",
    ),
    ("coo", "Second visits down. If we went from eighteen to twelve percent in Elk Grove, that's a win."),
    ("ops", "Zero missed commercial SLAs. Or close to it. And dispatchers not wanting to go back."),
    (
        "rep",
        "I'll write those down as the pilot criteria: second-visit rate at or under twelve percent, commercial SLA "
        "attainment above ninety-eight percent, and a dispatcher survey.",
    ),
    ("coo", "Good."),
    (
        "rep",
        "To make the route optimization case, it would really help to see real data. Luis, could you export recent "
        "job history from ServiceTrak?",
    ),
    ("ops", "How much do you need?"),
    (
        "rep",
        "Ninety days is ideal. Job addresses, job types, scheduled and actual times, and which technician went. Plus "
        "the technician roster with home branches.",
    ),
    ("ops", "I can get that out. ServiceTrak exports to CSV, it's just ugly."),
    ("ops", "Do you need the technician home addresses as well? Some of them take the trucks home."),
    ("rep", "Yes, if trucks start from home, the start location matters for routing. We only use it for routing."),
    ("ops", "About a third take trucks home. I'll include a column for that."),
    ("rep", "Ugly is fine, we'll deal with it. Could you have it over by {d5}?"),
    ("ops", "Yes, {d5} works. I'll send it through whatever secure link you give me.", "export"),
    (
        "rep",
        "I'll send a secure upload link today. Our solutions engineer, Ethan Brandt, will run it through the "
        "optimizer.",
    ),
    ("rep", "Ethan will show you the drive time you'd save on your own routes, not a generic benchmark."),
    ("coo", "That's the kind of thing that gets Janet's attention."),
    (
        "rep",
        "Speaking of Janet, should she be part of the next conversation, or would you rather bring her the proposal "
        "yourself?",
    ),
    ("coo", "I'll bring her the proposal first. If she has questions, we'll set up a call with you."),
    ("rep", "That works. When would you and Janet typically review something like this?"),
    (
        "coo",
        "We have a leadership meeting every other week. The next one is {d14}. If I have the proposal before that, it "
        "goes on the agenda.",
        "cfo",
    ),
    ("rep", "Then I'll make sure you have it by {d3}, which gives you a week and a half to look it over."),
    ("coo", "Perfect."),
    (
        "rep",
        "And for Derek, would a technical deep dive be useful? Ethan can cover security, SSO and the ServiceTrak "
        "migration.",
    ),
    ("coo", "Yes. Derek's usually free Tuesday or Wednesday afternoons."),
    (
        "rep",
        "How about {d7} at two o'clock? I'll send the invite to you, Luis and Derek, and include Ethan.",
        "deepdive",
    ),
    ("coo", "Let's pencil that in. I'll confirm with Derek today."),
    (
        "ops",
        "One more question. What does migration look like? We've got fifteen years of customer history in ServiceTrak.",
    ),
    (
        "rep",
        "We'd bring over customers, sites, equipment and at least three years of service history. Older history "
        "can come over as read-only records. Migration usually takes three to four weeks of elapsed time.",
    ),
    ("ops", "Equipment too? Model and serial numbers?"),
    ("rep", "Yes, equipment with model, serial and install date, and warranty end dates if you have them."),
    ("ops", "We do for most of the commercial sites. Residential is spotty."),
    (
        "rep",
        "That's typical. We can run a cleanup report during migration that shows which sites are missing equipment "
        "details.",
    ),
    ("coo", "How long before we'd be live in all four branches, realistically?"),
    (
        "rep",
        "If the pilot starts within a month, and it runs sixty days, you'd be live everywhere about four months "
        "from now. That's tight against your ServiceTrak date, but doable.",
    ),
    ("coo", "Tight is fine, as long as it's honest."),
    ("rep", "Agreed. If it starts slipping, you'll hear it from me first, not on the last day."),
    ("rep", "Let me recap what I heard, and correct me where I'm wrong."),
    (
        "rep",
        "You run about a hundred and eighty techs across four branches, with eleven dispatchers working from "
        "ServiceTrak plus whiteboards and spreadsheets.",
    ),
    (
        "rep",
        "The pains are an eighteen percent second-visit rate, about nine percent missed commercial SLAs costing "
        "around thirty-one thousand a quarter, and ServiceTrak support ending in four months.",
    ),
    (
        "rep",
        "Budget is around ninety-five thousand for this year including implementation, and Janet signs off above "
        "fifty thousand.",
    ),
    ("coo", "That's right."),
    (
        "rep",
        "And next steps: I send the proposal with both pricing options and a month-by-month schedule by {d3}.",
        "proposal",
    ),
    ("rep", "Luis sends the ninety-day export by {d5}. Ethan runs the route analysis."),
    (
        "rep",
        "We meet with Derek on {d7} for the technical deep dive, and you take the proposal to your leadership meeting "
        "on {d14}.",
    ),
    ("ops", "Sounds right to me."),
    ("coo", "Same. Marcus, this was useful. Thanks for not wasting our time."),
    ("rep", "Thank you both. I'll send a recap email within the hour with the upload link."),
    ("ops", "Talk soon."),
    ("coo", "Bye, Marcus."),
    ("rep", "Bye now."),
)

CONVERSATION = Conversation(
    lines=LINES,
    summary=(
        "Marcus Oyelaran of Crestline Software held a discovery call with Karen Halvorsen, COO, and Luis Ortega, "
        "dispatch manager, of Halvorsen Mechanical, an HVAC and plumbing company with about 180 technicians "
        "across four branches. Dispatch runs on ServiceTrak, a whiteboard and spreadsheets, and the two "
        "regularly drift apart.",
        "Karen named three drivers: an 18% second-visit rate costing about $140 per repeat trip, missed "
        "four-hour commercial SLAs on about 9% of calls (roughly $31,000 in credits last quarter), and "
        "ServiceTrak support ending in about four months.",
        "Marcus presented skill-based scheduling, automatic rescheduling with customer texts, SLA timers and "
        "offline mobile, and walked through pricing: $42 per technician per month on Business plus $9 for route "
        "optimization ($110,160 a year at list), 15% off on a three-year term ($43.35 per technician), and "
        "$18,500 implementation, half covered this quarter on a three-year agreement.",
        "They agreed on a 60-day no-cost pilot in Elk Grove with success criteria, a 90-day data export for "
        "route analysis, a technical deep dive with their IT contractor, and a proposal for the CFO review.",
    ),
    highlights=(
        ("pain", "About 18% of residential jobs need a second visit, at roughly $140 each in labor and drive time."),
        ("timeline", "ServiceTrak maintenance ends in about four months; Halvorsen will not renew it."),
        ("budget", "Budget is about $95,000 for this year including implementation; the CFO signs off above $50,000."),
        ("price", "List price for 180 technicians with route optimization is $9,180 a month, about $110,000 a year."),
        ("pilot", "Marcus proposed a 60-day pilot in one branch with no subscription fees; Luis chose Elk Grove."),
    ),
    next_steps=(
        (
            "proposal",
            "Marcus to send a proposal with annual and three-year options and a month-by-month schedule by {d3}.",
        ),
        ("export", "Luis to send a 90-day ServiceTrak job export and technician roster by {d5}."),
        ("deepdive", "Marcus to schedule a technical deep dive with Derek Lindgren and Ethan Brandt on {d7} at 2 pm."),
        ("cfo", "Karen to review the proposal with CFO Janet Morales at the leadership meeting on {d14}."),
    ),
    bullets=(
        (
            "Current state",
            "180 technicians in four branches; 11 dispatchers; ServiceTrak plus whiteboard and spreadsheets.",
        ),
        ("Current state", "550 jobs a day off-season, over 800 in peak weeks."),
        ("Pain points", "18% second-visit rate; about half from missing parts, half from skill mismatch."),
        ("Pain points", "9% of commercial four-hour SLAs missed last quarter, about $31,000 in credits."),
        ("Pain points", "Dispatchers spend two to three hours a day reshuffling schedules."),
        ("Pricing", "Business $42 per technician per month; route optimization $9; office seats included up to 15."),
        ("Pricing", "Three-year term: 15% off, $43.35 per technician, about $93,600 a year."),
        ("Pricing", "Implementation $18,500 one time; half covered this quarter with a three-year agreement."),
        (
            "Decision process",
            "Karen owns the decision; CFO Janet Morales approves above $50,000; Derek Lindgren reviews security.",
        ),
        (
            "Next steps",
            "60-day Elk Grove pilot: second visits at or under 12%, commercial SLA above 98%, dispatcher survey.",
        ),
    ),
    notes=(
        "Halvorsen Mechanical: 180 techs, 4 branches (Sacramento 74, Roseville 41, Elk Grove 38, Davis 27).\n"
        "ServiceTrak support ends in ~4 months; budget ~$95k incl. implementation.\n"
        "Pricing shared: $51/tech/mo list with routing; 3-year $43.35; implementation $18,500 (50% off this quarter).\n"
        "Pilot: Elk Grove, 60 days, no subscription fees.\n"
        "Follow up: proposal by {d3}; data export by {d5}; deep dive {d7} 2 pm; leadership review {d14}."
    ),
    score="8",
    sentiment="Positive",
)
