"""Quoted snippets for a search hit, built from the stored call rather than from the index.

The full-text index keeps no copy of the text (see docs/library.md), so SQLite's `snippet()` cannot run on it;
instead the few calls of one result page are decompressed and their lines matched here, with the same word rules
as the index (`query.words` and `query.fold`). Backend-neutral: PostgreSQL can use the same builder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .query import Atom, ParsedQuery, fold
from .store import SectionKind, Side, Snippet

__all__ = ["MAX_SNIPPET_CHARS", "build_snippets"]

MAX_SNIPPET_CHARS = 240
_WORD = re.compile(r"[^\W_]+")
_SEPARATORS = r"[\W_]+"  # what stands between two words of a phrase (see `_WORD`)
# Sections searched besides the transcript, in the order a reader values them.
_AI_SECTIONS: tuple[tuple[str, SectionKind], ...] = (
    ("Summary", "summary"),
    ("Highlights", "highlight"),
    ("NextSteps", "next_step"),
    ("BulletedSummary", "bulleted_summary"),
    ("CallNotes", "notes"),
)


def _speakers(call: Mapping[str, Any]) -> dict[str | None, tuple[str, Side]]:
    """speaker id → (display name, side), with the library's "Unknown caller N" rule (see ingest.speaker_names)."""
    names: dict[str | None, tuple[str, Side]] = {}
    unknown = 0
    for info in call.get("speakerInfo") or []:
        name = (info.get("name") or "").strip()
        side: Side = "internal" if (info.get("extensionId") or info.get("accountId")) else "external"
        if not name:
            unknown += 1
            name = f"Unknown caller {unknown}"
        names[info.get("speakerId")] = (name, side)
    for unit in (call.get("insights") or {}).get("Transcript") or []:
        key = unit.get("speakerId")
        if key not in names:
            unknown += 1
            names[key] = (f"Unknown caller {unknown}", "external")
    return names


def _matches(text: str, atoms: tuple[Atom, ...]) -> tuple[int, list[tuple[int, int]]]:
    """(how many different atoms match, the character spans they cover)."""
    tokens = [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(text)]
    spans: list[tuple[int, int]] = []
    matched = 0
    for atom in atoms:
        size = len(atom.words)
        found = False
        for index in range(len(tokens) - size + 1):
            ok = True
            for offset, word in enumerate(atom.words):
                token = tokens[index + offset][2]
                last = offset == size - 1
                if not (token == word or (last and atom.prefix and token.startswith(word))):
                    ok = False
                    break
            if ok:
                found = True
                spans.append((tokens[index][0], tokens[index + size - 1][1]))
        matched += found
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return matched, merged


def _cut(text: str, marks: list[tuple[int, int]]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """At most MAX_SNIPPET_CHARS around the first mark, with "…" where cut; marks shifted to match."""
    if len(text) <= MAX_SNIPPET_CHARS:
        return text, tuple(marks)
    first = marks[0][0]
    start = max(0, first - MAX_SNIPPET_CHARS // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + MAX_SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > marks[0][1] else end
    prefix = "…" if start else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    kept = tuple((s + shift, e + shift) for s, e in marks if s >= start and e <= end)
    return prefix + text[start:end] + suffix, kept


def _candidates(
    call: Mapping[str, Any], speaker: str | None, side: Side | None, maybe: re.Pattern[str]
) -> Iterator[tuple[SectionKind, str, str | None, Side | None, float | None]]:
    """Lines that may match, in reading order: the AI sections and the title, then the transcript. `maybe` is a
    cheap pre-check run before anything else is looked up: an ASCII line it does not find cannot match."""
    names = _speakers(call)
    body = call.get("insights") or {}
    wanted = [fold(word) for word in _WORD.findall(speaker or "")]
    if not wanted and side is None:
        for key, kind in _AI_SECTIONS:
            for unit in body.get(key) or []:
                value = unit.get("value")
                if value and (maybe.search(value) or not value.isascii()):
                    who = names.get(unit.get("speakerId")) if unit.get("speakerId") else None
                    yield kind, value, who[0] if who else None, who[1] if who else None, unit.get("start")
        title = call.get("title")
        if title:
            yield "title", title, None, None, None
    allowed = {
        key
        for key, (name, unit_side) in names.items()
        if (side is None or unit_side == side)
        and (not wanted or all(word in {fold(w) for w in _WORD.findall(name)} for word in wanted))
    }
    for unit in body.get("Transcript") or []:
        text = unit.get("text") or ""
        if unit.get("speakerId") not in allowed or (maybe.search(text) is None and text.isascii()):
            continue
        name, unit_side = names[unit.get("speakerId")]
        yield "transcript", text, name, unit_side, unit.get("start")


def build_snippets(
    call: Mapping[str, Any],
    query: ParsedQuery,
    *,
    limit: int,
    speaker: str | None = None,
    side: Side | None = None,
) -> tuple[Snippet, ...]:
    """Up to `limit` snippets of `call` (the stored RecordingInsights JSON) for `query`: the lines matching the
    most query terms first, then in call order. Speaker filters limit the lines as they limited the search."""
    atoms = query.positive_atoms
    if limit <= 0 or not atoms:
        return ()
    # A cheap pre-check in C: an ASCII line in which no atom occurs as a substring (a phrase's words in a row, with
    # only separators between them) cannot match. Checking a phrase whole, not word by word, matters: its words
    # are common on their own ("deep", "credit"), and every line holding one would get the full check. (A line
    # with accents may match a folded word, so it always gets the full check.)
    maybe = re.compile("|".join(_SEPARATORS.join(map(re.escape, atom.words)) for atom in atoms), re.IGNORECASE)
    scored: list[tuple[int, int, Snippet]] = []
    best = 0
    for order, (kind, text, who, who_side, start) in enumerate(_candidates(call, speaker, side, maybe)):
        matched, marks = _matches(text, atoms)
        if not matched:
            continue
        cut, kept = _cut(text, marks)
        snippet = Snippet(kind, cut, kept, who, who_side, float(start) if start is not None else None)
        scored.append((-matched, order, snippet))
        best += matched == len(atoms)
        if best >= limit:
            break  # enough lines match every term; later ones cannot rank higher
    scored.sort(key=lambda item: (item[0], item[1]))
    return tuple(item[2] for item in scored[:limit])
