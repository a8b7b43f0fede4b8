"""`render_transcript`'s own work (turns, paging, formatting) against `json.dumps` of the same utterances."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import get_args

from bench.data import synthetic_insights
from bench.results import Measure, median
from server.mcp_tools import tool_result
from server.ringsense.models import RecordingInsights
from tools.models import TranscriptFormat, TranscriptPage
from tools.transcript import PageRequest, render_page
from tools.turns import Leg, build_turns, turns_of

FORMATS: tuple[TranscriptFormat, ...] = get_args(TranscriptFormat)


@dataclass(frozen=True)
class RenderConfig:
    size: int  # utterances for the per-format comparison (4,000)
    small: int  # scaling: small and large transcript (1,000 and 16,000)
    large: int
    repeats: int
    paging_small: int  # reading page by page: 4,000 against 64,000 utterances
    paging_large: int


def render_every_page(record: RecordingInsights, style: TranscriptFormat) -> int:
    """Everything `render_transcript` does after the fetch, for every page in turn; returns the pages."""
    legs = [Leg(record)]
    turns = build_turns(legs)
    offset: int | None = 0
    pages = 0
    while offset is not None:
        page = render_page(turns, legs, PageRequest(format=style, offset=offset), record_id=record.source_record_id)
        serialise(page)
        offset = page.next_offset
        pages += 1
    return pages


def serialise(page: TranscriptPage) -> None:
    """What the server does with a returned page: the tool result (text and structured content), which the SDK
    then checks against the output schema."""
    result = tool_result(page)
    TranscriptPage.model_validate(result.structured_content)


def read_page_by_page(record: RecordingInsights) -> int:
    """What a model reading a whole transcript causes: one render_transcript call per page (default format),
    each finding the response's turns and rendering one page. Returns the pages."""
    offset: int | None = 0
    pages = 0
    while offset is not None:
        legs = [Leg(record)]
        page = render_page(turns_of(record, legs), legs, PageRequest(offset=offset), record_id=record.source_record_id)
        serialise(page)
        offset = page.next_offset
        pages += 1
    return pages


def _seconds(action: Callable[[], object]) -> float:
    """CPU seconds of this process: rendering is CPU work done in-process, and CPU time (unlike the wall clock)
    does not count the time other processes on a shared machine hold the cores."""
    start = time.process_time()
    action()
    return time.process_time() - start


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
    measures.append(_paging(config, progress))
    return measures


def _paging(config: RenderConfig, progress: Callable[[str], None]) -> Measure:
    """Reading every page of a long transcript, one call per page, against the same at a sixteenth of the size:
    linear is 16×; rebuilding every turn for every page would be 256×."""
    raws = {size: synthetic_insights(size) for size in (config.paging_small, config.paging_large)}
    samples: dict[int, list[float]] = {size: [] for size in raws}
    pages: dict[int, int] = {}
    for _ in range(config.repeats):
        for size, raw in raws.items():
            record = RecordingInsights.model_validate(raw)  # a fresh response: its turns are not built yet
            samples[size].append(
                _seconds(lambda record=record, size=size: pages.__setitem__(size, read_page_by_page(record)))
            )
    progress("paging")
    small, large = median(samples[config.paging_small]), median(samples[config.paging_large])
    growth = config.paging_large / config.paging_small
    return Measure(
        name=f"Reading a {config.paging_large:,}-utterance transcript page by page vs {config.paging_small:,}",
        unit="ms",
        ours=large * 1000,
        floor=small * 1000,
        ratio=large / small,
        goal=growth * 1.25,
        runs=config.repeats,
        floor_label=f"the same at {config.paging_small:,} utterances (linear = {growth:g}×)",
        detail={"pages": pages, "ms_per_page_large": large * 1000 / pages[config.paging_large]},
    )
