"""What the benchmarks run on: the sandbox's reference call, cloned under fresh ids, and synthetic transcripts."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from server.sandbox import SandboxPlatform
from server.sandbox.samples import Dataset, SampleCall, SampleRecording

REFERENCE_CALL = "sales-discovery"  # the 30-minute call the size goals are defined on
CLONES_KEY = "bench-clones"
# High enough that neither the sandbox nor the client's pacer (which adopts the sandbox's X-Rate-Limit-*
# headers) ever waits; the rate-limit benchmark is the one that enforces the real numbers.
UNLIMITED = {"Light": 1_000_000, "Medium": 1_000_000, "Heavy": 1_000_000, "Auth": 1_000_000}

JSON = dict[str, Any]


def reference_call(dataset: Dataset) -> SampleCall:
    for call in dataset.calls:
        if call.key == REFERENCE_CALL:
            return call
    raise LookupError(f"the sandbox dataset has no {REFERENCE_CALL!r} call")


def reference_record(dataset: Dataset) -> tuple[str, JSON]:
    """(record id, raw RecordingInsights wire JSON) of the reference call."""
    recording = reference_call(dataset).recordings[0]
    assert recording.insights is not None
    return recording.record_id, recording.insights


def clone_id(record_id: str, index: int) -> str:
    """A fresh record id of the same length as `record_id`, so every clone's body has the same size."""
    return "8" + str(index).zfill(len(record_id) - 1)


def with_clones(dataset: Dataset, count: int) -> tuple[Dataset, list[str]]:
    """`dataset` plus `count` copies of the reference recording under distinct ids (so each fetch is a
    cache miss of exactly the same work). Returns the dataset and the clone ids."""
    call = reference_call(dataset)
    record_id, body = reference_record(dataset)
    ids = [clone_id(record_id, i) for i in range(count)]
    recordings = [SampleRecording(record_id=i, insights={**body, "sourceRecordId": i}) for i in ids]
    clones = dataclasses.replace(call, key=CLONES_KEY, session_id=call.session_id[:-4] + "b000", recordings=recordings)
    return dataclasses.replace(dataset, calls=[*dataset.calls, clones]), ids


def bench_platform(clones: int, **options: Any) -> tuple[SandboxPlatform, list[str]]:
    """A sandbox with `clones` copies of the reference call and (unless `options` say otherwise) no rate limits."""
    dataset, ids = with_clones(SandboxPlatform(enforce_rate_limits=False).dataset, clones)
    options.setdefault("rate_limits", UNLIMITED)
    return SandboxPlatform(dataset, **options), ids


_WORDS = (
    "the we our dispatch schedule team route customer invoice week next call follow up price renewal "
    "contract trial pilot numbers driver fleet quarter budget sure okay right so and then it is that "
    "really good question about integration calendar onboarding support license seats"
).split()


def synthetic_insights(utterances: int, *, seed: int = 7) -> JSON:
    """Raw RecordingInsights JSON with `utterances` transcript lines from four speakers.

    Lines are 3–30 words; the speaker changes after a line with probability 0.55, as in a real conversation.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible sample text, not security
    speakers = [f"p-bench-{n}" for n in range(1, 5)]
    lines = []
    clock = 0.0
    speaker = speakers[0]
    for _ in range(utterances):
        if rng.random() < 0.55:
            speaker = rng.choice([s for s in speakers if s != speaker])
        words = [rng.choice(_WORDS) for _ in range(rng.randint(3, 30))]
        text = " ".join(words).capitalize() + "."
        length = 0.35 * len(words)
        lines.append({"speakerId": speaker, "text": text, "start": round(clock, 2), "end": round(clock + length, 2)})
        clock += length + rng.uniform(0.1, 1.2)
    return {
        "title": "Call from Synthetic Caller to Bench Team",
        "domain": "pbx",
        "sourceRecordId": "1000000000001",
        "sourceSessionId": "s-bench",
        "callDirection": "Inbound",
        "ownerExtensionId": "100",
        "recordingDurationMs": int(clock * 1000) + 1000,
        "recordingStartTime": "2026-01-05T15:00:00.000Z",
        "speakerInfo": [
            {"speakerId": s, "name": name, "extensionId": ext}
            for s, name, ext in zip(
                speakers, ["Ana Ruiz", "Ben Cole", None, "Dee Park"], ["100", None, None, "101"], strict=True
            )
        ],
        "insights": {"Transcript": lines},
    }
