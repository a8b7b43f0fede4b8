"""The serving process's garbage-collector settings (server/heap.py), checked in a process of their own: they are
process-wide, and a test session must keep collecting what it freezes."""

from __future__ import annotations

import json
import subprocess
import sys

from server.heap import YOUNG_THRESHOLD

PROBE = """
import gc, json
from server.app import build_server
from server.config import load_settings
from server.heap import settle_after_start

server = build_server(load_settings(sandbox=True), log_level="WARNING")
before = {"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold()}
settle_after_start()
cycle = []
cycle.append(cycle)  # garbage made after start-up, reachable only from itself
del cycle
after = {"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold(), "collected": gc.collect()}
print(json.dumps({"before": before, "after": after}))
"""


def test_settling_freezes_start_up_objects_raises_the_young_threshold_and_still_collects_later_cycles() -> None:
    probe = [sys.executable, "-c", PROBE]
    done = subprocess.run(probe, capture_output=True, text=True, timeout=60, check=True)  # noqa: S603 - our own code
    seen = json.loads(done.stdout)
    assert seen["before"]["frozen"] == 0
    # Start-up's objects (models, schemas, tool definitions) are frozen: tens of thousands of them.
    assert seen["after"]["frozen"] > 20_000
    assert seen["after"]["threshold"][0] == YOUNG_THRESHOLD
    assert seen["after"]["threshold"][1:] == seen["before"]["threshold"][1:]
    assert seen["after"]["collected"] >= 1  # the cycle made after settling was collected
