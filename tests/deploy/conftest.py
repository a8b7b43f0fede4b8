"""Fixtures and the report of the deployment tests.

`private_redis` comes from tests/conftest.py. `private_postgres` is a PostgreSQL server of the test's own (it may
stop it). The measurements are printed at the end of the run; `RINGSENSE_DEPLOY_REPORT=path.md uv run pytest -m
deploy` also writes them to a file, which docs/deploy.md quotes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres_server import PostgresServer, started_or_fail

from .report import REPORT


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster on a free loopback port (missing binaries: the test fails, saying how to
    install them)."""
    with started_or_fail() as server:
        yield server


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    text = REPORT.render()
    if not text:
        return
    terminalreporter.section("deployment report")
    terminalreporter.write_line(text)
    if target := os.environ.get("RINGSENSE_DEPLOY_REPORT"):
        Path(target).write_text(text + "\n", encoding="utf-8")
        terminalreporter.write_line(f"(written to {target})")
