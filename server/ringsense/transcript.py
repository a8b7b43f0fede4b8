"""Transcript lines held in columns: a handful of objects per transcript instead of one model per line.

A 90-minute call has about 1,500 transcript lines. Held as a pydantic model each (plus its fields-set), a cached
response was ~760 objects the garbage collector walks on every full collection; a cache of them made collections
a third of the server's CPU under load. `Transcript` keeps the same lines as two tuples of strings and two arrays
of floats, which the collector does not need to look into, and hands out `TranscriptUnit` tuples on access.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from math import isfinite
from operator import itemgetter
from typing import Annotated, Any, NamedTuple, NotRequired, Self, overload

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler, TypeAdapter, ValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema
from typing_extensions import TypedDict  # pydantic reads TypedDicts only from here below Python 3.12

__all__ = ["Transcript", "TranscriptUnit"]


class TranscriptUnit(NamedTuple):
    """One transcript line, as RingSense sent it."""

    speaker_id: str | None
    """Refers to `speakerInfo[].speakerId`."""
    text: str
    """What was said."""
    start: float
    """Seconds from the start of the recording."""
    end: float
    """Seconds from the start of the recording."""


# A time that is not a finite number (NaN, Infinity) makes the line malformed: skipped, with a warning.
_Seconds = Annotated[float, Field(allow_inf_nan=False)]


class _WireLine(TypedDict):
    """A transcript line on the wire; validated (and coerced: `1` → `1.0`) by pydantic, fields beyond these kept."""

    speakerId: NotRequired[str | None]
    text: str
    start: _Seconds
    end: _Seconds


_KNOWN_KEYS = frozenset(("speakerId", "text", "start", "end"))
_LINE = TypeAdapter(_WireLine)
_TEXT, _START, _END = itemgetter("text"), itemgetter("start"), itemgetter("end")


def _well_formed_columns(lines: list[Any]) -> tuple[list[Any], list[Any], array[float], array[float]] | None:
    """(speaker ids, texts, starts, ends) when every line is exactly what the API documents, checked a column at a
    time in C (pydantic took ~4 µs a line); None when any line is not, and then pydantic judges line by line.

    Every check is one C-level pass: this runs on every insights fetch (0.2 ms of a cache miss before, 0.1 now).
    """
    try:
        if not lines or set(map(type, lines)) != {dict}:
            return None
        texts = list(map(_TEXT, lines))
        "".join(texts)  # refuses anything but strings (TypeError), several times faster than checking each type
        # Through a list: array() takes a list in one C loop, an iterator one append at a time (twice as slow).
        starts = array("d", list(map(_START, lines)))  # refuses str and None: TypeError
        ends = array("d", list(map(_END, lines)))
        ids = list(map(dict.get, lines, repeat("speakerId")))
        speakers = dict.fromkeys(ids)  # refuses unhashable ids (TypeError); a few keys left to check
    except (KeyError, TypeError, OverflowError):
        return None
    if not all(type(speaker) is str or speaker is None for speaker in speakers):
        return None
    # A sum of finite numbers is finite, and a NaN or an infinity makes it NaN or infinite; one that overflows
    # only sends these lines to pydantic, which decides precisely.
    if not (isfinite(sum(starts)) and isfinite(sum(ends))):
        return None
    return ids, texts, starts, ends


def _describe(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "unit"
    return f"{where}: {first['msg']}"


class Transcript(Sequence[TranscriptUnit]):
    """A recording's transcript lines, in the order RingSense sent them; read-only.

    Behaves as a sequence of `TranscriptUnit` (`len`, index, slice, iterate). `speaker_ids`, `texts`, `starts`
    and `ends` are the columns, for loops that want one field of every line without making a tuple per line.
    Fields a line carried beyond the four documented ones are kept (`extra_fields(index)`) and serialised back.
    """

    __slots__ = ("_ends", "_extras", "_speaker_ids", "_starts", "_texts")

    def __init__(self, units: Iterable[TranscriptUnit] = (), *, extras: Mapping[int, dict[str, Any]] | None = None):
        units = list(units)
        self._speaker_ids: tuple[str | None, ...] = tuple(unit.speaker_id for unit in units)
        self._texts: tuple[str, ...] = tuple(unit.text for unit in units)
        self._starts = array("d", (unit.start for unit in units))
        self._ends = array("d", (unit.end for unit in units))
        self._extras: dict[int, dict[str, Any]] | None = dict(extras) if extras else None

    @classmethod
    def from_wire(cls, lines: list[Any], *, where: str = "Transcript", warnings: list[str] | None = None) -> Self:
        """Lines as RingSense sends them (`speakerId`, `text`, `start`, `end`). A malformed line is skipped and
        described in `warnings` (raises ValidationError for the first one when `warnings` is None)."""
        columns = _well_formed_columns(lines)
        if columns is not None:
            ids, texts, starts, ends = columns
            kept: list[Any] = lines
        else:  # some line is malformed (or needs coercing): validate line by line, keep the good ones
            valid: list[_WireLine] = []
            kept = []
            for index, line in enumerate(lines):
                try:
                    valid.append(_LINE.validate_python(line))
                    kept.append(line)
                except ValidationError as err:
                    if warnings is None:
                        raise
                    warnings.append(f"{where}[{index}] skipped: {_describe(err)}")
            ids = [line.get("speakerId") for line in valid]
            texts = list(map(_TEXT, valid))
            starts = array("d", map(_START, valid))
            ends = array("d", map(_END, valid))
        transcript = cls.from_columns(ids, texts, starts, ends)
        raw = kept if columns is not None else [line if isinstance(line, dict) else {} for line in kept]
        extras = None
        if not _KNOWN_KEYS.issuperset(set().union(*raw)):  # one pass in C; lines with more fields are rare
            extras = {
                i: {k: v for k, v in line.items() if k not in _KNOWN_KEYS}
                for i, line in enumerate(raw)
                if not _KNOWN_KEYS.issuperset(line)
            }
        transcript._extras = extras
        return transcript

    @classmethod
    def from_columns(
        cls,
        speaker_ids: list[Any],
        texts: list[str],
        starts: array[float],
        ends: array[float],
        *,
        absent: object = None,
    ) -> Self:
        """Lines given a column at a time, each column one entry per line, already checked: speaker ids are
        strings, None, or `absent` (a decoder's marker for a missing id, read as None); times are finite."""
        transcript = cls.__new__(cls)
        one_each = dict(zip(speaker_ids, speaker_ids, strict=True))  # one string object per speaker, not per line
        if absent is not None and absent in one_each:
            one_each[absent] = None
        transcript._speaker_ids = tuple([one_each[speaker_id] for speaker_id in speaker_ids])
        transcript._texts = tuple(texts)
        transcript._starts = starts
        transcript._ends = ends
        transcript._extras = None
        return transcript

    # -- columns ----------------------------------------------------------------------------------

    @property
    def speaker_ids(self) -> tuple[str | None, ...]:
        return self._speaker_ids

    @property
    def texts(self) -> tuple[str, ...]:
        return self._texts

    @property
    def starts(self) -> Sequence[float]:
        return self._starts

    @property
    def ends(self) -> Sequence[float]:
        return self._ends

    def extra_fields(self, index: int) -> dict[str, Any]:
        """Fields line `index` carried beyond speakerId, text, start and end (a copy; empty when none)."""
        return dict((self._extras or {}).get(index, {}))

    # -- sequence ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._texts)

    @overload
    def __getitem__(self, index: int) -> TranscriptUnit: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[TranscriptUnit]: ...
    def __getitem__(self, index: int | slice) -> TranscriptUnit | Sequence[TranscriptUnit]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return TranscriptUnit(self._speaker_ids[index], self._texts[index], self._starts[index], self._ends[index])

    def __iter__(self) -> Iterator[TranscriptUnit]:
        return map(TranscriptUnit, self._speaker_ids, self._texts, self._starts, self._ends)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Transcript):
            return (
                self._texts == other._texts
                and self._speaker_ids == other._speaker_ids
                and self._starts == other._starts
                and self._ends == other._ends
                and (self._extras or {}) == (other._extras or {})
            )
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which are unhashable

    def __repr__(self) -> str:
        return f"Transcript({len(self)} lines)"

    # Immutable: a copy is the same object (a cached response is shared, never copied line by line).
    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self

    def to_wire(self, *, by_alias: bool = True) -> list[dict[str, Any]]:
        """The lines as JSON-ready dicts (`speakerId` with `by_alias`, else `speaker_id`), extra fields included."""
        key = "speakerId" if by_alias else "speaker_id"
        columns = zip(self._speaker_ids, self._texts, self._starts, self._ends, strict=True)
        if not self._extras:  # the usual case: straight from the columns, no tuple per line
            return [
                {key: speaker_id, "text": text, "start": start, "end": end} for speaker_id, text, start, end in columns
            ]
        extras = self._extras
        return [
            {key: speaker_id, "text": text, "start": start, "end": end, **extras.get(i, {})}
            for i, (speaker_id, text, start, end) in enumerate(columns)
        ]

    # -- pydantic ---------------------------------------------------------------------------------

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._coerce,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value, info: value.to_wire(by_alias=bool(info.by_alias)), info_arg=True
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return TypeAdapter(list[_WireLine]).json_schema()

    @classmethod
    def _coerce(cls, value: Any) -> Transcript:
        if isinstance(value, Transcript):
            return value
        if isinstance(value, list) and all(isinstance(item, TranscriptUnit) for item in value):
            return cls(value)
        if isinstance(value, list):
            return cls.from_wire(value)
        raise ValueError(f"a transcript is a list of lines, not {type(value).__name__}")
