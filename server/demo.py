"""`ringsense-mcp demo`: the server in sandbox mode, driven by a real MCP client over stdio."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import textwrap
import time
from typing import Any

import anyio
import httpx
from mcp import Client, StdioServerParameters

RECENT_EVENTS = "ringsense://events/recent"
LIVE_WAIT = 20.0  # seconds the live-event step may take at most
WIDTH = min(100, shutil.get_terminal_size((100, 24)).columns)
# Bold headings and dim call lines on a terminal; plain text when the output is piped or logged.
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def _say(title: str) -> None:
    print(f"\n{BOLD}── {title} {RESET}" + "─" * max(0, WIDTH - len(title) - 4))


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


async def _call(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    shown = ", ".join(f"{k}={v!r}" for k, v in args.items())
    print(f"{DIM}→ {tool}({shown}){RESET}")
    result = await client.call_tool(tool, args)
    if result.is_error:
        text = getattr(result.content[0], "text", "(no message)") if result.content else "(no message)"
        raise RuntimeError(f"{tool} failed: {text}")
    return result.structured_content or {}


def _party(party: dict[str, Any] | None) -> str:
    if not party:
        return "?"
    return party.get("name") or party.get("phone_number") or party.get("extension_number") or "?"


async def _demo(data_dir: str) -> None:
    # The demo's call library lives in a temporary directory: the sample calls never linger on disk.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "SYSTEMROOT") if key in os.environ}
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "server", "serve", "--sandbox", "--log-level", "WARNING"],
        env={**env, "RINGSENSE_DATA_DIR": data_dir},
    )
    started = time.perf_counter()
    async with Client(params) as client:
        tools = await client.list_tools()
        print(
            f"Connected to the ringsense MCP server over stdio in {time.perf_counter() - started:.1f} s "
            f"(sandbox: sample data, no credentials). Tools: {', '.join(t.name for t in tools.tools)}"
        )

        _say("1. check_permission")
        permission = await _call(client, "check_permission", {})
        verdict = "granted" if permission["granted"] else "NOT granted"
        print(
            _wrap(
                f"{permission['permission']} {verdict}; role {permission.get('effective_role')}, "
                f"scopes {', '.join(permission.get('scopes') or []) or '-'}"
            )
        )

        _say("2. list_recorded_calls (last 30 days)")
        today = time.strftime("%Y-%m-%d", time.gmtime())
        month_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 30 * 86400))
        listing = await _call(client, "list_recorded_calls", {"date_from": month_ago, "date_to": today, "limit": 50})
        calls = listing["calls"]
        for row in calls[:12]:
            print(
                f"  {row['start_time'][:16].replace('T', ' ')}  {row['duration']:>8}  {row['direction']:<8} "
                f"{_party(row['from_party'])[:22]:<22} → {_party(row['to_party'])[:22]:<22} "
                f"record {row['record_id']}"
            )
        if len(calls) > 12:
            print(f"  … and {len(calls) - 12} more")

        single = [row for row in calls if len(row["record_ids"]) == 1 and row["duration"]]
        rich = max(single, key=lambda row: _seconds(row["duration"]) if _seconds(row["duration"]) <= 2400 else 0)
        _say(f"3. get_insights_by_record — record {rich['record_id']}")
        insights = await _call(client, "get_insights_by_record", {"record_id": rich["record_id"]})
        call = insights["call"]
        print(_wrap(f"{call['title']} · {call['start_time']} · {call['duration']} · owner {call.get('owner')}"))
        print(
            _wrap(
                "Speakers: "
                + ", ".join(
                    f"{s['name']} ({'internal' if s['internal'] else 'external'})" for s in insights["speakers"]
                )
            )
        )
        for paragraph in (insights.get("summary") or [])[:2]:
            print(_wrap(paragraph))
        for label, key in (("Highlights", "highlights"), ("Next steps", "next_steps")):
            items = insights.get(key) or []
            if items:
                print(f"  {label}:")
                for item in items[:4]:
                    print(_wrap(f"[{item.get('at')}] {item.get('speaker') or '-'}: {item['text']}", "    "))
        stats = insights.get("transcript_stats") or {}
        print(
            _wrap(
                f"AI score {insights.get('ai_score')}, sentiment {insights.get('sentiment')}; transcript: "
                f"{stats.get('utterances')} utterances, coverage {stats.get('coverage')}, "
                f"complete {stats.get('complete')}"
            )
        )

        _say("4. render_transcript — first page")
        page = await _call(client, "render_transcript", {"record_id": rich["record_id"], "limit": 8})
        print(textwrap.indent(page["content"], "  "))
        print(_wrap(page["hint"]))

        legs = [row for row in calls if len(row["record_ids"]) > 1]
        if legs:
            _say(f"5. get_insights_by_session — a call with {len(legs[0]['record_ids'])} recordings")
            session = await _call(client, "get_insights_by_session", {"session_id": legs[0]["session_id"]})
            for number, leg in enumerate(session["rollup"], 1):
                print(
                    _wrap(
                        f"Leg {number}: {leg['start_time']} · {leg['duration']} · handled by "
                        f"{', '.join(leg['handled_by']) or '-'} with {', '.join(leg['other_parties']) or '-'}"
                    )
                )
            for step in session["combined_next_steps"][:4]:
                print(_wrap(f"Next step [{step.get('at')}] {step.get('speaker') or '-'}: {step['text']}"))

        await _across_calls(client, month_ago, len(calls))
        await _live_event(client)

    print(f"\nDone in {time.perf_counter() - started:.1f} s. Next: add the server to Claude Desktop (see README).")


async def _across_calls(client: Client, since: str, listed: int) -> None:
    """The call library: one search and one roll-up across every call, each a single tool call."""
    _say("6. search_calls — across every call, from the local library")
    query = 'refund OR credit OR "price increase"'
    found = await _call(client, "search_calls", {"query": query, "date_from": since, "limit": 3})
    for match in found["calls"]:
        call = match["call"]
        print(_wrap(f"{call['start_time'][:10]} · {call['title']} · record {call['record_id']}"))
        for quote in match["quotes"][:2]:
            print(
                _wrap(f"[{quote.get('at') or '-'}] {quote.get('speaker') or quote['section']}: {quote['text']}", "    ")
            )
    print(_wrap(f"{found['total_calls']} calls match. Coverage: {found['coverage']['text']}"))

    _say("7. list_next_steps — every promise of the month, by owner, in one call")
    steps = await _call(client, "list_next_steps", {"date_from": since, "limit": 12})
    for group in steps["groups"]:
        print(f"  {group['label']} ({group['total']} next step{'' if group['total'] == 1 else 's'})")
        for step in group["steps"][:2]:
            due = f" — due {step['due']}" if step.get("due") else ""
            print(_wrap(f"[{step.get('at') or '-'}] {step['text']}{due}", "    "))
    print(
        _wrap(
            f"{steps['total']} next steps from {listed} calls in 1 tool call (without the library: 1 + one per call). "
            f"Coverage: {steps['coverage']['text']}"
        )
    )


async def _live_event(client: Client) -> None:
    """A call finishes analysis in the sandbox; its events reach the server live and are read from memory."""
    status = json.loads((await client.read_resource("ringsense://status")).contents[0].text)  # type: ignore[union-attr]
    control = status.get("sandbox_control")
    if not control:
        return
    _say("8. live events — a call finishes analysis and arrives by push")

    async def recent() -> dict[str, Any]:
        text = (await client.read_resource(RECENT_EVENTS)).contents[0].text  # type: ignore[union-attr]
        return json.loads(text)  # type: ignore[no-any-return]

    async with client.listen(resource_subscriptions=[RECENT_EVENTS]) as updates:
        with anyio.fail_after(LIVE_WAIT):
            while (await recent())["state"] != "subscribed":  # the server subscribes in the background at start
                await anext(aiter(updates))
            async with httpx.AsyncClient() as http:
                finished = (await http.post(control)).json()
            print(f"{DIM}→ POST {control} (the sandbox's test control){RESET}")
            print(_wrap(f"RingSense finished record {finished['sourceRecordId']}; waiting for its events…"))
            events: list[dict[str, Any]] = []
            while len(events) < 2:
                await anext(aiter(updates))
                events = (await recent())["events"]
    for event in reversed(events[:2]):
        kind = "RingSense (update)" if event["update"] else "AI Notes"
        print(
            _wrap(f"notifications/resources/updated → {kind}: {event['title']} [{', '.join(event['insight_types'])}]")
        )
    insights = await _call(client, "get_insights_by_record", {"record_id": finished["sourceRecordId"]})
    for paragraph in (insights.get("summary") or [])[:2]:
        print(_wrap(paragraph))
    for item in (insights.get("next_steps") or [])[:3]:
        print(_wrap(f"Next step [{item.get('at')}] {item.get('speaker') or '-'}: {item['text']}"))
    print(_wrap("(served from the pushed event, without a call to the insights endpoint)"))


def _seconds(duration: str | None) -> int:
    total = 0
    for part in (duration or "0").split(":"):
        total = total * 60 + int(part)
    return total


def run_demo() -> int:
    try:
        with tempfile.TemporaryDirectory(prefix="ringsense-demo-") as data_dir:
            anyio.run(_demo, data_dir)
    except RuntimeError as err:
        print(f"demo failed: {err}", file=sys.stderr)
        return 1
    return 0
