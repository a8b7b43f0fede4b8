"""What the deployment tests ask the cluster: tool calls that each reach the platform, and the platforms to ask."""

from __future__ import annotations

import dataclasses
from typing import Any

from server.sandbox import SandboxPlatform
from server.sandbox.dataset import build_dataset
from server.sandbox.samples import SampleRecording

# Limits no test reaches, for tests about something other than rate limits (the sandbox advertises them in
# X-Rate-Limit-* headers and every replica's pacer adopts them).
ROOMY_LIMITS = {"Light": 1_000_000, "Medium": 1_000_000, "Heavy": 1_000_000, "Auth": 1_000_000}

Call = tuple[str, dict[str, Any]]


COPIED_CALL = "partner-call"  # a short call (7 KB of insights): the tests measure coordination, not JSON size


def cloned_platform(count: int, **options: Any) -> tuple[SandboxPlatform, list[str]]:
    """A sandbox whose dataset holds `count` more recordings under distinct ids: a fetch of each is a cache miss,
    so it reaches the platform (and the platform's token check and rate limits)."""
    dataset = build_dataset()
    call = next(call for call in dataset.calls if call.key == COPIED_CALL)
    template = call.recordings[0]
    assert template.insights is not None
    ids = ["9" + str(n).zfill(len(template.record_id) - 1) for n in range(count)]
    copies = [SampleRecording(record_id=i, insights={**template.insights, "sourceRecordId": i}) for i in ids]
    copied = dataclasses.replace(
        call, key=f"{COPIED_CALL}-copies", session_id="9" + call.session_id[1:], recordings=copies
    )
    return SandboxPlatform(dataclasses.replace(dataset, calls=[*dataset.calls, copied]), **options), ids


def insight_fetches(record_ids: list[str]) -> list[Call]:
    return [("get_insights_by_record", {"record_id": record_id}) for record_id in record_ids]


def mixed_calls(platform: SandboxPlatform, count: int, *, offset: int = 0) -> list[Call]:
    """`count` calls of the single-call tools a client uses most, over the sample calls."""
    ready = [
        call
        for call in platform.dataset.calls
        if call.domain == "pbx" and call.recordings and all(r.insights for r in call.recordings)
    ]
    calls: list[Call] = []
    for i in range(offset, offset + count):
        call = ready[i % len(ready)]
        calls.append(
            [
                ("check_permission", {}),
                ("list_recorded_calls", {"limit": 5}),
                ("get_insights_by_record", {"record_id": call.recordings[0].record_id}),
                ("get_insights_by_session", {"session_id": call.session_id}),
                ("render_transcript", {"record_id": call.recordings[0].record_id, "limit": 20}),
            ][i % 5]
        )
    return calls
