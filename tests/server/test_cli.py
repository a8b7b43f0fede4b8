"""The command line as a new user meets it: help for everything, the version, what a hand-started server says."""

from __future__ import annotations

import argparse
import logging
import os
import pty
import socket
import sys
from pathlib import Path

import anyio
import pytest

from server import __version__
from server.app import build_server
from server.cli import WAITING_MESSAGE, _parser, parse_args
from server.config import (
    DATA_DIR_ENV,
    ENV_NAMES,
    EVENTS_ENV,
    EVENTS_LEASE_TTL_ENV,
    HTTP_TOKEN_ENV,
    LIBRARY_ENV,
    REDIS_URL_ENV,
    SANDBOX_ENV,
    load_settings,
)
from server.http import serve_http

START_TIMEOUT = 30


def subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_top_level_help_names_every_environment_variable() -> None:
    text = _parser().format_help()
    names = [name for names in ENV_NAMES.values() for name in names] + [
        HTTP_TOKEN_ENV,
        SANDBOX_ENV,
        REDIS_URL_ENV,
        EVENTS_ENV,
        EVENTS_LEASE_TTL_ENV,
        LIBRARY_ENV,
        DATA_DIR_ENV,
    ]
    missing = [name for name in names if name not in text]
    assert not missing, f"--help does not mention {missing}"


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_option_of_every_command_has_help_text(command: str) -> None:
    parser = subcommands()[command]
    silent = [action.option_strings for action in parser._actions if not action.help]
    assert not silent, f"`ringsense-mcp {command}` options without help: {silent}"


@pytest.mark.anyio
@pytest.mark.parametrize("flag", ["-V", "--version"])
async def test_version_flag_prints_the_version(flag: str) -> None:
    with anyio.fail_after(START_TIMEOUT):
        result = await anyio.run_process([sys.executable, "-m", "server", flag], check=False)
    assert result.returncode == 0
    assert result.stdout.decode().strip() == f"ringsense-mcp {__version__}"


@pytest.mark.parametrize(
    "options",
    [["--max-sessions", "0"], ["--session-idle-timeout", "-5"], ["--session-idle-timeout", "inf"], ["--port", "70000"]],
    ids=["no-sessions", "negative-timeout", "infinite-timeout", "port-out-of-range"],
)
def test_out_of_range_http_options_are_refused_by_the_parser(
    options: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        parse_args(["serve", "--transport", "http", *options])
    assert caught.value.code == 2
    assert options[0] in capsys.readouterr().err


@pytest.mark.anyio
async def test_a_stdio_server_started_by_hand_says_on_stderr_that_it_waits_for_a_client(tmp_path: Path) -> None:
    """A terminal on stdin (a person, not Claude Desktop): one line on stderr, nothing on stdout."""
    controller, terminal = pty.openpty()
    env = {"PATH": os.environ.get("PATH", ""), DATA_DIR_ENV: str(tmp_path)}
    try:
        async with await anyio.open_process(
            [sys.executable, "-m", "server", "serve", "--sandbox"], stdin=terminal, env=env
        ) as process:
            assert process.stderr is not None and process.stdout is not None
            try:
                with anyio.fail_after(START_TIMEOUT):
                    line = b""
                    while not line.endswith(b"\n"):
                        line += await process.stderr.receive(1)
            finally:
                process.terminate()
            with anyio.fail_after(START_TIMEOUT):
                await process.wait()
                stdout = b"".join([chunk async for chunk in process.stdout])
    finally:
        os.close(controller)
        os.close(terminal)
    assert line.decode().strip() == f"ringsense-mcp {__version__} (sandbox): {WAITING_MESSAGE}"
    assert stdout == b"", "stdout is the protocol channel"


@pytest.mark.anyio
async def test_a_stdio_server_started_by_a_client_prints_nothing_extra(tmp_path: Path) -> None:
    """stdin is a pipe (how Claude Desktop starts it): no waiting line; end of input ends the server."""
    with anyio.fail_after(START_TIMEOUT):
        result = await anyio.run_process(
            [sys.executable, "-m", "server", "serve", "--sandbox"],
            input=b"",
            env={"PATH": os.environ.get("PATH", ""), DATA_DIR_ENV: str(tmp_path)},
            check=False,
        )
    assert b"waiting for an MCP client" not in result.stderr
    assert result.stdout == b""


def test_a_port_in_use_is_reported_before_anything_claims_to_be_serving(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(HTTP_TOKEN_ENV, raising=False)
    caplog.set_level(logging.DEBUG)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = parse_args(["serve", "--transport", "http", "--sandbox", "--port", str(port)])
        code = serve_http(build_server(load_settings({}, sandbox=True)), args)
    err = capsys.readouterr().err
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err and "another process is listening there" in err
    assert "serving" not in caplog.text


@pytest.mark.anyio
async def test_the_sandbox_variable_starts_sandbox_mode_like_the_flag(tmp_path: Path) -> None:
    """What an MCPB host does: it sets variables from the user's settings, it cannot add a flag."""
    with anyio.fail_after(START_TIMEOUT):
        result = await anyio.run_process(
            [sys.executable, "-m", "server", "serve"],
            input=b"",
            env={"PATH": os.environ.get("PATH", ""), SANDBOX_ENV: "true", DATA_DIR_ENV: str(tmp_path)},
            check=False,
        )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert b"credentials are missing" not in result.stderr


def test_an_address_of_another_machine_is_refused_before_serving(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(HTTP_TOKEN_ENV, "a-token-long-enough-to-pass-0123")
    caplog.set_level(logging.DEBUG)
    args = parse_args(["serve", "--transport", "http", "--sandbox", "--host", "192.0.2.10", "--port", "8000"])
    code = serve_http(build_server(load_settings({}, sandbox=True)), args)
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot listen on 192.0.2.10:8000" in err and "check --host and --port" in err
    assert "serving" not in caplog.text
    assert "a-token-long-enough-to-pass-0123" not in err
