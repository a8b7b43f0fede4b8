"""What an `EventSubscriber` reports and how it paces reconnects: `SubscriberState`, `SubscriberStatus`, `Backoff`.

Plain values with no I/O, so the shared (Redis) subscription and the MCP status resources can hold and
compare them without touching a connection. `server.ringsense.subscriber` re-exports all three.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["ALL_DOMAINS", "Backoff", "SubscriberState", "SubscriberStatus"]

ALL_DOMAINS = ("pbx", "rcv", "rcx", "nice-incontact", "ms-teams")


@dataclass(frozen=True)
class Backoff:
    """Reconnect delays: ``base * 2**attempt`` capped at ``cap``, jittered to between half and all of it."""

    base: float = 1.0
    cap: float = 60.0

    def delay(self, attempt: int, rng: Callable[[], float]) -> float:
        ceiling = min(self.cap, self.base * 2.0 ** min(attempt, 30))
        return float(ceiling * (0.5 + 0.5 * rng()))


class SubscriberState(StrEnum):
    CONNECTING = "connecting"
    SUBSCRIBED = "subscribed"
    RECONNECTING = "reconnecting"
    REFUSED = "refused"  # the platform refused (permission, scope, filters); retried every REFUSED_RETRY_DELAY
    CLOSED = "closed"


@dataclass(frozen=True)
class SubscriberStatus:
    """What the subscriber has been through; JSON-friendly, never holds a secret."""

    state: SubscriberState = SubscriberState.CONNECTING
    connections: int = 0  # connections that got ConnectionDetails
    recoveries: int = 0  # reconnects whose session was recovered
    gaps: int = 0  # reconnects after which events may have been missed
    events: int = 0  # events handed to the consumer
    duplicates: int = 0  # exact repeats dropped
    malformed: int = 0  # messages or event bodies that could not be parsed (skipped)
    heartbeats_answered: int = 0
    last_error: str | None = None
    domains: tuple[str, ...] = field(default=ALL_DOMAINS)
