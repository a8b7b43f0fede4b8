"""`ringsense-mcp events [--json] [--sandbox] [--domain D]`: print RingSense events as they arrive.

One line per event: a readable line by default, a JSON object per line with ``--json`` (for scripts). A pbx
call usually prints twice (AI Notes, then RingSense with every insight): the second line says ``update``. A
line of kind ``gap`` means events may have been missed in the window it names.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TextIO

import anyio

from .config import Settings
from .ringsense import EventSubscriber, Gap, InsightsEvent, JWTCredentials, RingSenseClient

Write = Callable[[str], None]


def describe(item: InsightsEvent | Gap, *, update: bool, as_json: bool) -> str:
    """The line printed for one item (no call content in the readable form beyond the title)."""
    if isinstance(item, Gap):
        if as_json:
            return json.dumps(
                {"kind": "gap", "since": item.since.isoformat(), "until": item.until.isoformat(), "reason": item.reason}
            )
        window = f"{item.since:%Y-%m-%d %H:%M:%S} to {item.until:%H:%M:%S} UTC"
        return f"gap      events may have been missed from {window}: {item.reason}"
    body = item.insights
    modified = body.last_modified_time.isoformat() if body.last_modified_time else None
    kinds = body.insights.present
    if as_json:
        return json.dumps(
            {
                "kind": "insights",
                "update": update,
                "domain": item.domain,
                "sourceRecordId": body.source_record_id,
                "sourceSessionId": body.source_session_id,
                "title": body.title,
                "lastModifiedTime": modified,
                "insightTypes": kinds,
                "event": item.model_dump(mode="json", by_alias=True),
            }
        )
    label = "update  " if update else "insights"
    title = body.title.replace("\n", " ")[:80]
    return f"{label} {item.domain:<4} record {body.source_record_id}  {title}  [{', '.join(kinds)}]"


async def print_events(subscriber: EventSubscriber, write: Write, *, as_json: bool) -> None:
    """Write one line per item until the subscriber closes."""
    seen: set[str] = set()
    async for item in subscriber:
        update = isinstance(item, InsightsEvent) and item.insights.source_record_id in seen
        if isinstance(item, InsightsEvent):
            seen.add(item.insights.source_record_id)
        write(describe(item, update=update, as_json=as_json))


@asynccontextmanager
async def _client(settings: Settings, notice: Write) -> AsyncIterator[RingSenseClient]:
    if not settings.sandbox:
        credentials = settings.credentials
        assert credentials is not None  # load_settings refuses a live configuration without credentials
        async with RingSenseClient(server_url=settings.server_url, credentials=credentials) as client:
            yield client
        return
    # Lazy import: the sandbox and its sample data are only needed here.
    from .sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxPlatform, serve_sandbox

    platform = SandboxPlatform()
    async with serve_sandbox(platform) as base:
        notice(
            f"sandbox at {base} (loopback). Finish a call's analysis to see its events:\n"
            f"  curl -X POST {base}/sandbox/v1/analysis-complete"
        )
        credentials = JWTCredentials(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, platform.users[0].jwt)
        async with RingSenseClient(server_url=base, credentials=credentials) as client:
            yield client


async def _main(settings: Settings, domains: Sequence[str], as_json: bool, out: TextIO, err: TextIO) -> None:
    def write(line: str) -> None:
        print(line, file=out, flush=True)

    def notice(line: str) -> None:
        print(line, file=err, flush=True)

    async with _client(settings, notice) as client, EventSubscriber(client, domains=domains) as subscriber:
        notice(f"listening for RingSense events ({', '.join(subscriber.domains)}); Ctrl-C to stop")
        await print_events(subscriber, write, as_json=as_json)


def run_events(settings: Settings, *, domains: Sequence[str], as_json: bool) -> int:
    """Run until interrupted; returns the exit status (2 for an unknown domain)."""
    from .ringsense.params import validate_domain

    try:
        domains = [validate_domain(domain) for domain in domains]
    except ValueError as err:
        print(f"ringsense-mcp events: {err}", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(_main, settings, domains, as_json, sys.stdout, sys.stderr)
    return 0


def parse_domains(values: Sequence[str] | None) -> list[str]:
    """``--domain pbx --domain rcx`` or ``--domain pbx,rcx``; all five when none is given."""
    from .ringsense import DOMAINS

    chosen = [part.strip() for value in values or () for part in value.split(",") if part.strip()]
    return chosen or list(DOMAINS)


__all__ = ["describe", "parse_domains", "print_events", "run_events"]
