"""Cold start: process spawn → `initialize` response over stdio, ours against a minimal `MCPServer`."""

from __future__ import annotations

from collections.abc import Callable

from bench.results import Measure, median
from bench.rpc import child_env, module_command, time_to_initialize

# Live mode with credentials that are never used: stdio start-up touches no network before the first call,
# so this is exactly what Claude Desktop waits for.
DUMMY_CREDENTIALS = {
    "RC_APP_CLIENT_ID": "bench-client-id",
    "RC_APP_CLIENT_SECRET": "bench-client-secret",
    "RC_USER_JWT": "bench.user.jwt",
}
VARIANTS = {
    "floor": (module_command("bench.floor_server"), child_env()),
    "sandbox": (module_command("server", "serve", "--sandbox"), child_env()),
    "live": (module_command("server", "serve"), child_env(DUMMY_CREDENTIALS)),
}
GOAL = 1.10


def measure_cold_start(rounds: int, progress: Callable[[str], None]) -> list[Measure]:
    """`rounds` spawns of each variant, in a rotating order so that drift is shared; medians."""
    names = list(VARIANTS)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # one unmeasured spawn each: the first one pays for a cold disk cache
        time_to_initialize(*VARIANTS[name])
    for i in range(rounds):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            samples[name].append(time_to_initialize(*VARIANTS[name]) * 1000)
        progress(f"cold start {i + 1}/{rounds}")
    floor = median(samples["floor"])
    measures = []
    for name, label in (
        ("live", "Cold start, live mode (the Claude Desktop path)"),
        ("sandbox", "Cold start, `serve --sandbox`"),
    ):
        ours = median(samples[name])
        measures.append(
            Measure(
                name=label,
                unit="ms",
                ours=ours,
                floor=floor,
                ratio=ours / floor,
                goal=GOAL,
                runs=rounds,
                floor_label="minimal MCPServer with one tool (bench/floor_server.py)",
                detail={"ours_ms": sorted(samples[name]), "floor_ms": sorted(samples["floor"])},
            )
        )
    return measures
