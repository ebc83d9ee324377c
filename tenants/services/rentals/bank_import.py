"""Bank statements: read the CSV a Spanish bank exports, suggest a lease for every line, and
book the lines the landlord confirms as payments.

Nothing is booked on import. A file with any unreadable row imports nothing and reports every
problem (row, column, what is wrong), so the landlord fixes the file once and uploads it again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import PurePosixPath

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from tenants.db import session
from tenants.models import BankLine, BankStatement, Lease, Payment
from tenants.services.csv_files import (
    Headers,
    RowError,
    Table,
    decode,
    parse_amount,
    parse_date,
    read_table,
)
from tenants.services.errors import NotFound, ServiceError
from tenants.services.receivables.payments import record_payment
from tenants.services.rentals.bank_matching import LeaseMatcher

MAX_LINES = 5000
HEADER_SEARCH_ROWS = 30  # banks put the account, holder and dates above the header
PREFIX = "bank"  # of the message codes the reader raises
# Header names as banks write them, best first: with both "fecha operación" and "fecha
# valor", the operation date is the payment date.
COLUMNS = Headers(
    {
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
)
REQUIRED = ("date", "amount", "concept")
CONCEPT_LENGTH = 300


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


def _read_table(content: bytes) -> Table:
    text = decode(content, PREFIX)
    try:
        return read_table(
            text, PREFIX, headers=COLUMNS, required=REQUIRED, search_rows=HEADER_SEARCH_ROWS
        )
    except ServiceError as error:
        if error.code != f"{PREFIX}_header_missing":
            raise
        # A date and an amount but no concept: say which column is missing.
        read_table(
            text, PREFIX, headers=COLUMNS, required=REQUIRED[:2], search_rows=HEADER_SEARCH_ROWS
        )
        raise ServiceError("bank_concept_column_missing", "file") from None


def parse_statement(content: bytes) -> list[ParsedLine]:
    """Every movement of the file, or StatementInvalid listing every bad row."""
    table = _read_table(content)
    found = COLUMNS.find(table.headers)
    date_at, amount_at = found["date"], found["amount"]
    concepts = COLUMNS.columns(table.headers, "concept")
    needed = (date_at, amount_at, *concepts)
    lines, errors = [], []
    for row in table.rows:
        cells, number = row.cells, row.number
        # A row longer than the header is no error here: banks add unnamed columns.
        if len(cells) <= max(needed):
            missing = table.headers[next(i for i in needed if i >= len(cells))]
            errors.append(RowError(number, missing, "bank_column_missing", {"column": missing}))
            continue
        raw_date, raw_amount = cells[date_at], cells[amount_at]
        if not raw_date and not raw_amount:
            continue  # a total or a note under the movements
        booked_on, amount = parse_date(raw_date), parse_amount(raw_amount)
        if booked_on is None:
            code = "bank_date_invalid" if raw_date else "bank_date_missing"
            errors.append(RowError(number, table.headers[date_at], code, {"value": raw_date[:40]}))
        if amount is None:
            code = "bank_amount_invalid" if raw_amount else "bank_amount_missing"
            column = table.headers[amount_at]
            errors.append(RowError(number, column, code, {"value": raw_amount[:40]}))
        if booked_on is not None and amount is not None:
            concept = " ".join(" ".join(cells[i].split()) for i in concepts if cells[i])
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
    parsed = parse_statement(content)
    digest = hashlib.sha256(content).hexdigest()
    earlier = session.scalar(select(BankStatement).where(BankStatement.sha256 == digest))
    if earlier is not None:
        raise ServiceError("bank_statement_duplicate", "file", filename=earlier.filename)
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
