"""One benchmark figure (ours against its floor, with a goal), medians, and the table that shows them."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0–100), linear between the closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Measure:
    """`ours / floor`, checked against `goal` (`at_most`: ratio <= goal; `at_least`: ratio >= goal).

    `floor` is None for a measure compared with itself at two sizes (then `ours` is the ratio). `extra_check`
    is a second condition the goal includes (e.g. "zero 429s"), as text plus whether it held.
    """

    name: str
    unit: str
    ours: float
    floor: float | None
    ratio: float
    goal: float
    direction: Literal["at_most", "at_least"] = "at_most"
    runs: int = 1
    floor_label: str = ""
    extra_check: tuple[str, bool] | None = None
    note: str = ""  # shown next to met/missed
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        ok = self.ratio <= self.goal if self.direction == "at_most" else self.ratio >= self.goal
        return ok and (self.extra_check is None or self.extra_check[1])

    @property
    def goal_text(self) -> str:
        text = f"{'≤' if self.direction == 'at_most' else '≥'} {self.goal:g}×"
        return f"{text}, {self.extra_check[0]}" if self.extra_check else text

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["extra_check"] = {"what": self.extra_check[0], "held": self.extra_check[1]} if self.extra_check else None
        data.update(goal_text=self.goal_text, met=self.met)
        return data


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
    if unit == "bytes":
        return f"{value:,.0f} B"
    if unit == "req/s":
        return f"{value:.2f} req/s"
    return f"{value:.3g} {unit}".strip()


def table(measures: Sequence[Measure]) -> str:
    """A Markdown table: measure, ours, floor, ratio, goal, met/missed."""
    rows = [("Measure", "Ours", "Floor", "Ratio", "Goal", "Result")]
    for m in measures:
        rows.append(
            (
                m.name,
                _number(m.ours, m.unit),
                _number(m.floor, m.unit) if m.floor is not None else "—",
                f"{m.ratio:.2f}×",
                m.goal_text,
                ("met" if m.met else "**missed**") + (f" ({m.note})" if m.note else ""),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
