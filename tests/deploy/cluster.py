"""Three `ringsense-mcp serve --transport http --stateless` processes behind a real nginx, all on loopback.

The replicas run in live mode against a sandbox platform that the test serves with uvicorn in its own process
(`serve_sandbox`), so the test can fault it, expire its tokens and read its request log. nginx runs from a
configuration generated into a temporary directory: an `upstream` of the three replicas, and the very
`deploy/nginx/mcp-proxy.conf` that compose.yaml's proxy includes, so the proxy behaviour under test is the
deployed one.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from anyio.abc import Process
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from server.sandbox import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from server.sandbox.samples import SandboxUser

REPO = Path(__file__).resolve().parents[2]
PROXY_CONF = REPO / "deploy" / "nginx" / "mcp-proxy.conf"
HTTP_TOKEN = "deploy-test-bearer-token-0123456789"  # what MCP clients present to the replicas, through nginx
REPLICAS = 3
START_TIMEOUT = 60.0  # seconds for three replicas to import, bind and answer /healthz on a busy 2-core machine
STOP_TIMEOUT = 30.0
CALL_TIMEOUT = 120.0


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


NGINX_CONF = """\
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format upstreams '$status $request_method $uri $upstream_addr $upstream_status';
    access_log {dir}/access.log upstreams;
    client_body_temp_path {dir}/temp/client_body;
    proxy_temp_path {dir}/temp/proxy;
    fastcgi_temp_path {dir}/temp/fastcgi;
    uwsgi_temp_path {dir}/temp/uwsgi;
    scgi_temp_path {dir}/temp/scgi;
    upstream ringsense_mcp {{
{servers}
        keepalive 32;
        keepalive_timeout 4s;  # as deploy/nginx/nginx.conf: below the replicas' 5 s keep-alive timeout
    }}
    server {{
        listen 127.0.0.1:{port};
        include {proxy_conf};
    }}
}}
"""


@dataclass
class Nginx:
    """A real nginx on a free loopback port, its config, pid and logs in `directory`."""

    binary: str
    directory: Path
    upstreams: Sequence[Replica]
    port: int = field(default_factory=free_port)
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.directory / "access.log"

    def config(self) -> str:
        # As root the workers drop to `nobody` (given the temp paths, though JSON-RPC bodies fit in memory and
        # responses are not buffered); as anyone else nginx runs as that user and `user` would draw a warning.
        user = ""
        temp = self.directory / "temp"
        temp.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            user = f"user nobody {grp.getgrgid(nobody.pw_gid).gr_name};"
            os.chown(temp, nobody.pw_uid, nobody.pw_gid)
        servers = "\n".join(
            f"        server {replica.address} max_fails=1 fail_timeout=5s;" for replica in self.upstreams
        )
        return NGINX_CONF.format(user=user, dir=self.directory, servers=servers, port=self.port, proxy_conf=PROXY_CONF)

    async def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        conf = self.directory / "nginx.conf"
        conf.write_text(self.config())
        command = [self.binary, "-p", str(self.directory), "-c", str(conf), "-e", str(self.directory / "error.log")]
        check = await anyio.run_process([*command, "-t"], check=False)
        if check.returncode != 0:
            raise AssertionError(f"nginx refused the generated config:\n{check.stderr.decode(errors='replace')}")
        stderr = (self.directory / "stderr.log").open("wb")
        self.process = await anyio.open_process([*command, "-g", "daemon off;"], stderr=stderr, stdout=stderr)
        stderr.close()
        with anyio.fail_after(START_TIMEOUT):
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        return
                except OSError:
                    if self.process.returncode is not None:
                        raise AssertionError(f"nginx exited:\n{tail(self.directory / 'error.log')}") from None
                await anyio.sleep(0.05)  # bounded by fail_after: nginx is binding

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful: finish the requests in flight
        with anyio.move_on_after(STOP_TIMEOUT):
            await self.process.wait()
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    def log_lines(self) -> list[str]:
        return self.access_log.read_text().splitlines() if self.access_log.exists() else []

    def served(self, path: str = "/mcp") -> Counter[str]:
        """How many requests for `path` each upstream answered (the last one tried, when nginx moved on)."""
        counts: Counter[str] = Counter()
        for line in self.access_log.read_text().splitlines():
            _status, _method, uri, upstream, *_ = line.split(" ", 4)
            if uri == path and upstream != "-":
                counts[upstream.rsplit(",", 1)[-1].strip()] += 1
        return counts

    def statuses(self, path: str = "/mcp") -> Counter[int]:
        """Status codes nginx returned for `path`."""
        counts: Counter[int] = Counter()
        for line in self.access_log.read_text().splitlines():
            status, _method, uri, *_ = line.split(" ", 3)
            if uri == path:
                counts[int(status)] += 1
        return counts


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
        proxy=Nginx(nginx, directory / "nginx", members),
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


@dataclass
class Outcome:
    """What a batch of tool calls came to."""

    results: list[CallToolResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def texts(self) -> list[str]:
        return ["\n".join(getattr(block, "text", "") for block in result.content) for result in self.results]


async def call_concurrently(
    cluster: Cluster, calls: Sequence[tuple[str, dict[str, Any]]], *, clients: int = 20
) -> Outcome:
    """Run every call at once, spread over `clients` MCP clients; a transport error or an error result is a failure."""
    outcome = Outcome()

    async def one(client: Client, name: str, arguments: dict[str, Any]) -> None:
        try:
            result = await client.call_tool(name, arguments)
        except Exception as err:  # any transport or protocol failure counts; the test reports them all
            outcome.failures.append(f"{name}: {type(err).__name__}: {err}")
            return
        outcome.results.append(result)
        if result.is_error:
            text = "\n".join(getattr(block, "text", "") for block in result.content)
            outcome.failures.append(f"{name}: {text[:300]}")

    async def batch(share: Sequence[tuple[str, dict[str, Any]]]) -> None:
        async with cluster.client() as client, anyio.create_task_group() as tasks:
            for name, arguments in share:
                tasks.start_soon(one, client, name, arguments)

    with anyio.fail_after(CALL_TIMEOUT):
        async with anyio.create_task_group() as tasks:
            for number in range(clients):
                if share := calls[number::clients]:
                    tasks.start_soon(batch, share)
    return outcome


RAW_HEADERS = {
    "Authorization": f"Bearer {HTTP_TOKEN}",
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


async def raw_requests(url: str, bodies: Sequence[dict[str, Any] | None], *, connections: int) -> tuple[float, int]:
    """POST each JSON-RPC body (GET for None) over `connections` keep-alive connections, the least client there
    is (stateless replicas need no `initialize`); returns (seconds, failures)."""
    failures = 0
    queue = list(bodies)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal failures
        while queue:
            body = queue.pop()
            answer = await (http.get(url) if body is None else http.post(url, json=body))
            if answer.status_code != 200 or '"isError":true' in answer.text:
                failures += 1

    async with httpx.AsyncClient(headers=RAW_HEADERS, limits=limits, timeout=CALL_TIMEOUT) as http:
        started = anyio.current_time()
        with anyio.fail_after(CALL_TIMEOUT):
            async with anyio.create_task_group() as tasks:
                for _ in range(connections):
                    tasks.start_soon(worker, http)
        return anyio.current_time() - started, failures
