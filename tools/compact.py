"""The compact transcript format: the default page a model reads, in about as many bytes as the words themselves.

```
Speakers: MO = Marcus Oyelaran; KH = Karen Halvorsen; LO = Luis Ortega
[00:01] MO: Hi Karen, it's Marcus Oyelaran from Crestline Software. Did I catch you at a good time?
LO: Mm-hmm.
KH: Hi Marcus, yes, perfect timing.
[00:31] MO: ...
```

Each turn is one line, its speaker a short label that the page's legend names (labels are the same on every page
of a transcript). A turn's start time is shown on the page's first turn and then whenever `STAMP_EVERY_SECONDS`
have passed since the last one shown; every turn's exact start and end are in the `json`, `srt` and `vtt` formats.
Nothing is dropped: every turn's full text is on its line, and the legend gives every label's full name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

from .formatting import clock

STAMP_EVERY_SECONDS = 30.0
_UNKNOWN = re.compile(r"Unknown caller (\d+)")


class _Turn(Protocol):
    @property
    def speaker(self) -> str: ...
    @property
    def start(self) -> float: ...
    @property
    def text(self) -> str: ...


def speaker_labels(names: Iterable[str]) -> dict[str, str]:
    """A short, unique label per display name, in order: initials (`Marcus Oyelaran` → `MO`), `U1` for `Unknown
    caller 1`, and a number appended when two names share initials (`MO`, `MO2`)."""
    labels: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        if name in labels:
            continue
        unknown = _UNKNOWN.fullmatch(name)
        if unknown:
            base = f"U{unknown.group(1)}"
        else:
            base = "".join(word[0] for word in name.split()[:3] if word[0].isalnum()).upper() or "S"
        label, n = base, 2
        while label in used:
            label, n = f"{base}{n}", n + 1
        labels[name] = label
        used.add(label)
    return labels


def legend(labels: dict[str, str], present: Iterable[str]) -> str:
    """`Speakers: MO = Marcus Oyelaran; KH = Karen Halvorsen` for the names `present` on a page."""
    return "Speakers: " + "; ".join(f"{labels[name]} = {name}" for name in dict.fromkeys(present))


def lines(turns: Sequence[_Turn], labels: dict[str, str], *, timestamps: bool) -> list[str]:
    """One line per turn: `LABEL: text`, prefixed `[m:ss] ` on the first turn and every STAMP_EVERY_SECONDS."""
    out: list[str] = []
    stamped_at: float | None = None
    for turn in turns:
        if timestamps and (stamped_at is None or turn.start - stamped_at >= STAMP_EVERY_SECONDS):
            stamped_at = turn.start
            out.append(f"[{clock(turn.start)}] {labels[turn.speaker]}: {turn.text}")
        else:
            out.append(f"{labels[turn.speaker]}: {turn.text}")
    return out
