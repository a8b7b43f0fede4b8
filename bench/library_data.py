"""A synthetic call library for the benchmarks: many calls built from the sandbox's sample calls.

Each call takes the shape of a sample recording (speakers, sections, owner) and a transcript of lines drawn from
every sample conversation, with a few words from a generated vocabulary of customer and product names mixed in,
so that words have the spread of frequencies real calls have (a few very common, most rare). Deterministic for a
given seed.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from server.sandbox.dataset import build_dataset

__all__ = ["SyntheticLibrary", "synthetic_calls"]

FIXED_NOW = datetime(2026, 6, 1, tzinfo=UTC)
_SYLLABLES = ("ka", "lo", "mi", "ren", "tor", "vex", "zu", "pa", "quin", "dra", "sel", "mo", "ri", "ban", "tek", "ol")


@dataclass(frozen=True)
class SyntheticLibrary:
    """Raw RecordingInsights JSON (bytes, as fetched) and what went into it."""

    calls: list[bytes]
    utterances: int
    transcript_chars: int
    rare_words: list[str]  # words that occur in few calls (selective searches)
    days: int


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def synthetic_calls(count: int, utterances_per_call: int = 300, *, days: int = 365, seed: int = 7) -> SyntheticLibrary:
    """`count` calls of about `utterances_per_call` lines each, spread over the `days` before FIXED_NOW."""
    rng = random.Random(seed)  # noqa: S311 - seeded on purpose: the same library in every run
    dataset = build_dataset(FIXED_NOW)
    templates = [rec.insights for call in dataset.calls for rec in call.recordings if rec.insights]
    lines = [unit["text"] for body in templates for unit in body["insights"].get("Transcript", []) if unit.get("text")]
    vocabulary = _vocabulary(rng, 5_000)
    calls: list[bytes] = []
    total_utterances = 0
    total_chars = 0
    for index in range(count):
        template = templates[index % len(templates)]
        body: dict[str, Any] = copy.deepcopy({k: v for k, v in template.items() if k != "insights"})
        insights = {k: copy.deepcopy(v) for k, v in template["insights"].items() if k != "Transcript"}
        speakers = [s["speakerId"] for s in body["speakerInfo"]] or ["p-1", "p-2"]
        started = FIXED_NOW - timedelta(seconds=rng.uniform(60, days * 86400))
        transcript = []
        clock = 1.5
        n = max(1, int(rng.gauss(utterances_per_call, utterances_per_call / 5)))
        for _ in range(n):
            text = rng.choice(lines)
            if rng.random() < 0.15:  # a customer, product or place name said in passing
                text = f"{text} {vocabulary[int(rng.paretovariate(1.2)) % len(vocabulary)].capitalize()}."
            duration = max(0.6, len(text) / 15)
            transcript.append({"speakerId": rng.choice(speakers), "text": text, "start": round(clock, 2),
                               "end": round(clock + duration, 2)})  # fmt: skip
            clock += duration + rng.uniform(0.2, 0.8)
            total_chars += len(text)
        total_utterances += n
        insights["Transcript"] = transcript
        record_id = str(3_000_000_000_000 + index)
        body.update(
            sourceRecordId=record_id,
            sourceSessionId=f"s-bench{index:012d}",
            recordingStartTime=started.isoformat().replace("+00:00", "Z"),
            creationTime=(started + timedelta(minutes=30)).isoformat().replace("+00:00", "Z"),
            lastModifiedTime=(started + timedelta(minutes=31)).isoformat().replace("+00:00", "Z"),
            recordingDurationMs=int(clock * 1000),
            insights=insights,
        )
        calls.append(json.dumps(body).encode())
    rare = [word for word in vocabulary[40:400:36]]
    return SyntheticLibrary(calls, total_utterances, total_chars, rare, days)


def iter_chunks(items: list[bytes], size: int) -> Iterator[list[bytes]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
