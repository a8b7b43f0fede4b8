"""Three `ringsense-mcp serve --transport http --stateless` processes behind a real nginx, all on loopback.

The replicas run in live mode against a sandbox platform that the test serves with uvicorn in its own process
(`serve_sandbox`), so the test can fault it, expire its tokens and read its request log. nginx (`nginx.py`) sits
in front of them with the deployed proxy configuration.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx2
from anyio.abc import Process
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from server.sandbox.samples import SandboxUser

from .nginx import REPO, Nginx
from .processes import STOP_TIMEOUT, cpu_seconds, free_port, require_binary, resident_kib, tail, wait_until_healthy

__all__ = ["CALL_TIMEOUT", "HTTP_TOKEN", "REPO", "Cluster", "Replica", "running_cluster"]

HTTP_TOKEN = "deploy-test-bearer-token-0123456789"  # what MCP clients present to the replicas, through nginx
REPLICAS = 3
CALL_TIMEOUT = 120.0


@dataclass
class Replica:
    """One server process; `log` holds its stderr."""

    name: str
    port: int
    log: Path
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        """How nginx names it in `$upstream_addr`."""
        return f"127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def rss_kib(self) -> int:
        assert self.process is not None
        return resident_kib(self.process.pid)

    def cpu_seconds(self) -> float:
        assert self.process is not None
        return cpu_seconds(self.process.pid)

    def stderr(self) -> str:
        return tail(self.log, 100_000)

    async def kill(self) -> None:
        """SIGKILL: a crash, with no graceful shutdown and nothing released on the way out."""
        assert self.process is not None
        self.process.kill()
        with anyio.fail_after(STOP_TIMEOUT):
            await self.process.wait()

    async def stop(self) -> None:
        if not self.alive:
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        with anyio.move_on_after(STOP_TIMEOUT):
            await self.process.wait()
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


@dataclass
class Cluster:
    """The replicas, the proxy, and what a test needs to drive them."""

    replicas: list[Replica]
    proxy: Nginx
    environment: dict[str, str]
    command: list[str]

    @property
    def url(self) -> str:
        """The MCP endpoint, through the proxy."""
        return f"{self.proxy.url}/mcp"

    def replica_at(self, address: str) -> Replica:
        return next(replica for replica in self.replicas if replica.address == address)

    async def start_replica(self, replica: Replica) -> None:
        replica.log.parent.mkdir(parents=True, exist_ok=True)
        with replica.log.open("ab") as log:
            replica.process = await anyio.open_process(
                [*self.command, "--port", str(replica.port)], env=self.environment, stderr=log, stdout=log
            )
        try:
            await wait_until_healthy(replica.url)
        except TimeoutError:
            raise AssertionError(f"{replica.name} did not become healthy:\n{tail(replica.log)}") from None

    def logs(self) -> str:
        """Every replica's stderr tail and the proxy's error log, for a failing assertion's message."""
        parts = [f"--- {replica.name} ({replica.address})\n{tail(replica.log)}" for replica in self.replicas]
        refused = [line for line in self.proxy.log_lines() if not line.startswith("200 ")]
        parts.append(f"--- nginx: {len(refused)} answers other than 200\n" + "\n".join(refused[-20:]))
        parts.append(f"--- nginx error log\n{tail(self.proxy.directory / 'error.log')}")
        return "\n".join(parts)

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[Client]:
        """An MCP client (the SDK's own) connected to the proxy, with the bearer token."""
        headers = {"Authorization": f"Bearer {HTTP_TOKEN}"}
        async with httpx2.AsyncClient(headers=headers, timeout=CALL_TIMEOUT) as http:
            async with Client(streamable_http_client(self.url, http_client=http)) as client:
                yield client


def replica_environment(
    upstream: str, user: SandboxUser, home: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What a replica is started with: live credentials for the sandbox, the HTTP token, and `extra`
    (`RINGSENSE_REDIS_URL`, `RINGSENSE_DATABASE_URL`, ...)."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "RC_SERVER_URL": upstream,
        "RC_APP_CLIENT_ID": SANDBOX_CLIENT_ID,
        "RC_APP_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "RC_USER_JWT": user.jwt,
        "RINGSENSE_MCP_TOKEN": HTTP_TOKEN,
        **(extra or {}),
    }


def serve_command() -> list[str]:
    """`ringsense-mcp serve --transport http --stateless`, the console script of this environment."""
    script = Path(sys.executable).with_name("ringsense-mcp")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "server"]
    return [*base, "serve", "--transport", "http", "--stateless", "--host", "127.0.0.1", "--log-level", "INFO"]


@contextlib.asynccontextmanager
async def running_cluster(
    directory: Path,
    *,
    upstream: str,
    user: SandboxUser,
    environment: Mapping[str, str] | None = None,
    replicas: int = REPLICAS,
) -> AsyncIterator[Cluster]:
    """Start `replicas` servers and nginx in front of them; stop all of them on the way out."""
    nginx = require_binary("nginx", "nginx")
    members = [Replica(f"replica-{n + 1}", free_port(), directory / f"replica-{n + 1}.log") for n in range(replicas)]
    home = directory / "home"
    home.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(
        replicas=members,
        proxy=Nginx(nginx, directory / "nginx", [replica.address for replica in members]),
        environment=replica_environment(upstream, user, home, environment),
        command=serve_command(),
    )
    try:
        async with anyio.create_task_group() as starting:
            for replica in members:
                starting.start_soon(cluster.start_replica, replica)
        await cluster.proxy.start()
        await wait_until_healthy(cluster.proxy.url)
        yield cluster
    finally:
        with anyio.CancelScope(shield=True):
            await cluster.proxy.stop()
            for replica in members:
                await replica.stop()
