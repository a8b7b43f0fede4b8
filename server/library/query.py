"""The search query language, parsed into something a backend can run safely.

What a user (or a model) may write:

| input                      | meaning                                                  |
|----------------------------|----------------------------------------------------------|
| `refund policy`            | both words, anywhere in the call (AND)                   |
| `"price increase"`         | the exact phrase                                         |
| `refund OR cancel`         | either (OR binds tighter than the implicit AND)          |
| `-voicemail`, `-"call me"` | calls without the word or phrase (also `NOT voicemail`)  |
| `integ*`                   | words starting with `integ` (at least 2 characters)      |

Words are split the way the index splits text: letters and digits form words, everything else separates them, so
`e-mail` is the phrase `"e mail"` and SQL or FTS syntax in a query is just more words. Matching ignores case and
most diacritics. Nothing from the query is ever spliced into SQL: the FTS5 expression is passed as a parameter and
every word in it is a quoted string.

`parse_query` returns a `ParsedQuery` or raises `LibraryQueryError` with a message that says what to change.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from .errors import LibraryQueryError

__all__ = ["MAX_QUERY_CHARS", "MAX_QUERY_TERMS", "Atom", "ParsedQuery", "fold", "parse_query", "words"]

MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 24
MIN_PREFIX_CHARS = 2

# Letters and digits, as SQLite's unicode61 tokenizer sees them (categories L* and N*; underscore separates).
_WORD = re.compile(r"[^\W_]+")
# A query lexeme: a quoted phrase (closed or not) or a run of non-space characters.
_LEXEME = re.compile(r'(-?)"([^"]*)("?)(\*?)|(\S+)')


def words(text: str) -> list[str]:
    """The words of `text` as the index sees them (case and accents kept; see `fold`)."""
    return _WORD.findall(text)


def fold(word: str) -> str:
    """Case- and accent-folded form of a word, as the index compares them: SQLite's unicode61 tokenizer strips
    diacritics from Latin letters only (so `café` is `cafe`, but Greek `πρόταση` keeps its tonos) and lower-cases
    without Unicode case folding (so `ß` and a final `ς` stay as they are)."""
    if word.isascii():
        return word.lower()
    out = []
    for char in word:
        base = unicodedata.normalize("NFKD", char)[0]
        out.append(base if base.isascii() and base.isalpha() else char)
    return "".join(out).lower()


@dataclass(frozen=True)
class Atom:
    """One searchable unit: a single word or a phrase (several words in a row), optionally a prefix."""

    words: tuple[str, ...]  # folded
    prefix: bool = False

    def fts5(self, column: str) -> str:
        # Words are letters and digits only, so they never contain a quote; quoting them makes FTS5 keywords
        # (AND, OR, NOT, NEAR) and column names in them plain words.
        return f'{column} : "{" ".join(self.words)}"' + (" *" if self.prefix else "")

    def describe(self) -> str:
        body = " ".join(self.words)
        return (f'"{body}"' if len(self.words) > 1 else body) + ("*" if self.prefix else "")


@dataclass(frozen=True)
class ParsedQuery:
    """A query ready to run: every group in `all_of` must match (a group matches when any of its atoms does),
    and no atom of `none_of` may. An empty `all_of` means "no text condition" (filters only)."""

    all_of: tuple[tuple[Atom, ...], ...]
    none_of: tuple[Atom, ...]

    @property
    def is_empty(self) -> bool:
        return not self.all_of

    @property
    def positive_atoms(self) -> tuple[Atom, ...]:
        return tuple(atom for group in self.all_of for atom in group)

    def fts5(self, column: str = "text") -> str:
        """The FTS5 MATCH expression restricted to `column`. Only call when not `is_empty`."""
        groups = []
        for group in self.all_of:
            inner = " OR ".join(atom.fts5(column) for atom in group)
            groups.append(f"({inner})" if len(group) > 1 else inner)
        expression = " AND ".join(groups)
        if self.none_of:
            excluded = " OR ".join(atom.fts5(column) for atom in self.none_of)
            expression = f"({expression}) NOT ({excluded})"
        return expression

    def fingerprint(self) -> str:
        """A short stable digest of the query's meaning (binds a cursor to its query)."""
        canonical = repr((self.all_of, self.none_of)).encode()
        return hashlib.blake2b(canonical, digest_size=8).hexdigest()

    def describe(self) -> str:
        """The query as understood, e.g. `refund AND ("price increase" OR discount*) NOT voicemail`."""
        parts = []
        for group in self.all_of:
            text = " OR ".join(atom.describe() for atom in group)
            parts.append(f"({text})" if len(group) > 1 else text)
        text = " AND ".join(parts)
        if self.none_of:
            text += " NOT " + " NOT ".join(atom.describe() for atom in self.none_of)
        return text


