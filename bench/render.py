"""`render_transcript`'s own work (turns, paging, formatting) against `json.dumps` of the same utterances."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import get_args

from bench.data import synthetic_insights
from bench.results import Measure, median
from server.ringsense.models import RecordingInsights
from tools.models import TranscriptFormat
from tools.transcript import Leg, PageRequest, build_turns, render_page

FORMATS: tuple[TranscriptFormat, ...] = get_args(TranscriptFormat)


@dataclass(frozen=True)
class RenderConfig:
    size: int  # utterances for the per-format comparison (4,000)
    small: int  # scaling: small and large transcript (1,000 and 16,000)
    large: int
    repeats: int


def render_every_page(record: RecordingInsights, style: TranscriptFormat) -> int:
    """Everything `render_transcript` does after the fetch, for every page in turn; returns the pages."""
    legs = [Leg(record)]
    turns = build_turns(legs)
    offset: int | None = 0
    pages = 0
    while offset is not None:
        page = render_page(turns, legs, PageRequest(format=style, offset=offset), record_id=record.source_record_id)
        page.model_dump_json()  # what the SDK does with the returned model
        offset = page.next_offset
        pages += 1
    return pages


def _seconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _timings(raw: dict, style: TranscriptFormat, repeats: int) -> tuple[float, float]:
    """Median seconds of (rendering every page, json.dumps of the utterances), interleaved."""
    record = RecordingInsights.model_validate(raw)
    utterances = raw["insights"]["Transcript"]
    ours: list[float] = []
    floor: list[float] = []
    render_every_page(record, style)  # warm
    for _ in range(repeats):
        ours.append(_seconds(lambda: render_every_page(record, style)))
        floor.append(_seconds(lambda: json.dumps(utterances)))
    return median(ours), median(floor)


def measure_render(config: RenderConfig, progress: Callable[[str], None]) -> list[Measure]:
    measures = []
    raw = synthetic_insights(config.size)
    for style in FORMATS:
        ours, floor = _timings(raw, style, config.repeats)
        measures.append(
            Measure(
                name=f"`render_transcript` of {config.size:,} utterances, {style}",
                unit="ms",
                ours=ours * 1000,
                floor=floor * 1000,
                ratio=ours / floor,
                goal=3.0,
                runs=config.repeats,
                floor_label="json.dumps of the same utterances",
            )
        )
        progress(f"render {style}")
    small_raw, large_raw = synthetic_insights(config.small), synthetic_insights(config.large)
    small_record = RecordingInsights.model_validate(small_raw)
    large_record = RecordingInsights.model_validate(large_raw)
    for style in FORMATS:
        small: list[float] = []
        large: list[float] = []
        render_every_page(small_record, style)
        for _ in range(config.repeats):
            small.append(_seconds(lambda: render_every_page(small_record, style)))  # noqa: B023
            large.append(_seconds(lambda: render_every_page(large_record, style)))  # noqa: B023
        growth = median(large) / median(small)
        measures.append(
            Measure(
                name=f"`render_transcript` scaling, {config.large:,} vs {config.small:,} utterances, {style}",
                unit="ms",
                ours=median(large) * 1000,
                floor=median(small) * 1000,
                ratio=growth,
                goal=config.large / config.small * 1.25,
                runs=config.repeats,
                floor_label=f"the same at {config.small:,} utterances (linear = {config.large // config.small}×)",
            )
        )
        progress(f"render scaling {style}")
    return measures
