"""Gauntlet fixtures and the report: every test adds rows; the session prints them and can write them out.

`RINGSENSE_GAUNTLET_REPORT=path.md uv run pytest tests/gauntlet -m "slow or not slow"` writes the tables that
docs/reliability.md quotes; without it they are printed in the terminal summary only.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .harness import REPORT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    text = REPORT.render()
    if not text:
        return
    terminalreporter.section("gauntlet report")
    terminalreporter.write_line(text)
    target = os.environ.get("RINGSENSE_GAUNTLET_REPORT")
    if target:
        Path(target).write_text(text + "\n", encoding="utf-8")
        terminalreporter.write_line(f"(written to {target})")