_OR_NEEDS_SIDES = 'OR needs a word or phrase on each side, e.g. refund OR "money back".'


def _atom(raw: str, prefix: bool, quoted: bool) -> Atom | None:
    found = tuple(fold(word) for word in words(raw))
    if not found:
        return None  # punctuation only (say `&&` or `;`): nothing the index holds, so nothing to match
    if prefix and len(found[-1]) < MIN_PREFIX_CHARS:
        raise LibraryQueryError(
            f"'{found[-1]}*' is too short: a prefix needs at least {MIN_PREFIX_CHARS} characters, e.g. integ*."
        )
    del quoted  # a quoted phrase and a hyphenated word are the same thing to the index: words in a row
    return Atom(found, prefix)


def parse_query(text: str) -> ParsedQuery:
    """Parse the query language (see the module docstring). Raises `LibraryQueryError` saying what to change."""
    if len(text) > MAX_QUERY_CHARS:
        raise LibraryQueryError(
            f"The query is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}. Search for the few most "
            "telling words or a short phrase instead."
        )
    if "\x00" in text:
        raise LibraryQueryError("The query contains a NUL character; remove it.")

    groups: list[list[Atom]] = []
    excluded: list[Atom] = []
    join_next = False  # the previous lexeme was OR
    negate_next = False  # the previous lexeme was NOT
    for match in _LEXEME.finditer(text):
        minus, phrase, closing, star, bare = match.groups()
        if bare is not None:
            if bare == "OR":
                if not groups or join_next or negate_next:
                    raise LibraryQueryError(_OR_NEEDS_SIDES)
                join_next = True
                continue
            if bare == "AND":
                continue  # words are ANDed anyway
            if bare == "NOT":
                negate_next = True
                continue
            negative = bare.startswith("-") and len(bare) > 1
            body = bare[1:] if negative else bare
            prefix = body.endswith("*")
            atom = _atom(body.rstrip("*") if prefix else body, prefix, quoted=False)
        else:
            if not closing:
                raise LibraryQueryError(
                    f'The query has an opening " without a closing one (before "{phrase[:30]}"). Close the phrase '
                    'with a second ", or remove the quote.'
                )
            negative = bool(minus)
            atom = _atom(phrase, bool(star), quoted=True)
        if atom is None:
            continue
        if negative or negate_next:
            if join_next:
                raise LibraryQueryError("OR cannot be followed by an excluded word; write the exclusion on its own.")
            excluded.append(atom)
            negate_next = False
            continue
        if join_next:
            groups[-1].append(atom)
            join_next = False
        else:
            groups.append([atom])
    if join_next:
        raise LibraryQueryError(_OR_NEEDS_SIDES)
    if negate_next:
        raise LibraryQueryError("NOT needs a word or phrase after it, e.g. refund NOT voicemail.")
    if excluded and not groups:
        raise LibraryQueryError(
            "A query cannot only exclude words: add at least one word or phrase to search for, e.g. refund -voicemail."
        )
    if sum(len(group) for group in groups) + len(excluded) > MAX_QUERY_TERMS:
        raise LibraryQueryError(
            f"The query has more than {MAX_QUERY_TERMS} words or phrases; keep the few that matter most."
        )
    return ParsedQuery(tuple(tuple(group) for group in groups), tuple(excluded))
