"""Import a rent book from one CSV file: properties, units, parties and leases, all or nothing.

One row per lease, or per vacant unit. The file is read by tenants.services.csv_files:
headers Spanish or English (any case, with or without accents), cells separated by ";", ",",
tab or "|", the text UTF-8, UTF-16 or Latin-1; dates dd/mm/yyyy or ISO, amounts "1.234,56".

Both steps run every row through the services the forms use (create_property, add_unit,
create_party, create_lease), each row in its own savepoint inside one savepoint for the file:
`preview_import` always rolls the file back and reports what each row would create;
`apply_import` keeps the result only if no row failed. The caller commits.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from tenants.db import session
from tenants.models import Party
from tenants.services.csv_files import Headers, RowError, comparable, decode, parse_date, read_table
from tenants.services.errors import ServiceError
from tenants.services.platform.accounts import normalise_email
from tenants.services.receivables.payments import parse_amount
from tenants.services.rentals import deposits, leases, parties, periods, properties

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 500  # a landlord with 300 units fits; each row takes ~30 ms to check, twice
PREFIX = "import"  # of the message codes the reader raises
LANGUAGES = ("es", "en")


@dataclass(frozen=True)
class Column:
    key: str
    es: str  # the header of the Spanish template
    en: str  # the header of the English template
    aliases: tuple[str, ...] = ()
    max_length: int | None = None

    def title(self, language: str) -> str:
        return self.en if language == "en" else self.es


COLUMNS = (
    Column("property_name", "Inmueble", "Property",
           ("edificio", "propiedad", "finca", "nombre inmueble", "building", "property name"),
           120),
    Column("street", "Dirección", "Street",
           ("calle", "direccion inmueble", "domicilio", "address", "street address"), 200),
    Column("postal_code", "Código postal", "Postal code",
           ("cp", "c p", "cod postal", "postcode", "zip", "zip code")),
    Column("city", "Municipio", "City", ("ciudad", "localidad", "poblacion", "town"), 100),
    Column("province", "Provincia", "Province"),
    Column("unit_label", "Unidad", "Unit",
           ("piso", "puerta", "unit label", "flat", "apartment"), 60),
    Column("unit_use", "Uso", "Use", ("uso unidad", "tipo uso", "unit use", "use type")),
    Column("cadastral_ref", "Referencia catastral", "Cadastral reference",
           ("ref catastral", "catastro", "cadastral ref")),
    Column("renter_name", "Inquilino", "Renter",
           ("nombre inquilino", "arrendatario", "renter name", "tenant", "tenant name"), 200),
    Column("renter_tax_id", "NIF inquilino", "Renter NIF",
           ("dni inquilino", "nie inquilino", "nif nie cif inquilino", "nif arrendatario",
            "renter tax id", "renter nif nie cif", "tenant nif")),
    Column("renter_email", "Email inquilino", "Renter email",
           ("correo inquilino", "e mail inquilino", "correo electronico inquilino",
            "tenant email"), 254),
    Column("renter_phone", "Teléfono inquilino", "Renter phone",
           ("movil inquilino", "tel inquilino", "tenant phone"), 32),
    Column("renter_language", "Idioma inquilino", "Renter language",
           ("idioma", "language", "tenant language")),
    Column("renter2_name", "Segundo inquilino", "Second renter",
           ("inquilino 2", "nombre segundo inquilino", "second renter name", "renter 2"), 200),
    Column("renter2_tax_id", "NIF segundo inquilino", "Second renter NIF",
           ("nif inquilino 2", "dni segundo inquilino", "second renter tax id", "renter 2 nif")),
    Column("guarantor_name", "Avalista", "Guarantor",
           ("nombre avalista", "fiador", "garante", "guarantor name"), 200),
    Column("guarantor_tax_id", "NIF avalista", "Guarantor NIF",
           ("dni avalista", "nie avalista", "nif fiador", "guarantor tax id")),
    Column("start_date", "Inicio", "Start",
           ("fecha inicio", "inicio contrato", "fecha inicio contrato", "start date",
            "lease start")),
    Column("end_date", "Fin", "End",
           ("fecha fin", "fin contrato", "fecha fin contrato", "end date", "lease end")),
    Column("rent", "Renta", "Rent",
           ("renta mensual", "alquiler", "importe alquiler", "monthly rent", "rent amount")),
    Column("due_day", "Día de pago", "Due day",
           ("dia pago", "dia cobro", "dia vencimiento", "payment day")),
    Column("payment_method", "Forma de pago", "Payment method",
           ("metodo pago", "medio pago", "pago", "payment")),
    Column("iban", "IBAN", "IBAN", ("cuenta", "cuenta bancaria", "bank account", "account")),
    Column("deposit", "Fianza", "Deposit", ("importe fianza", "deposit amount")),
    Column("community_fees", "Comunidad", "Community fees",
           ("gastos comunidad", "cuota comunidad", "community")),
    Column("update_clause", "Actualización", "Rent update",
           ("actualizacion renta", "clausula actualizacion", "indice actualizacion",
            "update clause", "update")),
)  # fmt: skip
BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED_COLUMNS = ("property_name", "unit_label")
ADDRESS_COLUMNS = ("street", "postal_code", "city", "province")
# A row that fills any of these is a lease; a row that fills none is a vacant unit.
LEASE_COLUMNS = tuple(c.key for c in COLUMNS[COLUMNS.index(BY_KEY["renter_name"]) :])
HEADERS = Headers({c.key: (c.key.replace("_", " "), c.es, c.en, *c.aliases) for c in COLUMNS})

# Cell values (normalised: lower case, no accents) -> what they mean.
USES = {
    "vivienda": "housing", "otro": "other", "housing": "housing", "other": "other",
    "uso distinto": "other", "uso distinto vivienda": "other", "otros": "other",
    "local": "other", "oficina": "other", "garaje": "other", "plaza garaje": "other",
    "trastero": "other", "comercial": "other", "home": "housing", "flat": "housing",
    "commercial": "other", "premises": "other", "parking": "other",
}  # fmt: skip
PAYMENT_METHODS = {
    "transferencia": "transfer", "domiciliacion": "direct_debit", "efectivo": "cash",
    "transfer": "transfer", "direct debit": "direct_debit", "cash": "cash",
    "transferencia bancaria": "transfer", "bank transfer": "transfer",
    "domiciliacion bancaria": "direct_debit", "domiciliado": "direct_debit",
    "recibo": "direct_debit", "recibo domiciliado": "direct_debit", "adeudo": "direct_debit",
    "debit": "direct_debit", "metalico": "cash", "en efectivo": "cash",
}  # fmt: skip
PARTY_LANGUAGES = {
    "es": "es", "en": "en", "espanol": "es", "castellano": "es", "spanish": "es", "esp": "es",
    "ingles": "en", "english": "en", "eng": "en",
}  # fmt: skip
# What the template and the error messages offer, in the landlord's language.
ACCEPTED = {
    "es": {
        "unit_use": "vivienda, otro",
        "payment_method": "transferencia, domiciliación, efectivo",
        "update_clause": "ninguna, IPC, IRAV, fijo 3%",
        "renter_language": "es, en",
    },
    "en": {
        "unit_use": "housing, other",
        "payment_method": "transfer, direct debit, cash",
        "update_clause": "none, IPC, IRAV, fixed 3%",
        "renter_language": "es, en",
    },
}
_NO_UPDATE = {"", "ninguna", "ninguno", "no", "sin actualizacion", "none", "no update"}
_FIXED = re.compile(r"^(?:fijo|fija|fixed)?\s*(\d{1,2}(?:[.,]\d{1,2})?)\s*%?$")
MAX_AMOUNT = Decimal("10000000")  # ten million euros: beyond it a cell is a typo
COMMUNITY_FEES = {"es": "Gastos de comunidad", "en": "Community fees"}
REGIONS = {"Madrid": "madrid", "Barcelona": "cataluna", "Girona": "cataluna",
           "Lleida": "cataluna", "Tarragona": "cataluna"}  # fmt: skip


# --- what a file would create ---------------------------------------------------------------


@dataclass
class Target:
    """A property, unit or party a row uses: created by this row, by an earlier row of the
    file ("file", `row` says which), or already in the workspace ("existing")."""

    name: str
    status: str = "new"  # new / file / existing
    row: int | None = None
    id: int | None = None


@dataclass
class PartyRow:
    role: str  # renter / guarantor
    prefix: str  # the columns' prefix: renter, renter2, guarantor
    name: str
    tax_id: str | None
    email: str | None = None
    phone: str | None = None
    language: str = "es"
    target: Target | None = None


@dataclass
class LeaseRow:
    start_date: date
    end_date: date | None
    rent: Decimal
    due_day: int
    payment_method: str
    iban: str | None
    deposit: Decimal | None  # None: the legal amount, known once the lease is checked
    community_fees: Decimal | None
    update_clause: str
    update_fixed_pct: Decimal | None
    id: int | None = None


@dataclass
class Row:
    row: int
    cells: dict[str, str]
    property: Target | None = None
    unit: Target | None = None
    unit_use: str = "housing"
    parties: list[PartyRow] = field(default_factory=list)
    lease: LeaseRow | None = None
    errors: list[RowError] = field(default_factory=list)
    warnings: list[tuple[str, dict]] = field(default_factory=list)

    def fail(self, column: str | None, code: str, **params) -> None:
        self.errors.append(RowError(self.row, column, code, params))


@dataclass
class ImportResult:
    rows: list[Row] = field(default_factory=list)
    file_errors: list[RowError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # column key -> header as written
    ignored_headers: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def errors(self) -> list[RowError]:
        return self.file_errors + [e for row in self.rows for e in row.errors]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors

    def count_new(self) -> dict[str, int]:
        """How many properties, units, parties and leases the file creates."""
        rows = [r for r in self.rows if not r.errors]
        return {
            "properties": sum(1 for r in rows if r.property and r.property.status == "new"),
            "units": sum(1 for r in rows if r.unit and r.unit.status == "new"),
            "parties": sum(
                1 for r in rows for p in r.parties if p.target and p.target.status == "new"
            ),
            "leases": sum(1 for r in rows if r.lease is not None),
        }


def column_title(key: str, language: str) -> str:
    return BY_KEY[key].title(language)


# --- the template ---------------------------------------------------------------------------


def template_csv(language: str = "es") -> str:
    """A file to fill in a spreadsheet: the headers and two example rows (a let flat with its
    guarantor, a shop let to two renters). Separated by ";" so Spanish Excel opens it."""
    spanish = language != "en"
    let_flat = {
        "property_name": "Calle Mayor 12",
        "street": "Calle Mayor 12",
        "postal_code": "28013",
        "city": "Madrid",
        "province": "Madrid",
        "unit_label": "1º A",
        "unit_use": "vivienda" if spanish else "housing",
        "renter_name": "Lucía Martín Gómez",
        "renter_tax_id": "12345678Z",
        "renter_email": "lucia@example.com",
        "renter_phone": "600 123 456",
        "renter_language": "es",
        "guarantor_name": "Pedro Martín Ruiz",
        "guarantor_tax_id": "X1234567L",
        "start_date": "01/09/2024",
        "end_date": "31/08/2029",
        "rent": "950,00" if spanish else "950.00",
        "due_day": "5",
        "payment_method": "transferencia" if spanish else "transfer",
        "iban": "ES91 2100 0418 4502 0005 1332",
        "community_fees": "45,00" if spanish else "45.00",
        "update_clause": "IRAV",
    }
    shop = {
        "property_name": "Calle Mayor 12",
        "unit_label": "Local 1",
        "unit_use": "otro" if spanish else "other",
        "renter_name": "Frutas Martín S.L.",
        "renter_tax_id": "B12345674",
        "renter_email": "tienda@example.com",
        "renter_language": "es",
        "renter2_name": "Ana Martín Gómez",
        "renter2_tax_id": "87654321X",
        "start_date": "15/01/2025",
        "rent": "1.200,00" if spanish else "1200.00",
        "due_day": "1",
        "payment_method": "domiciliación" if spanish else "direct debit",
        "iban": "ES79 2100 0813 6101 2345 6789",
        "deposit": "2.400,00" if spanish else "2400.00",
        "update_clause": "fijo 3%" if spanish else "fixed 3%",
    }
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if spanish else ",", lineterminator="\r\n")
    writer.writerow([c.title(language) for c in COLUMNS])
    for example in (let_flat, shop):
        writer.writerow([example.get(c.key, "") for c in COLUMNS])
    return "\ufeff" + out.getvalue()  # the BOM tells Excel the file is UTF-8


# --- reading the file -----------------------------------------------------------------------


def read_upload(content: bytes) -> str:
    """The text of an uploaded file, or ServiceError for a file too large or not a CSV."""
    if len(content) > MAX_BYTES:
        raise ServiceError("import_too_large", "file", max=MAX_BYTES // (1024 * 1024))
    return decode(content, PREFIX)


def _read_header(
    number: int, cells: list[str], result: ImportResult, language: str
) -> list[str | None]:
    keys: list[str | None] = []
    for cell in cells:
        key = HEADERS.field(cell)
        if key is not None and key in result.headers:
            result.file_errors.append(
                RowError(number, key, "import_column_repeated", {"column": cell})
            )
        if key is not None:
            result.headers[key] = cell
        elif cell:
            result.ignored_headers.append(cell)
        keys.append(key)
    for key in REQUIRED_COLUMNS:
        if key not in result.headers:
            result.file_errors.append(
                RowError(
                    number, key, "import_column_missing", {"column": column_title(key, language)}
                )
            )
    return keys


def _parse(text: str, language: str) -> ImportResult:
    result = ImportResult()
    try:
        table = read_table(text, PREFIX)
    except ServiceError as error:
        result.file_errors.append(RowError(1, None, error.code))
        return result
    keys = _read_header(table.header_row, table.headers, result, language)
    if result.file_errors:
        return result
    if not table.rows:
        result.file_errors.append(RowError(table.header_row, None, "import_empty"))
    if len(table.rows) > MAX_ROWS:
        result.file_errors.append(
            RowError(table.header_row, None, "import_too_many_rows", {"max": MAX_ROWS})
        )
        return result
    for line in table.rows:
        values = {k: v for k, v in zip(keys, line.cells, strict=False) if k is not None}
        row = Row(line.number, {k: values.get(k, "") for k in BY_KEY})
        if table.overflows(line):
            row.fail(None, "import_too_many_cells")
        _read_row(row, language)
        result.rows.append(row)
    _share_addresses(result.rows)
    return result


def _share_addresses(rows: list[Row]) -> None:
    """The rows of a property after the first may leave its address empty: they take the first
    one the file gives, so a mistake elsewhere on that row does not fail all the others."""
    given: dict[str, Row] = {}
    for row in rows:
        if any(row.cells[k] for k in ADDRESS_COLUMNS):
            given.setdefault(row.property.name.casefold(), row)
    for row in rows:
        source = given.get(row.property.name.casefold())
        if source is None or any(row.cells[k] for k in ADDRESS_COLUMNS):
            continue
        if any(e.column in ADDRESS_COLUMNS for e in source.errors):
            row.fail(None, "import_address_in_row", row=source.row)
        else:
            row.cells.update({k: source.cells[k] for k in ADDRESS_COLUMNS})


# --- reading one row ------------------------------------------------------------------------


def _choice(row: Row, key: str, table: dict, language: str, default: str) -> str:
    raw = row.cells[key]
    if not raw:
        return default
    value = table.get(comparable(raw))
    if value is None:
        row.fail(key, "import_choice", value=raw, choices=ACCEPTED[language][key])
        return default
    return value


def _amount(row: Row, key: str, *, allow_zero: bool = False) -> Decimal | None:
    """Euros as a landlord writes them: "850", "850,50", "1.234,56", "1.200", "1234.56"."""
    text = re.sub(r"(?i)(eur(os)?|€)", "", row.cells[key]).replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")  # Spanish thousands: "1.200" is 1200 euros
    elif re.fullmatch(r"\d{1,3}(,\d{3})+", text):
        row.fail(key, "amount_invalid")  # "1,200": 1.20 or 1200? Never guess money.
        return None
    elif "," in text and "." in text and text.rfind(".") > text.rfind(","):
        text = text.replace(",", "")  # English "1,234.56"
    try:
        value = parse_amount(text, key, allow_zero=allow_zero)
    except ServiceError as error:
        row.fail(key, error.code, **error.params)
        return None
    if value >= MAX_AMOUNT:
        row.fail(key, "import_amount_too_large")
        return None
    return value


def _date(row: Row, key: str) -> date | None:
    value = parse_date(row.cells[key])
    if value is None:
        row.fail(key, "date_invalid")
    return value


def _text(row: Row, key: str, *, required: bool = False) -> str:
    value = row.cells[key]
    limit = BY_KEY[key].max_length
    if required and not value:
        row.fail(key, "required")
    elif limit and len(value) > limit:
        row.fail(key, "import_too_long", max=limit)
    return value


def _tax_id(row: Row, key: str) -> str | None:
    try:
        return parties.check_tax_id(row.cells[key])[0]
    except ServiceError:
        row.fail(key, "tax_id_invalid")
        return None


def _read_row(row: Row, language: str) -> None:
    """Check every cell on its own (no database), so a row shows all its problems at once."""
    name = _text(row, "property_name", required=True)
    row.property = Target(name)
    _text(row, "street")
    _text(row, "city")
    if re.fullmatch(r"\d{4}", row.cells["postal_code"]):
        row.cells["postal_code"] = "0" + row.cells["postal_code"]  # a spreadsheet ate the 0
    if row.cells["postal_code"] and not re.fullmatch(r"\d{5}", row.cells["postal_code"]):
        row.fail("postal_code", "postal_code_invalid")
    if row.cells["province"]:
        try:
            row.cells["province"] = properties.normalise_province(row.cells["province"])
        except ServiceError:
            row.fail("province", "province_invalid")
    row.unit = Target(_text(row, "unit_label", required=True))
    row.unit_use = _choice(row, "unit_use", USES, language, "housing")
    if any(row.cells[k] for k in LEASE_COLUMNS):
        _read_parties(row, language)
        lease = _read_lease(row, language)
        if not row.errors:
            row.lease = lease


def _read_parties(row: Row, language: str) -> None:
    """The renter (NIF required), a second renter and a guarantor (NIF optional)."""
    renter = PartyRow(
        "renter",
        "renter",
        _text(row, "renter_name", required=True),
        _tax_id(row, "renter_tax_id") if row.cells["renter_tax_id"] else None,
        phone=_text(row, "renter_phone") or None,
        language=_choice(row, "renter_language", PARTY_LANGUAGES, language, "es"),
    )
    if not row.cells["renter_tax_id"]:
        row.fail("renter_tax_id", "required")
    if row.cells["renter_email"] and len(row.cells["renter_email"]) <= 254:
        try:
            renter.email = normalise_email(row.cells["renter_email"])
        except ServiceError:
            row.fail("renter_email", "email_invalid")
    _text(row, "renter_email")
    row.parties.append(renter)
    for role, prefix in (("renter", "renter2"), ("guarantor", "guarantor")):
        if row.cells[f"{prefix}_name"] or row.cells[f"{prefix}_tax_id"]:
            tax_key = f"{prefix}_tax_id"
            row.parties.append(
                PartyRow(
                    role,
                    prefix,
                    _text(row, f"{prefix}_name", required=True),
                    _tax_id(row, tax_key) if row.cells[tax_key] else None,
                )
            )
    seen = set()
    for party in row.parties:
        if party.tax_id and party.tax_id in seen:
            row.fail(f"{party.prefix}_tax_id", "import_party_repeated")
        seen.add(party.tax_id)


def _read_lease(row: Row, language: str) -> LeaseRow:
    start = _date(row, "start_date") if row.cells["start_date"] else None
    if not row.cells["start_date"]:
        row.fail("start_date", "required")
    end = _date(row, "end_date") if row.cells["end_date"] else None
    if start and end and end <= start:
        row.fail("end_date", "end_before_start")
    rent = _amount(row, "rent") if row.cells["rent"] else None
    if not row.cells["rent"]:
        row.fail("rent", "required")
    due_day = 1
    if row.cells["due_day"]:
        raw = row.cells["due_day"]
        due_day = int(raw) if raw.isdigit() and 1 <= int(raw) <= 31 else 0
        if not due_day:
            row.fail("due_day", "due_day_invalid")
    method = _choice(row, "payment_method", PAYMENT_METHODS, language, "transfer")
    iban = None
    try:
        iban = leases.check_iban(row.cells["iban"])
    except ServiceError:
        row.fail("iban", "iban_invalid")
    if iban is None and row.cells["iban"] == "" and method != "cash":
        row.fail("iban", "iban_required")
    deposit = _amount(row, "deposit", allow_zero=True) if row.cells["deposit"] else None
    fees = _amount(row, "community_fees", allow_zero=True) if row.cells["community_fees"] else None
    clause, pct = _update_clause(row, language)
    return LeaseRow(start, end, rent, due_day, method, iban, deposit, fees or None, clause, pct)


def _update_clause(row: Row, language: str) -> tuple[str, Decimal | None]:
    raw = comparable(row.cells["update_clause"])
    if raw in _NO_UPDATE:
        return "none", None
    if raw in ("ipc", "cpi"):
        return "ipc", None
    if raw == "irav":
        return "irav", None
    match = _FIXED.match(row.cells["update_clause"].strip().casefold())
    if match:
        return "fixed", Decimal(match.group(1).replace(",", "."))
    row.fail(
        "update_clause",
        "import_update_invalid",
        value=row.cells["update_clause"],
        choices=ACCEPTED[language]["update_clause"],
    )
    return "none", None


# --- checking rows against the workspace (and each other) -----------------------------------


class _RowFailed(Exception):
    """The row cannot be imported (its errors are in `row.errors`): undo what it created."""


@contextmanager
def _columns(row: Row, mapping: dict[str, str]) -> Iterator[None]:
    """A service's error, shown on the file's column for the service's field."""
    try:
        yield
    except ServiceError as error:
        row.fail(mapping.get(error.field or ""), error.code, **error.params)
        raise _RowFailed from error


