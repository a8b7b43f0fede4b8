"""Next steps across calls: one `NextStep` from a backend's row, and the steps grouped by owner or by call."""

from __future__ import annotations

from datetime import date

from .errors import LibraryQueryError
from .filters import SIDES
from .store import CallRef, Coverage, NextStep, NextStepGroup, NextStepsQuery, NextStepsResult

__all__ = ["group_next_steps", "next_step"]


def next_step(
    call: CallRef,
    text: str,
    speaker: str | None,
    side: str | None,
    start: float | None,
    evidence: str | None,
    evidence_speaker: str | None,
    due: str | None,
    due_date: date | None,
) -> NextStep:
    return NextStep(
        call=call,
        text=text,
        speaker=speaker,
        speaker_side=side if side in SIDES else None,  # type: ignore[arg-type]  # checked just here
        start_seconds=start,
        evidence=evidence,
        evidence_speaker=evidence_speaker,
        due=due,
        due_date=due_date,
    )


def group_next_steps(query: NextStepsQuery, steps: list[NextStep], coverage: Coverage) -> NextStepsResult:
    if query.group_by not in ("owner", "call"):
        raise LibraryQueryError("group_by must be owner or call.")
    if query.limit is not None and query.limit < 1:
        raise LibraryQueryError("limit must be at least 1.")
    total = len(steps)
    kept = steps if query.limit is None else steps[: query.limit]
    groups: dict[str, list[NextStep]] = {}
    labels: dict[str, str] = {}
    for step in kept:
        if query.group_by == "owner":
            key = step.call.owner_extension_id or "unknown"
            label = step.call.owner_name or (f"extension {key}" if key != "unknown" else "unknown owner")
        else:
            key, label = step.call.record_id, step.call.title
        groups.setdefault(key, []).append(step)
        labels.setdefault(key, label)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), labels[item[0]].lower()))
    if query.group_by == "call":
        ordered = list(groups.items())  # already in call order
    return NextStepsResult(
        groups=tuple(NextStepGroup(key, labels[key], tuple(items)) for key, items in ordered),
        total=total,
        truncated=len(kept) < total,
        coverage=coverage,
    )
