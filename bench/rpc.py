"""Raw JSON-RPC over a child's stdin/stdout — the least client there is, so that it costs ours and the floor
alike and nothing of the SDK's client side (schema validation, caching) lands in either figure."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL_VERSION = "2025-11-25"
MAX_LINE = 16 * 1024 * 1024
SPAWN_TIMEOUT = 60.0

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {
        "protocolVersion": PROTOCOL_VERSION,
        "capabilities": {},
        "clientInfo": {"name": "ringsense-bench", "version": "0"},
    },
}


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a desktop client passes a server it spawns: little more than PATH and HOME."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "SYSTEMROOT") if name in os.environ}
    return {**env, **(extra or {})}


def module_command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


@dataclass(frozen=True)
class ColdStart:
    """One spawn: seconds from spawning to reading the `tools/list` response (`wall`), and the CPU seconds the
    child had used by then (`cpu`; None where /proc is missing)."""

    wall: float
    cpu: float | None


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process so far, from /proc (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14 and 15)


def time_to_tools(command: Sequence[str], env: Mapping[str, str], cwd: Path = ROOT) -> ColdStart:
    """Spawn `command` and do what a desktop client does first: `initialize`, `notifications/initialized`,
    `tools/list` (written after the `initialize` response, as a client does); time it to the `tools/list` response."""
    follow_up = [
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter running our own modules
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(env), cwd=cwd
    )
    watchdog = threading.Timer(SPAWN_TIMEOUT, proc.kill)
    watchdog.start()
    lines: list[bytes] = []
    cpu = None
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write((json.dumps(INITIALIZE) + "\n").encode())
        proc.stdin.flush()
        lines.append(proc.stdout.readline())
        proc.stdin.write("".join(json.dumps(message) + "\n" for message in follow_up).encode())
        proc.stdin.flush()
        lines.append(proc.stdout.readline())
        elapsed = time.perf_counter() - start
        cpu = _cpu_seconds(proc.pid)
    except BrokenPipeError:
        elapsed = time.perf_counter() - start
    finally:
        watchdog.cancel()
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    answered = [*lines, b"", b""][:2]  # a child that died early answered fewer lines
    for line, method in zip(answered, ("initialize", "tools/list"), strict=True):
        try:
            reply = json.loads(line)
        except ValueError:
            raise RuntimeError(f"{' '.join(command)} did not answer {method}; stderr:\n{stderr[-3000:]}") from None
        if "result" not in reply:
            raise RuntimeError(f"{' '.join(command)} refused {method}: {reply}")
    return ColdStart(wall=elapsed, cpu=cpu)


class RpcError(RuntimeError):
    pass


class StdioSession:
    """One spawned MCP server spoken to in raw JSON-RPC; concurrent requests are matched to replies by id."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str]) -> None:
        self._command = list(command)
        self._env = dict(env)
        self._ids = itertools.count(1)
        self._waiting: dict[int, tuple[anyio.Event, list[dict[str, Any]]]] = {}
        self._process: Process | None = None
        self._stderr = tempfile.TemporaryFile()  # closed in __aexit__
        self._send_lock = anyio.Lock()

    async def __aenter__(self) -> StdioSession:
        self._process = await anyio.open_process(self._command, env=self._env, cwd=ROOT, stderr=self._stderr)
        self._tasks = anyio.create_task_group()
        await self._tasks.__aenter__()
        self._tasks.start_soon(self._read)
        with anyio.fail_after(SPAWN_TIMEOUT):
            await self.request("initialize", INITIALIZE["params"])
        await self._send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._process is not None
        await self._process.stdin.aclose()  # type: ignore[union-attr]
        with anyio.move_on_after(10):
            await self._process.wait()
        if self._process.returncode is None:
            self._process.kill()
            await self._process.wait()
        self._tasks.cancel_scope.cancel()
        await self._tasks.__aexit__(None, None, None)
        self._stderr.close()

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def stderr_tail(self, limit: int = 3000) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-limit:]

    async def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stream = BufferedByteReceiveStream(self._process.stdout)
        while True:
            try:
                line = await stream.receive_until(b"\n", MAX_LINE)
            except (anyio.EndOfStream, anyio.IncompleteRead):
                for event, box in self._waiting.values():
                    box.append({"error": {"message": "the server closed stdout"}})
                    event.set()
                return
            message = json.loads(line)
            waiter = self._waiting.pop(message.get("id"), None) if "id" in message else None
            if waiter is not None:
                waiter[1].append(message)
                waiter[0].set()

    async def _send(self, message: dict[str, Any]) -> None:
        assert self._process is not None and self._process.stdin is not None
        async with self._send_lock:
            await self._process.stdin.send((json.dumps(message) + "\n").encode())

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send one request and wait for its result; a JSON-RPC error raises RpcError."""
        request_id = next(self._ids)
        event = anyio.Event()
        box: list[dict[str, Any]] = []
        self._waiting[request_id] = (event, box)
        await self._send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        await event.wait()
        reply = box[0]
        if "error" in reply:
            raise RpcError(f"{method}: {reply['error']}\n{self.stderr_tail()}")
        result: dict[str, Any] = reply["result"]
        return result

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """`tools/call`; a tool error (isError) raises RpcError, so a benchmark never times failures."""
        result = await self.request("tools/call", {"name": name, "arguments": arguments})
        if result.get("isError"):
            raise RpcError(f"{name} failed: {result.get('content')}")
        return result


def text_of(result: dict[str, Any]) -> str:
    """The text a model reads from a tool result."""
    return "".join(block.get("text", "") for block in result.get("content", []))
