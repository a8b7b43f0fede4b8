"""Command line: `ringsense-mcp [serve|demo|check|sandbox|events|sync|library]`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from . import __version__

COMMANDS = ("serve", "demo", "check", "sandbox", "events", "sync", "library")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# HTTP session limits. An idle stateful session costs about 38 KB (`python -m bench.session_memory`), so the SDK's
# default of 10,000 would let idle clients pin ~380 MB; 1,000 is ~38 MB and far more than one team needs.
DEFAULT_MAX_SESSIONS = 1000
DEFAULT_SESSION_IDLE_TIMEOUT = 1800.0  # seconds
WAITING_MESSAGE = "waiting for an MCP client on stdin… (this is the stdio server; Ctrl+C stops it; --help for more)"

# Kept here rather than built from server.config so that --help stays instant; a test checks both agree.
ENVIRONMENT_HELP = """\
environment variables:
  RC_SERVER_URL             RingCentral platform base URL (default https://platform.ringcentral.com)
  RC_APP_CLIENT_ID          the app's client id          (aliases RC_CLIENT_ID, RINGCENTRAL_CLIENT_ID)
  RC_APP_CLIENT_SECRET      the app's client secret      (aliases RC_CLIENT_SECRET, RINGCENTRAL_CLIENT_SECRET)
  RC_USER_JWT               the user's JWT credential    (aliases RC_JWT, RINGCENTRAL_JWT_TOKEN)
  RC_ACCESS_TOKEN           instead of the three above: a pre-issued access token (cannot be refreshed)
  RINGCENTRAL_SERVER_URL    alias of RC_SERVER_URL
  RINGSENSE_MCP_SANDBOX     true: the same as --sandbox (for launchers that set variables, not flags)
  RINGSENSE_MCP_TOKEN       HTTP mode: the bearer token clients must send (required off loopback)
  RINGSENSE_REDIS_URL       HTTP replicas: redis:// URL where they share the token, pacing and cache
  RINGSENSE_EVENTS          1: subscribe to live RingSense events (default on with --sandbox; --events wins)
  RINGSENSE_EVENTS_LEASE_TTL  replicas with Redis: seconds before a dead events holder's lease expires (default 6)
  RINGSENSE_LIBRARY         on (default) or off: keep a local, searchable call library
  RINGSENSE_DATA_DIR        where the call library lives (default: the per-user data directory)

examples:
  ringsense-mcp serve --sandbox                 stdio server on sample data, no credentials
  ringsense-mcp serve --transport http          Streamable HTTP at http://127.0.0.1:8000/mcp
  ringsense-mcp demo                            watch a real MCP client use every tool
  ringsense-mcp check                           check live credentials step by step
"""


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return number


def _positive_seconds(value: str) -> float:
    seconds = float(value)
    if not (0 < seconds < float("inf")):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds (got {value})")
    return seconds


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535 (got {value})")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ringsense-mcp",
        description="MCP server for RingCentral RingSense call insights. Without a command: serve over stdio.",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"ringsense-mcp {__version__}")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser(
        "serve",
        help="run the MCP server (stdio by default)",
        description="Run the MCP server. Credentials come from the environment (see ringsense-mcp --help).",
    )
    serve.add_argument("--sandbox", action="store_true", help="use the embedded sandbox (sample data, no credentials)")
    serve.add_argument(
        "--transport",
        choices=("stdio", "http"),
        default="stdio",
        help="stdio: for Claude Desktop and other clients that start the server (default); "
        "http: Streamable HTTP at /mcp, for agents that connect over a network",
    )
    serve.add_argument(
        "--events",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="subscribe to live RingSense events (default: on with --sandbox; RINGSENSE_EVENTS=1 turns it on)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="HTTP: address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="HTTP: port (default 8000)")
    serve.add_argument("--stateless", action="store_true", help="HTTP: no sessions; any replica serves any request")
    serve.add_argument(
        "--max-sessions",
        type=_positive_int,
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help=f"HTTP: most stateful sessions open at once; a client asking for one more gets 503 "
        f"(default {DEFAULT_MAX_SESSIONS}; an idle session holds about 38 KB)",
    )
    serve.add_argument(
        "--session-idle-timeout",
        type=_positive_seconds,
        default=DEFAULT_SESSION_IDLE_TIMEOUT,
        metavar="SECONDS",
        help="HTTP: close a stateful session after this long with no request "
        f"(default {DEFAULT_SESSION_IDLE_TIMEOUT:g})",
    )
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
    library.add_argument(
        "action", choices=("status", "forget"), help="status: where it is, its size and coverage; forget: delete it"
    )
    library.add_argument("--yes", action="store_true", help="forget: do not ask for confirmation")
    library.add_argument("--sandbox", action="store_true", help="the sandbox's library instead of the live one")

    sandbox = sub.add_parser("sandbox", help="serve the fake RingCentral platform on loopback")
    sandbox.add_argument(
        "--port", type=_port, default=8787, help="port to listen on (default 8787; point RC_SERVER_URL at it)"
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="loopback addresses only (default 127.0.0.1)")

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
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "-V", "--version")):
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
    from .config import ConfigurationError, load_sandbox_flag, load_settings
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
        settings = load_settings(sandbox=args.sandbox or load_sandbox_flag(), events=getattr(args, "events", None))
    except ConfigurationError as err:
        print(f"ringsense-mcp: {err.message}", file=sys.stderr)
        return 2
    args.sandbox = settings.sandbox
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
    from .heap import settle_after_start

    server = build_server(settings, log_level=args.log_level)
    settle_after_start()
    if args.transport == "http":
        from .http import serve_http

        return serve_http(server, args)
    if sys.stdin.isatty():
        # Started by hand: without this line a stdio server looks hung. Never stdout, the protocol channel.
        mode = "sandbox" if settings.sandbox else "live"
        print(f"ringsense-mcp {__version__} ({mode}): {WAITING_MESSAGE}", file=sys.stderr, flush=True)
    server.run()
    return 0
