"""Bank statements: read the CSV a Spanish bank exports, suggest a lease for every line, and
book the lines the landlord confirms as payments.

Nothing is booked on import. A file with any unreadable row imports nothing and reports every
problem (row, column, what is wrong), so the landlord fixes the file once and uploads it again.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import PurePosixPath

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from tenants.db import session
from tenants.models import BankLine, BankStatement, Lease, Payment
from tenants.services.errors import NotFound, ServiceError
from tenants.services.receivables.payments import record_payment
from tenants.services.rentals.bank_matching import LeaseMatcher, normalise

MAX_LINES = 5000
HEADER_SEARCH_ROWS = 30  # banks put the account, holder and dates above the header
DELIMITERS = (";", ",", "\t")
# Header names as banks write them (normalised: lower case, no accents, no punctuation), best
# first: with both "fecha operación" and "fecha valor", the operation date is the payment date.
COLUMNS = {
    "date": (
        "fecha",
        "date",
        "fecha operacion",
        "fecha de operacion",
        "f operacion",
        "fecha op",
        "f operativa",
        "fecha operativa",
        "fecha contable",
        "booking date",
        "transaction date",
        "fecha valor",
        "fecha de valor",
        "f valor",
        "value date",
    ),
    "amount": (
        "importe",
        "amount",
        "importe eur",
        "importe euros",
        "importe en euros",
        "cantidad",
    ),
    "concept": (
        "concepto",
        "concept",
        "descripcion",
        "description",
        "concepto comun",
        "concepto propio",
        "detalle",
        "details",
        "movimiento",
        "observaciones",
        "comentario",
        "mas datos",
        "ordenante",
        "remitente",
    ),
}
CONCEPT_LENGTH = 300
_NUMBER = re.compile(r"\d+(\.\d{1,2})?")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?")


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is a row too
    column: str  # as written in the file's header
    code: str
    value: str = ""


class StatementInvalid(ServiceError):
    """Rows that cannot be read. Nothing was imported; `errors` lists every problem."""

    def __init__(self, errors: list[RowError]):
        super().__init__("bank_rows_invalid", "file", count=len(errors))
        self.errors = errors


@dataclass(frozen=True)
class ParsedLine:
    row: int
    booked_on: date
    amount: Decimal
    concept: str


# --- reading the file ---------------------------------------------------------------------


def decode(content: bytes) -> str:
    """Text from UTF-8 (with or without BOM), UTF-16 with BOM, or Latin-1/cp1252."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    elif b"\x00" in content:
        raise ServiceError("bank_not_csv", "file")  # a spreadsheet, a PDF, an image
    else:
        encodings = ("utf-8-sig", "cp1252", "latin-1")  # Latin-1 decodes any byte
    for encoding in encodings:
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ServiceError("bank_not_csv", "file")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n\f")
    if controls > len(text) // 100:
        raise ServiceError("bank_not_csv", "file")
    return text


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
    if not _NUMBER.fullmatch(text) or len(integer) > 10:
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


@dataclass(frozen=True)
class _Header:
    row: int  # index of the header among the file's rows
    names: list[str]  # as written
    date: int
    amount: int
    concepts: list[int]


def _find_header(rows: list[list[str]]) -> _Header | None:
    for index, row in enumerate(rows):
        names = [normalise(cell) for cell in row]
        found = {}
        for key in ("date", "amount"):
            ranks = [(COLUMNS[key].index(n), i) for i, n in enumerate(names) if n in COLUMNS[key]]
            if ranks:
                found[key] = min(ranks)[1]
        if len(found) == 2:
            concepts = [i for i, n in enumerate(names) if n in COLUMNS["concept"]]
            return _Header(
                index, [c.strip() for c in row], found["date"], found["amount"], concepts
            )
    return None


