"""Garbage-collector settings for the server process: collections that walk only what calls create.

Start-up leaves about 90,000 objects the collector tracks (the SDK's and our pydantic models and their schemas, the
tool definitions) that live as long as the process. Python's full collections walk all of them: measured in the
stdio server, a full collection came every ~200 cache misses and took 60–95 ms, and with the young generations it
averaged 0.5–0.8 ms of CPU a miss. Freezing the start-up objects keeps collections off them, and a larger first
threshold lets the many short-lived containers a parse makes (a JSON body is a dict per transcript line, freed by
reference counting) go before a collection is due; together they cut the mean collector time per miss to about a
third. Cycles the server makes are still collected.
"""

from __future__ import annotations

import gc

__all__ = ["YOUNG_THRESHOLD", "settle_after_start"]

# Allocations (of tracked objects, net of those freed) between young collections; CPython's default is 700, which a
# single insights parse passes. Objects are mostly freed by reference counting, so this bounds only cyclic garbage.
YOUNG_THRESHOLD = 10_000


def settle_after_start() -> None:
    """Call once the server is built, just before it serves: freezes what start-up made and sets the thresholds.

    For the process that serves (the CLI, and benchmarks that stand in for it), not for a library user's process:
    frozen objects are never collected, which is right for start-up state and wrong for, say, a test session.
    """
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
