"""Small helpers for the processes the deployment tests start: binaries, ports, /proc readings, health."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from pathlib import Path

import anyio
import httpx
import pytest

START_TIMEOUT = 60.0  # seconds for three replicas to import, bind and answer /healthz on a busy 2-core machine
STOP_TIMEOUT = 30.0


def require_binary(name: str, package: str) -> str:
    """The path of `name`, or a failed test (never a skip) that says how to install it."""
    found = shutil.which(name) or next(
        (str(p) for d in ("/usr/sbin", "/usr/local/sbin", "/sbin") if (p := Path(d) / name).exists()), None
    )
    if found is None:
        pytest.fail(
            f"`{name}` is not installed; the deployment tests need the real engine. Install it with "
            f"`apt-get install -y {package}` (.ci/run does this on a fresh machine).",
            pytrace=False,
        )
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def resident_kib(pid: int) -> int:
    """Resident memory of a live process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a live process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tail(path: Path, limit: int = 3000) -> str:
    return path.read_text(errors="replace")[-limit:] if path.exists() else "(no log)"


async def wait_until_healthy(url: str) -> None:
    """Poll `url`/healthz until it answers 200, for START_TIMEOUT seconds at most."""
    async with httpx.AsyncClient(timeout=2) as http:
        with anyio.fail_after(START_TIMEOUT):
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"{url}/healthz")).status_code == 200:
                        return
                await anyio.sleep(0.05)  # bounded by fail_after: the process is starting
