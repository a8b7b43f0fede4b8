"""Our server plus two floor tools over the same process and transport: `echo`, a trivial tool call, and `fetch`,
a tool call that makes one raw httpx GET to the platform and reads the body without parsing it (the least a cache
miss can cost: the call and the upstream request, each crossing to another process as a miss does).

Run as `python -m bench.echo_server [--sandbox]`, configured like `ringsense-mcp serve` (live mode reads the
`RC_*` variables; the benchmarks point `RC_SERVER_URL` at a sandbox on loopback).
"""

from __future__ import annotations

import argparse
import os
import sys

import httpx

from server.app import build_server
from server.config import load_settings
from server.heap import settle_after_start
from server.logs import configure_logging


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.echo_server")
    parser.add_argument("--sandbox", action="store_true", help="use the embedded sandbox")
    args = parser.parse_args()
    configure_logging("WARNING")
    server = build_server(load_settings(sandbox=args.sandbox), log_level="WARNING")

    @server.tool()
    async def echo(text: str) -> str:
        """Return `text` unchanged."""
        return text

    http: list[httpx.AsyncClient] = []  # one keep-alive client, made on first use inside the server's event loop

    @server.tool()
    async def fetch(path: str, bearer: str) -> int:
        """GET `path` from the platform with `bearer`; the body's length in bytes."""
        if not http:
            # The same keep-alive expiry as the product's client and the bench's own raw GETs.
            limits = httpx.Limits(keepalive_expiry=2.0)
            http.append(httpx.AsyncClient(base_url=os.environ["RC_SERVER_URL"], limits=limits))
        response = await http[0].get(path, headers={"Authorization": f"Bearer {bearer}"})
        response.raise_for_status()
        return len(response.content)

    settle_after_start()  # as `ringsense-mcp serve` does
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