def _read_rows(text: str) -> tuple[list[list[str]], _Header]:
    """The rows and the header, with the delimiter that finds a header with a concept."""
    found_without_concept = False
    try:
        for delimiter in DELIMITERS:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            header = _find_header(list(itertools.islice(reader, HEADER_SEARCH_ROWS)))
            if header is not None and header.concepts:
                rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
                return list(rows), header
            found_without_concept = found_without_concept or header is not None
    except csv.Error as exc:  # a field of megabytes, a stray NUL: not a bank's CSV
        raise ServiceError("bank_not_csv", "file") from exc
    if not found_without_concept:
        raise ServiceError("bank_header_missing", "file")
    raise ServiceError("bank_concept_column_missing", "file")


def parse_statement(content: bytes) -> list[ParsedLine]:
    """Every movement of the file, or StatementInvalid listing every bad row."""
    rows, header = _read_rows(decode(content))
    needed = max(header.date, header.amount, *header.concepts)
    lines, errors = [], []
    for index in range(header.row + 1, len(rows)):
        row, number = rows[index], index + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= needed:
            missing = next(
                i for i in (header.date, header.amount, *header.concepts) if i >= len(row)
            )
            errors.append(RowError(number, header.names[missing], "bank_column_missing"))
            continue
        raw_date, raw_amount = row[header.date].strip(), row[header.amount].strip()
        if not raw_date and not raw_amount:
            continue  # a total or a note under the movements
        booked_on, amount = parse_date(raw_date), parse_amount(raw_amount)
        if booked_on is None:
            code = "bank_date_invalid" if raw_date else "bank_date_missing"
            errors.append(RowError(number, header.names[header.date], code, raw_date[:40]))
        if amount is None:
            code = "bank_amount_invalid" if raw_amount else "bank_amount_missing"
            errors.append(RowError(number, header.names[header.amount], code, raw_amount[:40]))
        if booked_on is not None and amount is not None:
            concept = " ".join(" ".join(row[i].split()) for i in header.concepts if row[i].strip())
            lines.append(ParsedLine(number, booked_on, amount, concept[:CONCEPT_LENGTH]))
    if errors:
        raise StatementInvalid(errors)
    if not lines:
        raise ServiceError("bank_no_lines", "file")
    if len(lines) > MAX_LINES:
        raise ServiceError("bank_too_many_lines", "file", max=MAX_LINES)
    return lines


# --- importing ----------------------------------------------------------------------------


def _clean_filename(filename: str) -> str:
    name = PurePosixPath((filename or "").replace("\\", "/")).name.strip()
    return name[-200:] or "extracto.csv"


def import_statement(filename: str, content: bytes) -> BankStatement:
    """Store a statement and its lines, each with a suggested lease. Books nothing.

    Outgoing money (amount <= 0) is kept, marked ignored. The same file twice is refused.
    """
    if not content:
        raise ServiceError("bank_file_empty", "file")
    digest = hashlib.sha256(content).hexdigest()
    earlier = session.scalar(select(BankStatement).where(BankStatement.sha256 == digest))
    if earlier is not None:
        raise ServiceError("bank_statement_duplicate", "file", filename=earlier.filename)
    parsed = parse_statement(content)
    matcher = LeaseMatcher()
    statement = BankStatement(filename=_clean_filename(filename), sha256=digest)
    for line in parsed:
        suggestion = matcher.suggest(line.amount, line.concept)
        statement.lines.append(
            BankLine(
                booked_on=line.booked_on,
                amount=line.amount,
                concept=line.concept,
                suggested_lease_id=suggestion.lease_id,
                match=suggestion.match,
                score=suggestion.score,
                status="pending" if line.amount > 0 else "ignored",
            )
        )
    session.add(statement)
    session.flush()
    return statement


# --- confirming ---------------------------------------------------------------------------


def get_statement(statement_id: int) -> BankStatement:
    statement = session.scalar(select(BankStatement).where(BankStatement.id == statement_id))
    if statement is None:
        raise NotFound(statement_id)
    return statement


