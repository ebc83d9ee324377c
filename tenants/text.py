"""Text that must stay on one line: names that end up in an email header or a letter's heading.

A line break or a control character in a name (U+2028 pasted from a word processor, a `\\r`, a
NUL) breaks every email header the name reaches: Python's email package refuses to build the
message, or, worse, a lenient one lets it start a header of its own. Input refuses them
(`breaks_lines`); what is already stored is folded to spaces on the way out (`one_line`).
"""

from __future__ import annotations

import re
import unicodedata

# Cc: C0 and C1 controls (\t \n \r \x0b \x0c \x00 \x85 …); Zl, Zp: U+2028 and U+2029;
# Cs: lone surrogates, which no encoding can write. Format characters (Cf, e.g. the zero-width
# joiner some scripts need) are left alone: they break no line.
_BREAKING_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
_SPACES = re.compile(r"\s+")


def _breaks(char: str) -> bool:
    return unicodedata.category(char) in _BREAKING_CATEGORIES


def breaks_lines(value: str | None) -> bool:
    """True when `value` holds a line break or any other control character."""
    return any(_breaks(char) for char in value or "")


def one_line(value: str | None) -> str:
    """`value` on one line: every line break and control character becomes a space, and runs
    of spaces one space."""
    folded = "".join(" " if _breaks(char) else char for char in value or "")
    return _SPACES.sub(" ", folded).strip()
