"""`SharedResponse`: a parsed response the client may cache and share, parsed from its body's bytes.

`from_body` tries a subclass's fast decoder first (`_decode_documented`: `fastwire` for insights bodies of exactly
the documented shape) and otherwise parses the tolerant way: pydantic-core, then the models. Either way the result
is the same model, or the same error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self, TypeVar

import pydantic_core
from pydantic import PrivateAttr, ValidationError

from .wire import WireModel

__all__ = ["SharedResponse"]

D = TypeVar("D")


class SharedResponse(WireModel):
    """A response the client may cache and hand to many callers: read-only, with room for values derived from it."""

    # Values computed from this response, kept with it: the client shares cached responses, so a cache hit
    # reuses them instead of recomputing (e.g. statistics over 1,500 transcript lines, or a transcript's turns).
    _derived: dict[Any, Any] = PrivateAttr(default_factory=dict)
    _wire_bytes: int = PrivateAttr(default=0)

    def derived(self, key: Any, compute: Callable[[], D]) -> D:
        """`compute()`, once per response and `key` (any hashable); later calls return the first result.

        Treat the result as read-only (copy it before changing it): every holder of this response shares it.
        """
        try:
            value: D = self._derived[key]
        except KeyError:
            value = self._derived[key] = compute()
        return value

    @property
    def wire_bytes(self) -> int:
        """Size of the body this was parsed from (0 when not parsed from a body): what the cache counts."""
        return self._wire_bytes

    @classmethod
    def from_body(cls, body: bytes) -> Self:
        """Parse a response body (JSON bytes) and remember its size. Raises ValueError for a body that is not a
        JSON object, ValidationError for one of the wrong shape."""
        fast = cls._decode_documented(body)
        if fast is not None:
            try:
                parsed = cls.model_validate(fast)
            except ValidationError:
                pass  # raised below, by the tolerant path, with the very input and message it always had
            else:
                parsed._wire_bytes = len(body)
                return parsed
        return cls.from_body_tolerantly(body)

    @classmethod
    def from_body_tolerantly(cls, body: bytes) -> Self:
        """`from_body` without the fast decoder: pydantic-core, then the models' tolerant validators (what
        `from_body` does for any body not of the documented shape, and the reference its fast path is tested
        against). Raises as `from_body` does."""
        data = pydantic_core.from_json(body)
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        parsed = cls.model_validate(data)
        parsed._wire_bytes = len(body)
        return parsed

    @classmethod
    def _decode_documented(cls, body: bytes) -> dict[str, Any] | None:
        """The data to validate when `body` is of exactly the documented shape, decoded fast; None to parse it
        the tolerant way (always, unless a subclass has a fast decoder)."""
        return None
