"""Per-user (or per-client) sliding-window rate limits with a penalty window (reference §6.1).

Each key (one user of one app, or one client on the token endpoint) has its own window per group. Once over
the limit the key is in a penalty: every request during it is refused and pushes the end of the penalty
out again, as the RingCentral docs describe.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

DEFAULT_RATE_LIMITS: dict[str, int] = {"Light": 50, "Medium": 40, "Heavy": 10, "Auth": 5}


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    group: str
    limit: int
    remaining: int
    window: float
    retry_after: int | None = None  # whole seconds, >= 1, only when refused

    def headers(self) -> dict[str, str]:
        """The ``X-Rate-Limit-*`` headers (plus ``Retry-After`` when refused)."""
        headers = {
            "X-Rate-Limit-Group": self.group.lower(),
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "X-Rate-Limit-Window": f"{self.window:g}",
        }
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RateLimiter:
    def __init__(
        self,
        *,
        clock: Callable[[], float],
        window: float,
        limits: Mapping[str, int] | None,
        penalty: float | None,
        enforce: bool,
    ) -> None:
        self._clock = clock
        self.window = window
        self.limits = {**DEFAULT_RATE_LIMITS, **(limits or {})}
        self.penalty = window if penalty is None else penalty
        self.enforce = enforce
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._penalty_until: dict[tuple[str, str], float] = {}

    def hit(self, key: str, group: str) -> RateDecision:
        """Count one request by ``key`` in ``group`` and say whether it may proceed."""
        now = self._clock()
        limit = self.limits[group]
        slot = (key, group)
        hits = self._hits.setdefault(slot, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()

        if self.enforce:
            in_penalty = self._penalty_until.get(slot, -math.inf) > now
            if in_penalty or len(hits) >= limit:
                until = now + self.penalty
                self._penalty_until[slot] = until
                retry_after = max(1, math.ceil(until - now))
                return RateDecision(False, group, limit, 0, self.window, retry_after)

        hits.append(now)
        return RateDecision(True, group, limit, max(0, limit - len(hits)), self.window)
