"""Test doubles for time: a clock that only moves when the code under test sleeps."""

from __future__ import annotations

import anyio.lowlevel


class FakeTime:
    """`clock()` and `await sleep(s)` in one: sleeping advances the clock at once and is recorded."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await anyio.lowlevel.checkpoint()

    def advance(self, seconds: float) -> None:
        self.now += seconds
