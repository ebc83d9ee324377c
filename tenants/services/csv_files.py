"""Reading the CSV files people upload: one reader for every importer (bank statements, the
rent book, invoices).

A file comes from a bank's export, a spreadsheet or an invoicing program: UTF-8 with or without
BOM, UTF-16 with its BOM (Excel's "Unicode text"), or Windows' cp1252 (Latin-1); cells
separated by ";" (Spanish Excel), ",", tab or "|", sometimes named by an Excel "sep=;" first
line; headers in Spanish or English, in any case, with or without accents.

Every importer has its own message codes: the reader raises `<prefix>_not_csv`,
`<prefix>_empty` and `<prefix>_header_missing` with the prefix the importer gives, and each of
them has its words in web/messages.py.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tenants.services.errors import ServiceError
from tenants.services.values import MONEY_DIGITS

DELIMITERS = (";", ",", "\t", "|")
# What people upload by mistake: a workbook (xlsx, xls), a PDF, a photo of the statement.
_NOT_TEXT = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")
_SMALL_WORDS = frozenset({"de", "del", "la", "el", "of", "the"})
_SEP_LINE = re.compile(r"sep=(.)", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(\.\d{1,2})?")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is a row too
    column: str | None  # the importer's column (its key or its header); None: the whole row
    code: str  # a message code (web/messages.py), with the importer's prefix
    params: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "code": self.code, "params": self.params}


@dataclass(slots=True)  # not frozen: slower to build, and an invoice file has 200,000 rows
class Row:
    number: int  # as a spreadsheet numbers it
    cells: list[str]  # stripped


@dataclass(frozen=True)
class Table:
    delimiter: str
    header_row: int  # as a spreadsheet numbers it
    headers: list[str]  # as written, stripped
    rows: list[Row]  # under the header, blank rows left out

    def overflows(self, row: Row) -> bool:
        """Whether the row fills more cells than the header names: a comma or semicolon inside
        an unquoted cell, which moves every cell after it to the wrong column."""
        return any(row.cells[len(self.headers) :])


# --- text -----------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Lower case, no accents (ñ → n), no ordinals ("2º B" → "2 b"), only letters and digits
    separated by spaces."""
    text = unicodedata.normalize("NFKD", (text or "").replace("º", "").replace("ª", ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def comparable(text: str) -> str:
    """A header or a choice as people may write it: normalised, without the small words
    ("Fecha de inicio" and "fecha inicio" are the same header)."""
    return " ".join(w for w in normalise(text).split() if w not in _SMALL_WORDS)


def decode(content: bytes, prefix: str) -> str:
    """The text of an uploaded file: UTF-16 with its BOM, UTF-8 (with or without BOM), else
    cp1252 (Latin-1 for the bytes cp1252 leaves out, so any byte decodes). The BOM is dropped.

    ServiceError `<prefix>_empty` for a file with nothing but blanks, `<prefix>_not_csv` for a
    workbook, a PDF, an image or any other binary file."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in content or content.startswith(_NOT_TEXT):
        raise ServiceError(f"{prefix}_not_csv", "file")
    else:
        encodings = ("utf-8-sig", "cp1252", "latin-1")
    for encoding in encodings:
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # UTF-16 cut in the middle of a character
        raise ServiceError(f"{prefix}_not_csv", "file")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n\f")
    if controls > len(text) // 100 or "\x00" in text:
        raise ServiceError(f"{prefix}_not_csv", "file")
    if not text.strip():
        raise ServiceError(f"{prefix}_empty", "file")
    return text


# --- rows and the header --------------------------------------------------------------------


class Headers:
    """The columns an importer knows: for each of its fields, the headers people write
    (Spanish and English), best first. A header matches whatever its case, accents,
    punctuation, spacing and small words."""

    def __init__(self, names: Mapping[str, Iterable[str]]):
        self.names = {key: [comparable(n) for n in aliases] for key, aliases in names.items()}
        self._exact: dict[str, str] = {}
        for key, aliases in self.names.items():
            for alias in aliases:
                self._exact.setdefault(alias, key)

    def field(self, header: str) -> str | None:
        """The field this header names, if any."""
        return self._exact.get(comparable(header))

    def columns(self, headers: list[str], key: str) -> list[int]:
        """Every column whose header names `key`, in the file's order."""
        return [i for i, h in enumerate(headers) if comparable(h) in self.names[key]]

    def find(self, headers: list[str], *, starts: bool = False) -> dict[str, int | None]:
        """For each field, the column whose header names it best (or None); a column is used
        once. With `starts`, a header that begins with a known name ("Fecha emisión factura")
        is taken for a field no header names exactly."""
        names = [comparable(h) for h in headers]
        found: dict[str, int | None] = dict.fromkeys(self.names)
        taken: set[int] = set()
        for exact in (True, False) if starts else (True,):
            for key, known in self.names.items():
                if found[key] is not None:
                    continue
                best = None
                for index, name in enumerate(names):
                    if index in taken or not name:
                        continue
                    for rank, alias in enumerate(known):
                        hit = name == alias if exact else name.startswith(alias + " ")
                        if hit and (best is None or rank < best[0]):
                            best = (rank, index)
                if best is not None:
                    found[key] = best[1]
                    taken.add(best[1])
        return found


def _sep_line(text: str) -> tuple[str, str | None, int]:
    """The text without an Excel "sep=;" first line, the delimiter it names, and how many rows
    it took (it is a row in a spreadsheet that does not read it)."""
    first, newline, rest = text.partition("\n")
    if match := _SEP_LINE.fullmatch(first.strip()):
        return rest if newline else "", match.group(1), 1
    return text, None, 0


def delimiters(text: str) -> list[str]:
    """The delimiters to try, the one the first non-blank line uses most first."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return sorted(DELIMITERS, key=first.count, reverse=True)


def _rows(text: str, delimiter: str, skipped: int) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for number, cells in enumerate(reader, start=1 + skipped):
        cells = [c.strip() for c in cells]
        if any(cells):
            yield Row(number, cells)


def read_table(
    text: str,
    prefix: str,
    *,
    headers: Headers | None = None,
    required: tuple[str, ...] = (),
    search_rows: int = 1,
) -> Table:
    """The header and the rows under it. The header is the first non-blank row or, with
    `required`, the first of the first `search_rows` rows that names every required field (a
    bank puts the account and the dates above it), with the first delimiter that finds one.

    ServiceError `<prefix>_empty` (no row), `<prefix>_header_missing` (no row names the
    required fields) or `<prefix>_not_csv` (a cell of megabytes, a stray quote)."""
    body, named, skipped = _sep_line(text.lstrip("\ufeff"))
    candidates = [named] if named else delimiters(body)
    try:
        for delimiter in candidates if required else candidates[:1]:
            rows = _rows(body, delimiter, skipped)
            for row in itertools.islice(rows, search_rows):
                found = headers.find(row.cells) if headers and required else {}
                if all(found[key] is not None for key in required):
                    return Table(delimiter, row.number, row.cells, list(rows))
    except csv.Error as exc:
        raise ServiceError(f"{prefix}_not_csv", "file") from exc
    raise ServiceError(f"{prefix}_header_missing" if required else f"{prefix}_empty", "file")


# --- cells ----------------------------------------------------------------------------------


def parse_amount(raw: str) -> Decimal | None:
    """Euros from "1.234,56", "-45,00", "1234.56", "1,234.56", "45,00-", "(45,00)"."""
    text = re.sub(r"(?i)(eur(os)?|€)", "", raw or "").replace("\u00a0", "").replace(" ", "")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.endswith("-"):
        negative, text = True, text[:-1]
    if text[:1] in ("+", "-"):
        negative, text = negative or text[0] == "-", text[1:]
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
    elif "," in text:
        decimal_mark = "," if text.count(",") == 1 else None
    else:  # Spanish thousands without cents: "1.234" is 1234 euros
        decimal_mark = None if re.fullmatch(r"\d{1,3}(\.\d{3})+", text) else "."
    if decimal_mark and decimal_mark in text:
        integer, mark, cents = text.rpartition(decimal_mark)
    else:
        integer, mark, cents = text, "", ""
    if "," in integer or "." in integer:  # thousands grouped by the other mark
        if not re.fullmatch(r"\d{1,3}([.,]\d{3})+", integer):
            return None
        integer = integer.replace(",", "").replace(".", "")
    text = f"{integer}.{cents}" if mark else integer
    if not _NUMBER.fullmatch(text) or len(integer) > MONEY_DIGITS:  # Numeric(12, 2)
        return None
    value = Decimal(text).quantize(Decimal("0.01"))
    return -value if negative else value


def parse_date(raw: str) -> date | None:
    """A date from dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, dd/mm/yy or ISO yyyy-mm-dd."""
    text = (raw or "").strip()
    if match := _DMY.fullmatch(text.split(" ")[0]):
        day, month, year = (int(g) for g in match.groups())
        year += 2000 if year < 100 else 0
    elif match := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    else:
        return None
    if not 1990 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None