PROPERTY_FIELDS = {
    "name": "property_name",
    "street": "street",
    "postal_code": "postal_code",
    "city": "city",
    "province": "province",
}
UNIT_FIELDS = {"label": "unit_label", "use": "unit_use", "cadastral_ref": "cadastral_ref"}
LEASE_FIELDS = {
    "renter_ids": "renter_name",
    "start_date": "start_date",
    "end_date": "end_date",
    "rent": "rent",
    "due_day": "due_day",
    "use": "unit_use",
    "payment_method": "payment_method",
    "iban": "iban",
    "update_clause": "update_clause",
    "update_fixed_pct": "update_clause",
    "extras": "community_fees",
    "deposit_amount": "deposit",
}


@dataclass
class _Book:
    """What the workspace holds, plus what earlier rows of the file created (after each row
    that succeeds): properties by name, units by property and label, parties by NIF."""

    properties: dict[str, tuple[Target, str]]  # name key -> (target, province)
    units: dict[tuple[int, str], Target]
    parties: dict[str, Target]
    leases: dict[int, list[tuple[date, date | None, int]]] = field(default_factory=dict)

    @classmethod
    def load(cls, rows: list[Row]) -> _Book:
        props = {
            p.name.casefold(): (Target(p.name, "existing", None, p.id), p.province)
            for p in properties.list_properties()
        }
        units = {
            (u.property_id, u.label.casefold()): Target(u.label, "existing", None, u.id)
            for u in properties.list_units()
        }
        tax_ids = {p.tax_id for r in rows for p in r.parties if p.tax_id}
        known = session.scalars(select(Party).where(Party.tax_id.in_(tax_ids))) if tax_ids else []
        people = {p.tax_id: Target(p.name, "existing", None, p.id) for p in known}
        return cls(props, units, people)


