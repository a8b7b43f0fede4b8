"""A real nginx in front of the replicas, configured from a file generated into a temporary directory.

The generated top-level file defines the upstream (the replicas' loopback addresses) and includes the very
`deploy/nginx/mcp-proxy.conf` that compose.yaml's proxy includes, so the proxy behaviour under test is the
deployed one.
"""

from __future__ import annotations

import grp
import os
import pwd
import signal
import socket
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from anyio.abc import Process

from .processes import START_TIMEOUT, STOP_TIMEOUT, free_port, tail

REPO = Path(__file__).resolve().parents[2]
PROXY_CONF = REPO / "deploy" / "nginx" / "mcp-proxy.conf"


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
    upstreams: Sequence[str]  # host:port of each replica
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
        servers = "\n".join(f"        server {address} max_fails=1 fail_timeout=5s;" for address in self.upstreams)
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
