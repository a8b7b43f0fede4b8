"""The deployment tests' report: measurements printed at the end of the run.

`RINGSENSE_DEPLOY_REPORT=path.md uv run pytest -m deploy` also writes them to a file (docs/deploy.md quotes them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .report import REPORT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    text = REPORT.render()
    if not text:
        return
    terminalreporter.section("deployment report")
    terminalreporter.write_line(text)
    if target := os.environ.get("RINGSENSE_DEPLOY_REPORT"):
        Path(target).write_text(text + "\n", encoding="utf-8")
        terminalreporter.write_line(f"(written to {target})")