def _reused(target: Target) -> Target:
    """The same property/unit/party, seen from a later row."""
    status = "existing" if target.status == "existing" else "file"
    return Target(target.name, status, target.row, target.id)


def _check_row(row: Row, book: _Book, language: str, today: date) -> list:
    """Create what the row needs through the services. Returns the book entries to keep if the
    row succeeds; raises _RowFailed otherwise."""
    keep = []
    name_key = row.property.name.casefold()
    if name_key in book.properties:
        found, province = book.properties[name_key]
        row.property = _reused(found)
    else:
        missing = [k for k in ADDRESS_COLUMNS if not row.cells[k]]
        if missing:
            for key in missing:
                row.fail(key, "required")
            raise _RowFailed
        with _columns(row, PROPERTY_FIELDS):
            prop = properties.create_property(
                **{f: row.cells[k] for f, k in PROPERTY_FIELDS.items() if f != "name"},
                name=row.property.name,
            )
        province = prop.province
        row.property = Target(prop.name, "new", row.row, prop.id)
        keep.append((book.properties, name_key, (row.property, province)))

    unit_key = (row.property.id, row.unit.name.casefold())
    if unit_key in book.units:
        row.unit = _reused(book.units[unit_key])
    else:
        with _columns(row, UNIT_FIELDS):
            unit = properties.add_unit(
                row.property.id,
                label=row.unit.name,
                use=row.unit_use,
                cadastral_ref=row.cells["cadastral_ref"] or None,
            )
        row.unit = Target(unit.label, "new", row.row, unit.id)
        keep.append((book.units, unit_key, row.unit))

    if row.lease is None:
        return keep
    for party in row.parties:
        if party.tax_id and party.tax_id in book.parties:
            party.target = _reused(book.parties[party.tax_id])
            if comparable(party.target.name) != comparable(party.name):
                row.warnings.append(
                    ("import_party_known", {"tax_id": party.tax_id, "name": party.target.name})
                )
            continue
        columns = {f: f"{party.prefix}_{f}" for f in ("name", "tax_id", "email", "phone")}
        with _columns(row, columns):
            created = parties.create_party(
                name=party.name,
                tax_id=party.tax_id,
                email=party.email,
                phone=party.phone,
                language=party.language,
            )
        party.target = Target(created.name, "new", row.row, created.id)
        if party.tax_id:
            keep.append((book.parties, party.tax_id, party.target))

    data = row.lease
    for start, end, other_row in book.leases.get(row.unit.id, []):
        if (end is None or end >= data.start_date) and (
            data.end_date is None or start <= data.end_date
        ):
            row.fail("start_date", "import_rows_overlap", row=other_row)
            raise _RowFailed
    with _columns(row, LEASE_FIELDS):
        lease = leases.create_lease(
            leases.LeaseInput(
                unit_id=row.unit.id,
                renter_ids=[p.target.id for p in row.parties if p.role == "renter"],
                guarantor_ids=[p.target.id for p in row.parties if p.role == "guarantor"],
                start_date=data.start_date,
                end_date=data.end_date,
                # A lease already running: its book starts this month (older debts are
                # entered by hand), not with months of made-up arrears.
                billed_from=max(data.start_date, periods.month_start(today)),
                rent=data.rent,
                due_day=data.due_day,
                payment_method=data.payment_method,
                iban=data.iban,
                update_clause=data.update_clause,
                update_fixed_pct=data.update_fixed_pct,
                extras=[("community", COMMUNITY_FEES[language], data.community_fees)]
                if data.community_fees
                else [],
                deposit_amount=data.deposit,
                deposit_region=REGIONS.get(province, "other"),
            )
        )
    data.id = lease.id
    if data.deposit is None:
        data.deposit = deposits.legal_amount(lease.rent, lease.use)
    row.warnings += leases.lease_warnings(lease)
    if data.start_date < periods.month_start(today):
        since = periods.month_start(today)
        row.warnings.append(("import_backdated", {"since": f"{since:%m/%Y}"}))
    keep.append((book.leases, row.unit.id, (data.start_date, data.end_date, row.row)))
    return keep


