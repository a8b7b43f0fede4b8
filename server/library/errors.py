"""The call library's errors: one root, so a caller can catch everything the library raises.

```
LibraryError                  message (safe to show: never a database message, never call content)
├── LibraryQueryError         a search query, filter or cursor the library cannot run; the message says how to fix it
├── LibraryUnavailableError   the library is off, cannot be opened, or stayed busy past every retry
├── LibrarySchemaError        the file was written by a newer version of ringsense-mcp (or is not a library)
└── LibraryWriteError         one call of a batch the database refused; the rest of the batch was stored
```
"""

from __future__ import annotations

__all__ = ["LibraryError", "LibraryQueryError", "LibrarySchemaError", "LibraryUnavailableError", "LibraryWriteError"]


class LibraryError(Exception):
    """Root of the call library's errors. `message` is written for the person (or model) who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LibraryQueryError(LibraryError, ValueError):
    """A search query, filter or cursor that cannot be run; the message says what to change."""


class LibraryUnavailableError(LibraryError):
    """The library is turned off, cannot be opened, or stayed busy longer than the retry budget."""


class LibrarySchemaError(LibraryError):
    """The database was written by a newer ringsense-mcp (or is not a call library at all)."""


class LibraryWriteError(LibraryError):
    """One call of a batch (`upsert_many`) that the database refused: that call alone was rolled back, the others
    were stored. `record_id` says which; the message names the kind of failure, never call content."""

    def __init__(self, message: str, *, domain: str, record_id: str) -> None:
        super().__init__(message)
        self.domain = domain
        self.record_id = record_id
