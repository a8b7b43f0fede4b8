"""One replica in its own process, driven over stdin/stdout: `python -m tests.ringsense.shared.replica [WINDOW LIGHT]`.

It reads its settings from the environment exactly as the server does (RC_SERVER_URL, RC_APP_CLIENT_ID,
RC_APP_CLIENT_SECRET, RC_USER_JWT, RINGSENSE_REDIS_URL) and opens the server's `Runtime`, so the wiring from
configuration to shared state is what runs. With WINDOW and LIGHT it instead builds the client itself with a
time-scaled shared pacer (the platform's window, seconds, and Light limit), for bursts that finish in seconds.

Protocol, one line each: it prints `ready` after one permission check; then for each command line
`{"permission": N}` or `{"insights": [[record_id, [types…]], …]}` it makes those calls concurrently and prints
`{"ok": count, "failed": [messages]}`; an empty line closes it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

import anyio

from server.config import load_settings
from server.ringsense import RingSenseClient
from server.ringsense.shared import SharedState
from server.runtime import Runtime


async def open_calls(stack: AsyncExitStack, argv: list[str]) -> tuple[Callable[[], Awaitable[object]], Callable]:
    settings = load_settings(os.environ)
    if not argv:
        runtime = await stack.enter_async_context(Runtime(settings).open())
        source = (await runtime.deps()).source
        return (lambda: source.permission("ReadRingSenseInsights")), (
            lambda record_id, types: source.recording(record_id, insight_types=types)
        )
    window, light = float(argv[0]), int(argv[1])
    assert settings.redis_url is not None and settings.credentials is not None
    shared = SharedState.connect(
        settings.redis_url.get_secret_value(),
        server_url=settings.server_url,
        credentials=settings.credentials,
        window=window,
        limits={"Light": light},
    )
    stack.push_async_callback(shared.aclose)
    client = RingSenseClient(
        server_url=settings.server_url, credentials=settings.credentials, **shared.client_options()
    )
    await stack.enter_async_context(client)
    return client.check_permission, (
        lambda record_id, types: client.get_record_insights(record_id, insight_types=types)
    )


async def one(call: Callable[[], Awaitable[object]], failed: list[str]) -> None:
    try:
        await call()
    except Exception as error:  # reported to the test, which names them
        failed.append(f"{type(error).__name__}: {error}")


async def main(argv: list[str]) -> None:
    stdin = anyio.wrap_file(sys.stdin)
    async with AsyncExitStack() as stack:
        permission, insights = await open_calls(stack, argv)
        await permission()
        print("ready", flush=True)
        while line := (await stdin.readline()).strip():
            command = json.loads(line)
            calls = [permission] * command.get("permission", 0)
            calls += [lambda r=record_id, t=types: insights(r, t) for record_id, types in command.get("insights", [])]
            failed: list[str] = []
            async with anyio.create_task_group() as tasks:
                for call in calls:
                    tasks.start_soon(one, call, failed)
            print(json.dumps({"ok": len(calls) - len(failed), "failed": failed}), flush=True)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1:])
