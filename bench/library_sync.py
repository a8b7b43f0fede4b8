"""`sync` against a sandbox enforcing the Light group (window scaled down), with many distinct recordings.

The sandbox's call log is grown by cloning its one-recording phone calls under new ids, so every insights request
is for a different recording, as in a real backfill.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.rate import light_client, light_rate_measure, light_traffic
from bench.results import Measure
from server.library import open_store
from server.library.sync import SyncProgress, sync_range
from server.sandbox import SandboxPlatform, serve_sandbox
from server.sandbox.dataset import build_dataset
from server.sandbox.samples import Dataset, SampleCall, SampleRecording


@dataclass(frozen=True)
class SyncConfig:
    recordings: int  # 200
    limit: int  # Light group limit (50)
    window: float  # seconds (RingCentral's is 60)


def _grown(count: int, now: datetime) -> Dataset:
    base = build_dataset(now)
    templates = [
        call for call in base.calls
        if call.call_log and len(call.recordings) == 1 and call.recordings[0].insights is not None
    ]  # fmt: skip
    calls: list[SampleCall] = []
    for index in range(count):
        template = templates[index % len(templates)]
        old_record, old_session = template.recordings[0].record_id, template.session_id
        record_id, session_id = f"{5_000_000_000_000 + index}", f"s-bench{index:030d}"
        text = json.dumps({"log": template.call_log, "insights": template.recordings[0].insights})
        text = text.replace(old_record, record_id).replace(old_session, session_id)
        text = text.replace(f'"id": "{template.call_log["id"]}"', f'"id": "BENCH{index:09d}"')
        cloned = json.loads(text)
        calls.append(
            replace(
                template,
                key=f"bench-{index}",
                session_id=session_id,
                call_log=cloned["log"],
                recordings=[SampleRecording(record_id, cloned["insights"])],
            )
        )
    return Dataset(account_id=base.account_id, users=base.users, calls=calls)


async def measure_sync(config: SyncConfig, progress: Callable[[str], None]) -> list[Measure]:
    now = datetime.now(UTC)
    platform = SandboxPlatform(
        _grown(config.recordings, now), rate_limit_window=config.window, rate_limits={"Light": config.limit}
    )
    user = platform.dataset.users[0]
    phase_started: list[float] = []

    def on_progress(update: SyncProgress) -> None:
        if update.phase == "call log" and update.done == update.total:
            phase_started.append(time.perf_counter())  # the insights phase starts now

    with tempfile.TemporaryDirectory(prefix="ringsense-bench-sync-") as tmp:
        store = await open_store(Path(tmp) / "library.sqlite3")
        async with serve_sandbox(platform) as base_url:
            async with light_client(base_url, user.jwt, config.limit, config.window) as client:
                summary = await sync_range(store, client, now - timedelta(days=31), now, progress=on_progress)
                elapsed = time.perf_counter() - phase_started[0]
        await store.aclose()
    progress("library: sync rate")
    traffic = light_traffic(platform, config.recordings, config.limit, config.window, elapsed)
    return [
        light_rate_measure(
            f"`sync` of {config.recordings} recordings, Light group at {config.limit} per {config.window:g} s",
            traffic,
            extra_check=(
                "zero 429s, all indexed",
                traffic.refused == 0 and summary.indexed == config.recordings,
            ),
            note=f"{traffic.refused} × 429, {summary.indexed} indexed",
            detail={
                "elapsed_seconds": round(elapsed, 2),
                "requests": traffic.requests,
                "status_429": traffic.refused,
            },
        )
    ]
