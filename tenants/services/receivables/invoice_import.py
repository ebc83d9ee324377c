"""Invoices from a CSV file: read it, guess which column is what, preview, then import.

`import_invoices` checks every row first and imports nothing when any row has a problem (each
one reported with its row, its column and what is wrong). Then it writes set-based, in batches:
clients by NIF/CIF (created when missing) and invoices by number (new ones inserted, unpaid
ones updated), so importing the same file again updates and never duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Integer, Numeric, String, case, column, func, literal, select, update, values
from sqlalchemy.dialects import postgresql

from tenants.db import current_tenant_id, session, utcnow
from tenants.models import Charge, ChargeLine, Party
from tenants.services import csv_files
from tenants.services.billing import plans
from tenants.services.csv_files import Headers, Row, RowError, Table, parse_amount, parse_date
from tenants.services.errors import ServiceError
from tenants.services.receivables.invoices import CURRENCIES
from tenants.services.rentals.parties import check_tax_id

BATCH = 2000
PREVIEW_ROWS = 20
MAX_ROWS = 200_000
MAX_ERRORS = 500  # enough to fix a file; a file with more is the wrong file
PREFIX = "invoice_import"  # of the message codes the reader raises
MAX_AMOUNT = Decimal("9999999999.99")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

# The fields of an invoice, in the order the mapping form shows them.
FIELDS = (
    "number",
    "client",
    "tax_id",
    "email",
    "issue_date",
    "due_date",
    "base",
    "vat",
    "total",
    "currency",
    "description",
)
REQUIRED = ("number", "tax_id", "issue_date", "due_date", "total")
# Header names as people write them, best first.
HEADERS = {
    "number": (
        "numero",
        "number",
        "n",
        "no",
        "num",
        "numero factura",
        "numero de factura",
        "n factura",
        "no factura",
        "num factura",
        "factura",
        "invoice",
        "invoice number",
        "invoice no",
    ),
    "client": (
        "cliente",
        "client",
        "customer",
        "nombre",
        "name",
        "razon social",
        "nombre cliente",
        "client name",
        "customer name",
        "deudor",
        "debtor",
    ),
    "tax_id": (
        "nif",
        "cif",
        "nif cif",
        "cif nif",
        "nie",
        "dni",
        "nif cliente",
        "cif cliente",
        "tax id",
        "vat number",
        "vat id",
    ),
    "email": ("email", "e mail", "correo", "correo electronico", "mail"),
    "issue_date": (
        "fecha",
        "fecha emision",
        "fecha de emision",
        "fecha factura",
        "fecha expedicion",
        "issue date",
        "date",
        "invoice date",
    ),
    "due_date": (
        "vencimiento",
        "fecha vencimiento",
        "fecha de vencimiento",
        "vence",
        "due date",
        "due",
        "due on",
    ),
    "base": (
        "base",
        "base imponible",
        "importe base",
        "neto",
        "net",
        "net amount",
        "subtotal",
        "taxable base",
    ),
    "vat": ("iva", "vat", "cuota iva", "importe iva", "tax", "impuesto", "impuestos", "vat amount"),
    "total": ("total", "importe", "importe total", "total factura", "amount", "total amount"),
    "currency": ("moneda", "divisa", "currency"),
    "description": ("concepto", "descripcion", "description", "concept", "detalle", "details"),
}
COLUMNS = Headers(HEADERS)


class ImportInvalid(ServiceError):
    """Rows with problems: nothing was imported; `errors` lists them (at most MAX_ERRORS)."""

    def __init__(self, errors: list[RowError], count: int):
        super().__init__("invoice_import_rows_invalid", "file", count=count)
        self.errors = errors
        self.count = count


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    skipped_paid: int = 0  # already (partly) paid or credited: left as they are
    clients_created: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


# --- reading ------------------------------------------------------------------------------


def read_table(content: bytes) -> Table:
    """The header and the rows of a CSV file (see tenants.services.csv_files)."""
    table = csv_files.read_table(csv_files.decode(content, PREFIX), PREFIX)
    if not table.rows:
        raise ServiceError("invoice_import_no_rows", "file")
    if len(table.rows) > MAX_ROWS:
        raise ServiceError("invoice_import_too_many_rows", "file", max=MAX_ROWS)
    return table


def guess_mapping(headers: list[str]) -> dict[str, int | None]:
    """For each field, the index of the column whose header names it best (or None)."""
    return COLUMNS.find(headers, starts=True)


def check_mapping(mapping: dict, headers: list[str]) -> dict[str, int | None]:
    """A clean mapping: known fields, columns that exist, the required ones present, each
    column used once. ServiceError(code, field) otherwise."""
    clean: dict[str, int | None] = {}
    used: dict[int, str] = {}
    for key in FIELDS:
        raw = mapping.get(key)
        if raw in (None, ""):
            index = None
        else:
            try:
                index = int(raw)
            except (TypeError, ValueError):
                raise ServiceError("choice_invalid", key) from None
            if not 0 <= index < len(headers):
                raise ServiceError("choice_invalid", key)
            if index in used:
                raise ServiceError("invoice_import_column_twice", key, column=headers[index])
            used[index] = key
        if index is None and key in REQUIRED:
            raise ServiceError("invoice_import_column_required", key)
        clean[key] = index
    return clean


def preview(table: Table, mapping: dict[str, int | None], limit: int = PREVIEW_ROWS) -> list[dict]:
    """The first rows as the import will read them: {field: text} per row."""
    return [
        {
            key: (row.cells[index] if index is not None and index < len(row.cells) else "")
            for key, index in mapping.items()
        }
        for row in table.rows[:limit]
    ]


# --- checking -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    row: int
    number: str
    client: str
    tax_id: str
    tax_kind: str
    email: str | None
    issue_date: date
    due_date: date
    base: Decimal | None
    vat: Decimal | None
    total: Decimal
    currency: str
    description: str


class _Checker:
    """Validates rows; caches what repeats across 100,000 rows (dates, tax ids)."""

    def __init__(self, table: Table, mapping: dict[str, int | None]):
        self.table = table
        self.mapping = mapping
        self.errors: list[RowError] = []
        self.count = 0
        self._dates: dict[str, date | None] = {}
        self._tax_ids: dict[str, tuple[str | None, str | None] | None] = {}
        self._numbers: dict[str, int] = {}

    def _error(self, row: int, key: str, code: str, **params) -> None:
        self.count += 1
        if len(self.errors) < MAX_ERRORS:
            column = (
                self.table.headers[self.mapping[key]] if self.mapping.get(key) is not None else ""
            )
            self.errors.append(RowError(row, column, code, params))

    def _date(self, text: str) -> date | None:
        if text not in self._dates:
            self._dates[text] = parse_date(text)
        return self._dates[text]

    def _tax_id(self, text: str) -> tuple[str | None, str | None] | None:
        if text not in self._tax_ids:
            try:
                self._tax_ids[text] = check_tax_id(text)
            except ServiceError:
                self._tax_ids[text] = None
        return self._tax_ids[text]

    def _amount(self, number: int, key: str, text: str, *, required: bool) -> Decimal | None:
        if not text:
            if required:
                self._error(number, key, "invoice_import_required")
            return None
        value = parse_amount(text)
        if value is None:
            self._error(number, key, "invoice_import_amount_invalid", value=text[:40])
        elif value < 0 or (value == 0 and key == "total"):
            self._error(number, key, "invoice_import_amount_not_positive", value=text[:40])
        elif value > MAX_AMOUNT:
            self._error(number, key, "invoice_import_amount_too_large", value=text[:40])
        else:
            return value
        return None

    def check(self, row: Row) -> _Row | None:
        before, number, cells = self.count, row.number, row.cells
        if self.table.overflows(row):
            self._error(number, "", "invoice_import_too_many_cells")
        get = {
            key: (cells[index] if index < len(cells) else "")
            for key, index in self.mapping.items()
            if index is not None
        }
        invoice_number = get.get("number", "")
        if not invoice_number:
            self._error(number, "number", "invoice_import_required")
        elif len(invoice_number) > 40:
            self._error(number, "number", "invoice_import_too_long", max=40)
        elif invoice_number in self._numbers:
            self._error(
                number,
                "number",
                "invoice_import_number_repeated",
                value=invoice_number,
                first=self._numbers[invoice_number],
            )
        else:
            self._numbers[invoice_number] = number
        raw_tax_id = get.get("tax_id", "")
        tax = self._tax_id(raw_tax_id) if raw_tax_id else None
        if not raw_tax_id:
            self._error(number, "tax_id", "invoice_import_required")
        elif tax is None:
            self._error(number, "tax_id", "invoice_import_tax_id_invalid", value=raw_tax_id[:20])
        client = get.get("client", "")[:200]
        email = get.get("email", "") or None
        if email is not None:
            email = email.lower()
            if not _EMAIL.fullmatch(email) or len(email) > 254:
                self._error(number, "email", "invoice_import_email_invalid", value=email[:60])
        dates = {}
        for key in ("issue_date", "due_date"):
            text = get.get(key, "")
            dates[key] = self._date(text) if text else None
            if not text:
                self._error(number, key, "invoice_import_required")
            elif dates[key] is None:
                self._error(number, key, "invoice_import_date_invalid", value=text[:40])
        if dates["issue_date"] and dates["due_date"] and dates["due_date"] < dates["issue_date"]:
            self._error(number, "due_date", "due_before_issue")
        total = self._amount(number, "total", get.get("total", ""), required=True)
        base = self._amount(number, "base", get.get("base", ""), required=False)
        vat = self._amount(number, "vat", get.get("vat", ""), required=False)
        currency = (get.get("currency", "") or "EUR").upper()
        if currency in ("€", "EUROS", "EURO"):
            currency = "EUR"
        if currency not in CURRENCIES:
            self._error(number, "currency", "invoice_import_currency_unknown", value=currency[:10])
        if self.count > before:
            return None
        return _Row(
            number,
            invoice_number,
            client,
            tax[0],
            tax[1],
            email,
            dates["issue_date"],
            dates["due_date"],
            base,
            vat,
            total,
            currency,
            get.get("description", "")[:200],
        )


def check_rows(table: Table, mapping: dict[str, int | None]) -> list[_Row]:
    """Every row read, or ImportInvalid listing the problems (row, column, code, params)."""
    checker = _Checker(table, mapping)
    rows = []
    for row in table.rows:
        checked = checker.check(row)
        if checked is not None:
            rows.append(checked)
    if checker.count:
        raise ImportInvalid(checker.errors, checker.count)
    if not rows:
        raise ServiceError("invoice_import_no_rows", "file")
    return rows


# --- writing ------------------------------------------------------------------------------


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _ensure_clients(rows: list[_Row], tenant_id: int) -> tuple[dict[str, int], int]:
    """Party id by tax id; parties missing are created (the first row's name and email)."""
    first: dict[str, _Row] = {}
    for row in rows:
        first.setdefault(row.tax_id, row)

    def known(tax_ids: list[str]) -> dict[str, int]:
        # One pass over the workspace's parties: a long IN list would be slower.
        wanted = set(tax_ids)
        ids: dict[str, int] = {}
        found = session.execute(
            select(Party.tax_id, Party.id).where(Party.tax_id.is_not(None)).order_by(Party.id)
        )
        for tax_id, party_id in found:
            if tax_id in wanted:
                ids.setdefault(tax_id, party_id)  # the oldest, if someone is there twice
        return ids

    ids = known(list(first))
    missing = [first[t] for t in first if t not in ids]
    now = utcnow()
    for chunk in _chunks(missing, BATCH):
        session.execute(
            postgresql.insert(Party.__table__),
            [
                {
                    "tenant_id": tenant_id,
                    "kind": "company" if row.tax_kind == "cif" else "person",
                    "name": row.client or row.tax_id,
                    "tax_id": row.tax_id,
                    "tax_id_type": row.tax_kind,
                    "email": row.email,
                    "country": "ES",
                    "language": "es",
                    "is_business": row.tax_kind == "cif",
                    "notes": "",
                    "created_at": now,
                }
                for row in chunk
            ],
        )
    if missing:
        ids.update(known([row.tax_id for row in missing]))
    return ids, len(missing)


_UPDATED = (
    "party_id",
    "issue_date",
    "due_date",
    "amount",
    "base",
    "vat",
    "currency",
    "description",
)


def _existing_invoices(numbers: set[str]) -> dict[str, tuple[int, bool]]:
    """(id, still writable) of the invoices already there, by number: one pass over the
    workspace's invoices (long IN lists are slow on a table that grows during the import)."""
    found = session.execute(
        select(Charge.number, Charge.id, Charge.paid, Charge.credited).where(
            Charge.kind == "invoice"
        )
    )
    return {
        number: (charge_id, paid == 0 and credited == 0)
        for number, charge_id, paid, credited in found
        if number in numbers
    }


def _upsert_batch(
    rows: list[_Row],
    parties: dict[str, int],
    tenant_id: int,
    result: ImportResult,
    existing: dict[str, tuple[int, bool]],
) -> None:
    """One batch: executemany statements (pipelined by the driver) and one INSERT … SELECT.

    RETURNING is avoided on purpose: with it, the driver parses a statement of thousands of
    placeholders per batch, several times slower than the whole import."""
    charges = Charge.__table__
    # A paid, partly paid or credited invoice is history: the file does not rewrite it.
    writable = [row for row in rows if existing.get(row.number, (None, True))[1]]
    new = [row.number for row in writable if row.number not in existing]
    again = [(existing[row.number][0], row) for row in writable if row.number in existing]
    now = utcnow()  # the new rows are the ones created at this instant, after `floor`
    floor = session.scalar(select(func.coalesce(func.max(Charge.id), 0))) if new else 0
    if writable:
        insert = postgresql.insert(charges)
        statement = insert.on_conflict_do_update(
            index_elements=["tenant_id", "kind", "number"],
            set_={name: insert.excluded[name] for name in _UPDATED},
            where=(charges.c.paid == 0) & (charges.c.credited == 0),
        )
        session.execute(
            statement,
            [
                {
                    "tenant_id": tenant_id,
                    "kind": "invoice",
                    "party_id": parties[row.tax_id],
                    "number": row.number,
                    "issue_date": row.issue_date,
                    "due_date": row.due_date,
                    "amount": row.total,
                    "base": row.base,
                    "vat": row.vat,
                    "currency": row.currency,
                    "description": row.description,
                    "paid": Decimal("0"),
                    "credited": Decimal("0"),
                    "dispute_reason": "",
                    "created_at": now,
                }
                for row in writable
            ],
        )
    if new:  # their one line, straight from the rows just inserted
        lines = select(
            Charge.tenant_id,
            Charge.id,
            literal("other"),
            case((Charge.description == "", Charge.number), else_=Charge.description),
            Charge.amount,
        ).where(Charge.kind == "invoice", Charge.created_at == now, Charge.id > floor)
        session.execute(
            postgresql.insert(ChargeLine.__table__).from_select(
                ["tenant_id", "charge_id", "kind", "description", "amount"], lines
            )
        )
    if again:  # their line follows the new total
        # One UPDATE … FROM (VALUES …) per batch, not one UPDATE per line: with the tenant
        # condition every statement carries, a per-line UPDATE on just-imported rows (no
        # statistics yet) was planned as a scan of the tenant's whole index, 100,000 times.
        lines = ChargeLine.__table__
        new_lines = values(
            column("cid", Integer),
            column("amt", Numeric(12, 2)),
            column("text", String),
            name="new_lines",
        ).data([(charge_id, row.total, row.description or row.number) for charge_id, row in again])
        session.execute(
            update(lines)
            .where(lines.c.charge_id == new_lines.c.cid)
            .values(amount=new_lines.c.amt, description=new_lines.c.text)
        )
    result.created += len(new)
    result.updated += len(again)
    result.skipped_paid += len(rows) - len(writable)


def import_invoices(
    table: Table,
    mapping: dict,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Check every row, then write them all (in the caller's transaction), or raise
    ImportInvalid and write nothing. `progress(done, total)` is called between batches."""
    mapping = check_mapping(mapping, table.headers)
    rows = check_rows(table, mapping)
    tenant_id = current_tenant_id()
    result = ImportResult(total=len(rows))
    parties, result.clients_created = _ensure_clients(rows, tenant_id)
    existing = _existing_invoices({row.number for row in rows})
    plans.check_limit("invoices", len({row.number for row in rows} - set(existing)))
    done = 0
    if progress:
        progress(done, len(rows))
    for chunk in _chunks(rows, BATCH):
        _upsert_batch(chunk, parties, tenant_id, result, existing)
        done += len(chunk)
        if progress:
            progress(done, len(rows))
    session.flush()
    return result
