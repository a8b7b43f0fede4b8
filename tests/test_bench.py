"""The benchmark harness runs end to end in its quick form. Benchmarks are not timed tests: goals are not checked."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = (
    "Cold start, live mode",
    "Cold start, `serve --sandbox`",
    "cache hit",
    "cache miss",
    "concurrent cache-miss calls",
    "Default `get_insights_by_record` output size",
    "Compact transcript text size",
    "`render_transcript` of",
    "`render_transcript` scaling",
    "transcript page by page",
    "Light group",
    "Library ingest",
    "Library size on disk",
    "`search` p50, single words",
    "`search` p95, phrases",
    "`search` p50, filtered",
    "`next_steps` over a month",
    "`sync` of",
    "next-steps roll-up over",
    "tool definitions",
)


def test_quick_benchmarks_report_every_measure_against_a_floor(tmp_path):
    output = tmp_path / "bench-results.json"
    result = subprocess.run(  # noqa: S603 - our own interpreter running our own package
        [sys.executable, "-m", "bench", "--quick", "--quiet", "--output", str(output)],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(output.read_text())
    measures = report["measures"]
    for fragment in EXPECTED:
        assert any(fragment in m["name"] for m in measures), f"no measure named like {fragment!r}"
    assert sum("`render_transcript` of" in m["name"] for m in measures) == 6, "one render measure per format"
    for m in measures:
        for key in ("ours", "floor", "ratio", "goal"):
            assert isinstance(m[key], int | float) and math.isfinite(m[key]) and m[key] >= 0, (m["name"], key)
        assert m["floor"] > 0 and m["floor_label"], m["name"]
        assert isinstance(m["met"], bool)
    assert report["machine"]["nproc"] >= 1
    assert "| Measure" in result.stdout
