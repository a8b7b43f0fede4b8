"""`python -m bench [--quick] [--output PATH] [--only NAME ...]`: run the benchmarks, print the table, write JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from bench.cold import measure_cold_start
from bench.library import LibraryConfig, measure_library
from bench.library_sync import SyncConfig, measure_sync
from bench.library_tools import ToolsConfig, measure_tools
from bench.rate import RateConfig, measure_rate
from bench.render import RenderConfig, measure_render
from bench.results import Measure, table
from bench.stdio_calls import StdioConfig, measure_over_stdio

DEFAULT_OUTPUT = "bench-results.json"
GROUPS = ("cold", "stdio", "render", "rate", "library", "tools")
LIBRARY_BACKENDS = ("sqlite", "postgres")


@dataclass(frozen=True)
class Config:
    cold_rounds: int
    stdio: StdioConfig
    render: RenderConfig
    rate: RateConfig
    library: LibraryConfig
    sync: SyncConfig
    tools: ToolsConfig


FULL = Config(
    cold_rounds=15,
    stdio=StdioConfig(rounds=200, concurrency_rounds=6),
    render=RenderConfig(size=4_000, small=1_000, large=16_000, repeats=9, paging_small=4_000, paging_large=64_000),
    # 60 s scaled to 6 s: short enough to run in half a minute, long enough that a response time of tens of
    # milliseconds (which the pacer adds to each slot, to stay safe) is not inflated out of proportion.
    rate=RateConfig(recordings=200, limit=50, window=6.0),
    # Issue 9's size: 10,000 calls, about 3 million utterances.
    library=LibraryConfig(calls=10_000, utterances_per_call=300, repeats=5),
    sync=SyncConfig(recordings=200, limit=50, window=6.0),
    # Issue 9's roll-up: a month of 500 calls.
    tools=ToolsConfig(calls=500),
)
# Same shapes, small sizes: every measure, in well under a minute.
QUICK = Config(
    cold_rounds=1,
    stdio=StdioConfig(rounds=12, concurrency_rounds=2),
    render=RenderConfig(size=500, small=125, large=2_000, repeats=2, paging_small=500, paging_large=8_000),
    rate=RateConfig(recordings=40, limit=10, window=0.5),
    library=LibraryConfig(calls=100, utterances_per_call=40, repeats=1),
    sync=SyncConfig(recordings=20, limit=8, window=0.5),
    tools=ToolsConfig(calls=40),
)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), None
        )
        meminfo = Path("/proc/meminfo").read_text().split()
        info["memory_gib"] = round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2, 1)
    except (OSError, ValueError, StopIteration):
        pass
    return info


def run(
    config: Config,
    groups: Sequence[str],
    progress: Callable[[str], None],
    backends: Sequence[str] = ("sqlite",),
    cold_baseline: Path | None = None,
) -> list[Measure]:
    measures: list[Measure] = []
    if "cold" in groups:
        measures += measure_cold_start(config.cold_rounds, progress, cold_baseline)
    if "stdio" in groups:
        measures += anyio.run(measure_over_stdio, config.stdio, progress)
    if "render" in groups:
        measures += measure_render(config.render, progress)
    if "rate" in groups:
        measures += anyio.run(measure_rate, config.rate, progress)
    if "library" in groups:
        for backend in backends:
            measures += anyio.run(measure_library, config.library, progress, backend)
        measures += anyio.run(measure_sync, config.sync, progress)
    if "tools" in groups:
        measures += anyio.run(measure_tools, config.tools, progress)
    return measures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few repetitions, small sizes (well under a minute)")
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help=f"JSON results (default {DEFAULT_OUTPUT})")
    parser.add_argument("--only", action="append", choices=GROUPS, help="run only these groups (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument(
        "--backend",
        action="append",
        choices=LIBRARY_BACKENDS,
        help="library backends to measure (repeatable; default sqlite). postgres starts a throwaway server: "
        "it needs PostgreSQL's server binaries (apt-get install postgresql)",
    )
    parser.add_argument(
        "--cold-baseline",
        type=Path,
        metavar="DIR",
        help="cold start: also time the server of another checkout in the same rounds (before/after side by side; "
        "e.g. `git archive main | tar -x -C DIR`)",
    )
    args = parser.parse_args(argv)
    if args.cold_baseline is not None and not (args.cold_baseline / "server" / "__main__.py").is_file():
        parser.error(f"--cold-baseline {args.cold_baseline}: not a checkout of this repository (no server/__main__.py)")
    config = QUICK if args.quick else FULL

    def progress(step: str) -> None:
        if not args.quiet:
            print(f"  … {step}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    measures = run(config, args.only or GROUPS, progress, args.backend or ("sqlite",), args.cold_baseline)
    seconds = time.perf_counter() - started
    report = {
        "quick": args.quick,
        "machine": machine(),
        "seconds": round(seconds, 1),
        "measures": [m.as_dict() for m in measures],
    }
    Path(args.output).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(table(measures))
    missed = sum(not m.met for m in measures)
    print(f"\n{len(measures) - missed}/{len(measures)} goals met in {seconds:.0f} s; results in {args.output}")
    return 0
