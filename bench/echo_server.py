"""Our server plus one trivial `echo` tool: the floor of a tool call over the same process and transport.

Run as `python -m bench.echo_server [--sandbox]`, configured like `ringsense-mcp serve` (live mode reads the
`RC_*` variables; the benchmarks point `RC_SERVER_URL` at a sandbox on loopback).
"""

from __future__ import annotations

import argparse
import sys

from server.app import build_server
from server.config import load_settings
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

    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
