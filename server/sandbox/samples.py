"""Types of the sandbox's sample data.

The dataset is raw wire JSON (exactly what RingCentral would send), not the client's pydantic models, so
that tests of the client really test its parsing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class SandboxUser:
    """A user of the sandbox account; each one logs in with its own JWT."""

    extension_id: str
    name: str
    extension_number: str
    jwt: str
    can_read_insights: bool = True  # holds ReadRingSenseInsights
    can_read_company_call_log: bool = True  # holds FullCompanyCallLog (account-level call log)
    can_read_company_recordings: bool = True  # holds ReadCompanyCallRecording (needed by RingSense event filters)


@dataclass(frozen=True)
class SampleRecording:
    """One recording (one leg) of a call."""

    record_id: str  # call-log `recording.id` == RingSense `sourceRecordId`
    insights: JSON | None  # a RecordingInsights body; None: insights not ready (404 RAH-3001)


@dataclass(frozen=True)
class SampleCall:
    key: str  # stable slug, e.g. "sales-discovery"
    session_id: str  # call-log `telephonySessionId` == RingSense `sourceSessionId`
    domain: str  # "pbx" unless said otherwise
    owner_extension_id: str
    call_log: JSON  # the call-log record in the Detailed view (with `legs`); None-free wire JSON
    recordings: list[SampleRecording] = field(default_factory=list)


@dataclass(frozen=True)
class Dataset:
    account_id: str
    users: list[SandboxUser]
    calls: list[SampleCall]  # recorded and unrecorded calls, oldest first

    def find_record(self, domain: str, record_id: str) -> tuple[SampleCall, SampleRecording] | None:
        for call in self.calls:
            if call.domain != domain:
                continue
            for rec in call.recordings:
                if rec.record_id == record_id:
                    return call, rec
        return None

    def find_session(self, domain: str, session_id: str) -> SampleCall | None:
        for call in self.calls:
            if call.domain == domain and call.session_id == session_id and call.recordings:
                return call
        return None
