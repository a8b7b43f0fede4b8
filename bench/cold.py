"""Cold start: process spawn → `initialize` and `tools/list` answered over stdio, ours against a minimal `MCPServer`.

Wall time is what a user waits for; on a shared machine it also counts the time other processes hold the cores,
so each measure also reports the CPU time the child had used when it answered `tools/list`, which load moves
far less. `baseline` (another checkout of this repository, e.g. `main` exported to a directory) runs that tree's
server in the same rounds, so a before/after comparison shares the machine's drift.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench.results import Measure, median
from bench.rpc import ROOT, child_env, module_command, time_to_tools

# Live mode with credentials that are never used: stdio start-up touches no network before the first call,
# so this is exactly what Claude Desktop waits for.
DUMMY_CREDENTIALS = {
    "RC_APP_CLIENT_ID": "bench-client-id",
    "RC_APP_CLIENT_SECRET": "bench-client-secret",
    "RC_USER_JWT": "bench.user.jwt",
}
GOAL = 1.10
LABELS = {
    "live": "Cold start, live mode (the Claude Desktop path)",
    "sandbox": "Cold start, `serve --sandbox`",
}
Variant = tuple[list[str], dict[str, str], Path]


def _variants(baseline: Path | None) -> dict[str, Variant]:
    variants: dict[str, Variant] = {"floor": (module_command("bench.floor_server"), child_env(), ROOT)}
    for where, tag in ((ROOT, ""), (baseline, " baseline")):
        if where is None:
            continue
        variants[f"live{tag}"] = (module_command("server", "serve"), child_env(DUMMY_CREDENTIALS), where)
        variants[f"sandbox{tag}"] = (module_command("server", "serve", "--sandbox"), child_env(), where)
    return variants


def measure_cold_start(rounds: int, progress: Callable[[str], None], baseline: Path | None = None) -> list[Measure]:
    """`rounds` spawns of each variant, in a rotating order so that drift is shared; medians."""
    variants = _variants(baseline)
    names = list(variants)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # one unmeasured spawn each: the first one pays for a cold disk cache (and writes .pyc)
        time_to_tools(*variants[name])
    for i in range(rounds):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            sample = time_to_tools(*variants[name])
            wall[name].append(sample.wall * 1000)
            if sample.cpu is not None:
                cpu[name].append(sample.cpu * 1000)
        progress(f"cold start {i + 1}/{rounds}")
    floor = median(wall["floor"])
    floor_cpu = median(cpu["floor"]) if cpu["floor"] else None
    measures = []
    for name in names[1:]:
        kind, _, tag = name.partition(" ")
        ours = median(wall[name])
        ours_cpu = median(cpu[name]) if cpu[name] else None
        cpu_ratio = ours_cpu / floor_cpu if ours_cpu is not None and floor_cpu else None
        measures.append(
            Measure(
                name=LABELS[kind] + (f" ({tag}: {baseline})" if tag else ""),
                unit="ms",
                ours=ours,
                floor=floor,
                ratio=ours / floor,
                goal=GOAL,
                runs=rounds,
                floor_label="minimal MCPServer with one tool (bench/floor_server.py)",
                note=f"CPU {cpu_ratio:.2f}×" if cpu_ratio is not None else "",
                detail={
                    "ours_ms": sorted(wall[name]),
                    "floor_ms": sorted(wall["floor"]),
                    "ours_cpu_ms": sorted(cpu[name]),
                    "floor_cpu_ms": sorted(cpu["floor"]),
                    "cpu_ratio": cpu_ratio,
                },
            )
        )
    return measures