def get_line(line_id: int, *, for_update: bool = False) -> BankLine:
    query = select(BankLine).where(BankLine.id == line_id)
    if for_update:  # two clicks on "Book" must not record the payment twice
        query = query.with_for_update()
    line = session.scalar(query)
    if line is None:
        raise NotFound(line_id)
    return line


def _check_pending(line: BankLine) -> None:
    if line.status == "booked":
        raise ServiceError("bank_line_booked")
    if line.status == "ignored":
        raise ServiceError("bank_line_ignored")


def book_line(line_id: int, lease_id: int | None = None) -> BankLine:
    """Record the line as a bank transfer received for `lease_id` (default: the suggestion)."""
    line = get_line(line_id, for_update=True)
    _check_pending(line)
    lease_id = lease_id or line.suggested_lease_id
    if lease_id is None:
        raise ServiceError("bank_lease_required", "lease_id")
    payment = record_payment(
        lease_id=lease_id,
        received_on=line.booked_on,
        amount=line.amount,
        method="transfer",
        reference=line.concept,
        source="bank",
    )
    line.status = "booked"
    line.payment_id = payment.id
    session.flush()
    return line


def ignore_line(line_id: int) -> BankLine:
    """Leave the line out of the rent book (not rent, or recorded another way)."""
    line = get_line(line_id, for_update=True)
    if line.status == "booked":
        raise ServiceError("bank_line_booked")
    line.status = "ignored"
    session.flush()
    return line


def book_all_exact(statement_id: int) -> int:
    """Book every pending line of the statement whose suggestion is exact. Returns how many."""
    statement = get_statement(statement_id)
    lines = session.scalars(
        select(BankLine)
        .where(
            BankLine.statement_id == statement.id,
            BankLine.status == "pending",
            BankLine.match == "exact",
            BankLine.suggested_lease_id.is_not(None),
        )
        .order_by(BankLine.booked_on, BankLine.id)
        .with_for_update()  # a "Book" clicked meanwhile waits, it does not book twice
    ).all()
    for line in lines:
        book_line(line.id)
    return len(lines)


# --- reading back -------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementSummary:
    statement: BankStatement
    lines: int
    pending: int
    booked: int
    exact_pending: int


def list_statements() -> list[StatementSummary]:
    """Past statements, newest first, with how many lines are still to review."""
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(BankLine.statement_id, BankLine.status, BankLine.match, func.count()).group_by(
            BankLine.statement_id, BankLine.status, BankLine.match
        )
    ).all()
    for statement_id, status, match, n in rows:
        c = counts.setdefault(statement_id, {"lines": 0, "pending": 0, "booked": 0, "exact": 0})
        c["lines"] += n
        c[status] = c.get(status, 0) + n
        if status == "pending" and match == "exact":
            c["exact"] += n
    statements = session.scalars(
        select(BankStatement)
        .options(lazyload(BankStatement.lines))  # counted above, not loaded
        .order_by(BankStatement.created_at.desc(), BankStatement.id.desc())
    ).all()
    empty = {"lines": 0, "pending": 0, "booked": 0, "exact": 0}
    return [
        StatementSummary(
            s,
            counts.get(s.id, empty)["lines"],
            counts.get(s.id, empty)["pending"],
            counts.get(s.id, empty)["booked"],
            counts.get(s.id, empty)["exact"],
        )
        for s in statements
    ]


def payments_of(statement: BankStatement) -> dict[int, Payment]:
    """The payments booked from the statement's lines, by id."""
    ids = [line.payment_id for line in statement.lines if line.payment_id is not None]
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Payment).where(Payment.id.in_(ids)))}


def bookable_leases() -> list[Lease]:
    """Leases a line can be booked to: every one that is not a draft, by unit."""
    leases = session.scalars(select(Lease).where(Lease.status != "draft")).all()
    return sorted(leases, key=lambda lease: (lease.status != "active", lease.title.casefold()))
