"""`python -m bench.session_memory [N]`: memory one idle stateful Streamable HTTP session costs the server.

Starts `ringsense-mcp serve --transport http --sandbox` as its own process, opens 200 sessions to warm it up
(allocator arenas, lazy imports, first-use caches), reads its resident set size, opens N more sessions that then
sit idle (initialize + notifications/initialized, as a client that connects and waits), and reads it again. The
difference over N is what `--max-sessions` multiplies. Linux only (reads /proc).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

WARM_UP = 200
SETTLE_SECONDS = 1.0  # let the last session's tasks finish starting before RSS is read
START_TIMEOUT = 60.0
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS line")


def _open_session(http: httpx.Client) -> None:
    session = http.post("/mcp", json=INITIALIZE, headers=HEADERS).headers["mcp-session-id"]
    headers = {**HEADERS, "Mcp-Session-Id": session, "Mcp-Protocol-Version": "2025-11-25"}
    http.post("/mcp", json=INITIALIZED, headers=headers).raise_for_status()


def measure(sessions: int) -> dict[str, float]:
    port = _free_port()
    # No bearer token, and no call library: its background sync would grow the process while it is measured.
    env = {key: value for key, value in os.environ.items() if key != "RINGSENSE_MCP_TOKEN"}
    env["RINGSENSE_LIBRARY"] = "off"
    command = [sys.executable, "-m", "server", "serve", "--transport", "http", "--sandbox", "--port", str(port)]
    command += ["--max-sessions", str(sessions + WARM_UP + 1), "--log-level", "ERROR"]
    server = subprocess.Popen(command, env=env)  # noqa: S603 - our own interpreter running our own package
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                try:
                    http.get("/healthz").raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the server did not start") from None
                    time.sleep(0.1)
            for _ in range(WARM_UP):
                _open_session(http)
            time.sleep(SETTLE_SECONDS)
            before = _rss_bytes(server.pid)
            for _ in range(sessions):
                _open_session(http)
            time.sleep(SETTLE_SECONDS)
            after = _rss_bytes(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    return {
        "sessions": sessions,
        "rss_before_mib": round(before / 2**20, 1),
        "rss_after_mib": round(after / 2**20, 1),
        "bytes_per_idle_session": round((after - before) / sessions),
    }


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)))
