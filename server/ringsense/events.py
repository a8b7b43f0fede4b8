"""What the event subscriber yields: RingSense insights events, and gaps when some may have been missed.

```python
async for item in subscriber:
    if isinstance(item, Gap):
        await catch_up_from_call_log(item.since, item.until)   # events in this window may be lost
    else:
        upsert(item.insights)                                  # item: InsightsEvent
```

Events for one recording can come more than once with different contents (pbx sends an AI Notes event, then a
RingSense one with a later ``lastModifiedTime``): consumers upsert by ``source_record_id``. Exact repeats
(same ``sourceRecordId`` and ``lastModifiedTime``, e.g. replayed after a recovery) are dropped before they get
here.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from .models import RecordingInsights
from .wire import WireModel

__all__ = ["EventItem", "Gap", "InsightsEvent", "RecentKeys"]

_EVENT_PATH = re.compile(r"/accounts/(?P<account>[^/]+)/domains/(?P<domain>[^/]+)/insights")


class InsightsEvent(WireModel):
    """One push notification for RingSense insights: the envelope, with the insights parsed tolerantly."""

    uuid: str | None = Field(None, description="The notification's id.")
    event: str = Field(description="The event filter it matched, with the concrete account id.")
    timestamp: datetime | None = Field(None, description="When the platform sent it.")
    subscription_id: str | None = None
    owner_id: str | None = Field(None, description="The extension that owns the subscription.")
    body: RecordingInsights = Field(description="The insights of one recording (the `RecordingInsights` shape).")

    @field_validator("uuid", "owner_id", mode="before")
    @classmethod
    def _ids_as_strings(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @property
    def insights(self) -> RecordingInsights:
        return self.body

    @property
    def domain(self) -> str:
        """The domain the event filter names (pbx, rcv, rcx, nice-incontact, ms-teams), else the body's."""
        match = _EVENT_PATH.search(self.event)
        return match["domain"] if match else self.body.domain

    @property
    def account_id(self) -> str | None:
        match = _EVENT_PATH.search(self.event)
        return match["account"] if match else None

    @property
    def event_type(self) -> str | None:
        """``eventType`` when the body has one (the rcx sample sends "Create"); kept as sent."""
        value = (self.body.model_extra or {}).get("eventType")
        return value if isinstance(value, str) else None

    @property
    def key(self) -> tuple[str, str | None]:
        """``(sourceRecordId, lastModifiedTime)``: two events with the same key are the same event."""
        modified = self.body.last_modified_time
        return self.body.source_record_id, modified.isoformat() if modified else None


@dataclass(frozen=True)
class Gap:
    """Events between ``since`` and ``until`` (UTC) may have been missed: catch up from the call log.

    Yielded after a reconnect whose session could not be recovered (the gateway's buffer is gone), once the
    new subscription is active. ``since`` is when the previous connection was last known good.
    """

    since: datetime
    until: datetime
    reason: str  # e.g. "session recovery failed (WSG-1001)"


EventItem = InsightsEvent | Gap


class RecentKeys:
    """The keys of the last ``size`` events, to drop exact repeats."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._keys: OrderedDict[tuple[str, str | None], None] = OrderedDict()

    def seen(self, key: tuple[str, str | None]) -> bool:
        """True if ``key`` was seen before; remembers it either way."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return True
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return False
