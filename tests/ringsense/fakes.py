"""Test doubles for time: a clock that only moves when the code under test sleeps."""

from __future__ import annotations

import anyio
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


class VirtualTime:
    """A clock and a `sleep` that waits for the test to move the clock: `advance(s)` wakes due sleepers.

    For code that runs concurrently with the test (a subscriber's heartbeats and reconnects): nothing waits in
    real time, and the test decides when "60 seconds later" is.
    """

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self._moved = anyio.Event()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        deadline = self.now + seconds
        await anyio.lowlevel.checkpoint()
        while self.now < deadline:
            moved = self._moved
            await moved.wait()

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self._moved.set()
        self._moved = anyio.Event()
