"""Resources (insights, transcripts, status) and argument completions for record and session ids."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference

import tools.insights
import tools.render
from server.ringsense.errors import InvalidIdError, NotFoundError, RingSenseError
from tools.errors import ToolFailure, describe
from tools.formatting import result_text
from tools.library import LIBRARY_OFF, library_errors

from .runtime import NotConnected, Runtime

logger = logging.getLogger(__name__)
MAX_COMPLETIONS = 100


MAX_SHOWN_URI = 120


def _shown(uri: str) -> str:
    """The URI for an error message; a long one is cut so that a hostile URI is not echoed back whole."""
    return uri if len(uri) <= MAX_SHOWN_URI else f"{uri[:MAX_SHOWN_URI]}… ({len(uri)} characters)"


@asynccontextmanager
async def resource_errors(uri: str) -> AsyncIterator[None]:
    shown = _shown(uri)
    try:
        yield
    except (InvalidIdError, NotFoundError) as err:
        raise ResourceNotFoundError(f"{shown}: {describe(err)}") from err
    except NotConnected as err:
        raise ResourceError(f"{shown}: {err}") from err
    except ToolFailure as err:
        raise ResourceNotFoundError(f"{shown}: {err}") from err
    except RingSenseError as err:
        raise ResourceError(f"{shown}: {describe(err)}") from err


def register_resources(mcp: MCPServer, runtime: Runtime) -> None:
    @mcp.resource("ringsense://status", mime_type="application/json", title="Server status")
    async def status() -> str:
        """Auth mode, sandbox or live, the RingCentral server URL (no secrets) and the rate-limit budget left."""
        with contextlib.suppress(ToolFailure, RingSenseError):  # a failure to connect shows as `connect_error`
            await runtime.deps()
        return json.dumps(runtime.status(), indent=2)

    @mcp.resource("ringsense://library/status", mime_type="application/json", title="Call library status")
    async def library_status() -> str:
        """The local call library: file and size, calls indexed, coverage by month (recorded/indexed/pending),
        last sync, last event, a running sync. Read it to judge how complete cross-call answers are."""
        if runtime.library is None:
            return json.dumps({"enabled": False, "what_to_do": LIBRARY_OFF}, indent=2)
        try:
            async with library_errors():
                status = await runtime.library.status()
        except ToolFailure as err:  # the status of a broken library is what is wrong with it
            return json.dumps({"enabled": True, "error": str(err)}, indent=2)
        return json.dumps({"enabled": True, **status}, indent=2)

    @mcp.resource("ringsense://{domain}/records/{record_id}", mime_type="application/json", title="Recording insights")
    async def record_insights(domain: str, record_id: str) -> str:
        """Every RingSense insight of one recording (full detail, transcript statistics, no transcript)."""
        uri = f"ringsense://{domain}/records/{record_id}"
        async with resource_errors(uri):
            result = await tools.insights.get_insights_by_record(
                await runtime.deps(), record_id, domain=domain, detail="full"
            )
            return result_text(result)

    @mcp.resource(
        "ringsense://{domain}/records/{record_id}/transcript", mime_type="text/markdown", title="Recording transcript"
    )
    async def record_transcript(domain: str, record_id: str) -> str:
        """The whole transcript of one recording as markdown, inside call-content markers."""
        async with resource_errors(f"ringsense://{domain}/records/{record_id}/transcript"):
            return await tools.render.whole_transcript(await runtime.deps(), record_id, domain)

    @mcp.resource("ringsense://{domain}/sessions/{session_id}", mime_type="application/json", title="Session insights")
    async def session_insights(domain: str, session_id: str) -> str:
        """The insights of every recording (leg) of a telephony session, with a roll-up."""
        async with resource_errors(f"ringsense://{domain}/sessions/{session_id}"):
            result = await tools.insights.get_insights_by_session(
                await runtime.deps(), session_id, domain=domain, detail="full"
            )
            return result_text(result)

    # mcp's completion() decorator carries no annotations; the handler's own signature is fully typed.
    @mcp.completion()  # type: ignore[no-untyped-call, untyped-decorator]
    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        if argument.name not in ("record_id", "session_id"):
            return None
        try:
            recent = await (await runtime.deps()).source.recent_ids()
        except (RingSenseError, ToolFailure) as err:
            logger.warning("completion of %s failed: %s", argument.name, type(err).__name__)
            return None
        values = [value for value in recent[argument.name] if value.startswith(argument.value)]
        return Completion(values=values[:MAX_COMPLETIONS], total=len(values), has_more=len(values) > MAX_COMPLETIONS)
