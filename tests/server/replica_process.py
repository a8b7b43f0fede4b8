"""A real `ringsense-mcp serve --transport http --stateless` process on a free loopback port, for the replica tests.

Configured only through the environment it is given, as a deployment would be; its stderr goes to a log file the
test reads afterwards (for secrets, among other things).
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
from anyio.abc import Process

from server.http import HEALTH_PATH, MCP_PATH
from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0  # Python processes importing the server on a busy two-core machine
STOP_TIMEOUT = 15.0


def replica_environment(served_url: str, jwt: str, redis_url: str, home: Path, **extra: str) -> dict[str, str]:
    """The environment of a replica against the sandbox at `served_url`, sharing state in the Redis at `redis_url`;
    `extra` adds or overrides variables (RINGSENSE_EVENTS=…)."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(home)),
        "RC_SERVER_URL": served_url,
        "RC_APP_CLIENT_ID": SANDBOX_CLIENT_ID,
        "RC_APP_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "RC_USER_JWT": jwt,
        "RINGSENSE_REDIS_URL": redis_url,
        **extra,
    }


@asynccontextmanager
async def replica_process(environment: dict[str, str], log: Path) -> AsyncIterator[tuple[str, Process]]:
    """Start one stateless HTTP replica and wait (bounded) until it answers its health check; yields its MCP URL and
    the process. On exit it is terminated (killed after STOP_TIMEOUT), unless the test has already ended it.

    Raises TimeoutError when the replica does not answer within START_TIMEOUT."""
    port = free_port()
    command = [sys.executable, "-m", "server", "serve", "--transport", "http", "--stateless"]
    command += ["--port", str(port), "--log-level", "INFO"]
    with log.open("wb") as stderr:
        process: Process = await anyio.open_process(command, cwd=ROOT, env=environment, stderr=stderr)
        try:
            url = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=url) as http:
                with anyio.fail_after(START_TIMEOUT):
                    while True:
                        try:
                            if (await http.get(HEALTH_PATH)).status_code == 200:
                                break
                        except httpx.TransportError:
                            pass
                        await anyio.sleep(0.1)  # polling a process we started, bounded above
            yield url + MCP_PATH, process
        finally:
            if process.returncode is None:
                process.terminate()
            with anyio.move_on_after(STOP_TIMEOUT) as waiting:
                await process.wait()
            if waiting.cancelled_caught:
                process.kill()
                await process.wait()
