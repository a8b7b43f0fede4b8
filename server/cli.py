"""Command line: `ringsense-mcp [serve|demo|check|sandbox|events|sync|library]`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from . import __version__

COMMANDS = ("serve", "demo", "check", "sandbox", "events", "sync", "library")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ringsense-mcp",
        description="MCP server for RingCentral RingSense call insights. Without a command: serve over stdio.",
    )
    parser.add_argument("--version", action="version", version=f"ringsense-mcp {__version__}")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="run the MCP server (stdio by default)")
    serve.add_argument("--sandbox", action="store_true", help="use the embedded sandbox (sample data, no credentials)")
    serve.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    serve.add_argument(
        "--events",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="subscribe to live RingSense events (default: on with --sandbox; RINGSENSE_EVENTS=1 turns it on)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="HTTP: address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP: port (default 8000)")
    serve.add_argument("--stateless", action="store_true", help="HTTP: no sessions; any replica serves any request")
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="HTTP: accept this Host header (repeatable; for deployments behind a real hostname)",
    )
    serve.add_argument(
        "--allowed-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="HTTP: accept this Origin header (repeatable)",
    )

    sub.add_parser("demo", help="walk through the tools against the sandbox, as a real MCP client over stdio")

    events = sub.add_parser("events", help="print RingSense events as they arrive (push notifications)")
    events.add_argument("--sandbox", action="store_true", help="listen to the embedded sandbox (prints how to trigger)")
    events.add_argument("--json", action="store_true", help="one JSON object per line, for scripts")
    events.add_argument(
        "--domain",
        action="append",
        metavar="DOMAIN",
        help="pbx, rcv, rcx, nice-incontact or ms-teams (repeatable or comma-separated; default: all)",
    )

    check = sub.add_parser("check", help="check live credentials: token, permission, one insights call")
    check.add_argument("--sandbox", action="store_true", help="run the checks against the embedded sandbox")

    sync = sub.add_parser("sync", help="bring the local call library up to date (backfill from the call log)")
    sync.add_argument("--since", metavar="YYYY-MM-DD", help="first day to sync (UTC; default: catch up)")
    sync.add_argument("--until", metavar="YYYY-MM-DD", help="last day to sync, inclusive (UTC; default: today)")
    sync.add_argument("--sandbox", action="store_true", help="sync the sandbox's sample calls into its own library")

    library = sub.add_parser("library", help="the local call library: status, or forget (delete) it")
    library.add_argument("action", choices=("status", "forget"))
    library.add_argument("--yes", action="store_true", help="forget: do not ask for confirmation")
    library.add_argument("--sandbox", action="store_true", help="the sandbox's library instead of the live one")

    sandbox = sub.add_parser("sandbox", help="serve the fake RingCentral platform on loopback")
    sandbox.add_argument("--port", type=int, default=8787)
    sandbox.add_argument("--host", default="127.0.0.1", help="loopback addresses only")

    for command in sub.choices.values():
        command.add_argument(
            "--log-level",
            choices=LOG_LEVELS,
            default=None,
            type=str.upper,
            help="log level (logs go to stderr; default WARNING, INFO for HTTP services)",
        )
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    argv = list(argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "serve")
    return _parser().parse_args(argv)


def replica_warnings(args: argparse.Namespace, *, redis: bool) -> list[str]:
    """What a replica's operator should hear about its options: shared state with per-process MCP sessions."""
    if args.command == "serve" and args.transport == "http" and redis and not args.stateless:
        return [
            "RINGSENSE_REDIS_URL is set, but MCP sessions stay in this process: behind a load balancer, run every "
            "replica with --stateless (or make sessions sticky)"
        ]
    return []


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.log_level is None:
        # HTTP services announce where they listen (INFO); a stdio server stays quiet unless asked.
        http_service = args.command == "sandbox" or (args.command == "serve" and args.transport == "http")
        args.log_level = "INFO" if http_service else "WARNING"
    # Imported after parsing, on purpose: --help stays instant and each command loads only what it uses.
    from .config import ConfigurationError, load_settings
    from .logs import configure_logging

    if args.command == "demo":
        configure_logging(args.log_level)
        from .demo import run_demo

        return run_demo()
    if args.command == "sandbox":
        configure_logging(args.log_level)
        from .sandbox import run_sandbox

        try:
            run_sandbox(port=args.port, host=args.host)
        except ValueError as err:
            print(f"ringsense-mcp sandbox: {err}", file=sys.stderr)
            return 2
        return 0

    if args.command == "library":
        configure_logging(args.log_level)
        from . import library_cli
        from .config import load_library_settings

        try:
            library = load_library_settings(sandbox=args.sandbox)
        except ConfigurationError as err:
            print(f"ringsense-mcp: {err.message}", file=sys.stderr)
            return 2
        if args.action == "status":
            return library_cli.show_status(library)
        return library_cli.forget_library(library, yes=args.yes)

    try:
        settings = load_settings(sandbox=args.sandbox, events=getattr(args, "events", None))
    except ConfigurationError as err:
        print(f"ringsense-mcp: {err.message}", file=sys.stderr)
        return 2
    configure_logging(args.log_level, settings.secret_values())
    for warning in replica_warnings(args, redis=settings.redis_url is not None):
        logging.getLogger("server").warning(warning)

    if args.command == "sync":
        from .library_cli import run_sync

        return run_sync(settings, args.since, args.until)
    if args.command == "check":
        from .doctor import run_check

        return run_check(settings)
    if args.command == "events":
        from .events_cli import parse_domains, run_events

        return run_events(settings, domains=parse_domains(args.domain), as_json=args.json)

    from .app import build_server

    server = build_server(settings, log_level=args.log_level)
    if args.transport == "http":
        from .http import serve_http

        return serve_http(server, args)
    server.run()
    return 0