def _check_rows(result: ImportResult, language: str, today: date) -> None:
    book = _Book.load(result.rows)
    for row in result.rows:
        if row.errors:
            continue
        savepoint = session.begin_nested()
        try:
            keep = _check_row(row, book, language, today)
        except _RowFailed:
            savepoint.rollback()
            continue
        savepoint.commit()
        for table, key, value in keep:
            if table is book.leases:
                table.setdefault(key, []).append(value)
            else:
                table[key] = value


def _run(text: str, *, language: str, today: date, keep: bool) -> ImportResult:
    language = language if language in LANGUAGES else "es"
    result = _parse(text, language)
    if result.file_errors:
        return result
    savepoint = session.begin_nested()
    try:
        _check_rows(result, language, today)
    except Exception:
        savepoint.rollback()
        raise
    if keep and result.ok:
        savepoint.commit()
        result.applied = True
    else:
        savepoint.rollback()
    return result


def preview_import(text: str, *, language: str = "es", today: date) -> ImportResult:
    """What the file would create, row by row, and every problem. Changes nothing."""
    return _run(text, language=language, today=today, keep=False)


def apply_import(text: str, *, language: str = "es", today: date) -> ImportResult:
    """Create everything the file describes, or nothing if any row fails (`result.applied`
    says which). Flushes inside the caller's transaction; the caller commits."""
    return _run(text, language=language, today=today, keep=True)
