"""The demo: one landlord, one business and one law firm, so `make run` shows a live product.

Idempotent: running it again finds what exists and adds only what is missing. Later areas
(rentals, invoices, cases) add their data here.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from stdnum.es import cif, dni

from tenants.clock import today_in_spain
from tenants.db import session, tenant_context
from tenants.models import Charge, Lease, Party, Payment, Property, WorkspaceKind
from tenants.services.platform import accounts
from tenants.services.platform import workspaces as ws_service
from tenants.services.receivables import invoices, payments
from tenants.services.rentals import charges, deposits, leases, parties, periods
from tenants.services.rentals import properties as property_service
from web import demo_badge, demo_two_factor
from web.demo_cases import seed_cases
from web.demo_escalations import seed_escalations
from web.demo_firms import seed_firms
from web.demo_portal import portal_day, seed_portal

DEMO = (
    (
        "demo-landlord",
        "Alquileres Demo",
        WorkspaceKind.LANDLORD,
        "landlord@demo.amparo.test",
        "Lucía Arrendadora",
    ),
    (
        "demo-business",
        "Comercial Demo S.L.",
        WorkspaceKind.BUSINESS,
        "business@demo.amparo.test",
        "Bruno Comerciante",
    ),
    (
        "demo-lawfirm",
        "Bufete Demo Abogados",
        WorkspaceKind.LAW_FIRM,
        "lawyer@demo.amparo.test",
        "Laura Abogada",
    ),
)


def seed_demo(password: str, today: date | None = None) -> Iterator[str]:
    today = today or today_in_spain()
    for slug, name, kind, email, person in DEMO:
        user = accounts.find_user_by_email(email)
        if user is None:
            user = accounts.create_user(name=person, email=email, password=password, verified=True)
        workspace = ws_service.workspace_by_slug(slug)
        if workspace is None:
            workspace = ws_service.create_workspace(name=name, kind=kind, owner=user, slug=slug)
        with tenant_context(workspace.id):
            if ws_service.membership(user.id) is None:
                raise RuntimeError(f"{slug} exists but {email} is not a member")
            if kind != WorkspaceKind.LAW_FIRM:  # a law firm has no plan
                # Profesional (every feature) since it signed up; the landlord's lapsed since.
                demo_badge.put_on_plan(kind.value, today)
                demo_badge.before_the_book(kind.value, today)
            if kind == WorkspaceKind.LANDLORD:
                seed_rent_book(today)
            elif kind == WorkspaceKind.BUSINESS:
                seed_invoices(today)
            if kind in (WorkspaceKind.LANDLORD, WorkspaceKind.BUSINESS):
                # The debtors' side (portal, card, plans) and the badge on the days it happened.
                on_day = demo_badge.both(
                    demo_badge.badge_day(kind.value, today), portal_day(kind.value, today)
                )
                seed_cases(kind.value, today, on_day=on_day)
                seed_portal(kind.value, today)
                demo_badge.after_the_book(kind.value, today)
            if kind == WorkspaceKind.LAW_FIRM:
                demo_two_factor.enrol_members()  # fixed TOTP secrets (web/demo_two_factor.py)
        yield f"{slug:15} {email}"
        if kind == WorkspaceKind.LAW_FIRM:
            yield demo_two_factor.secret_line(user)
    # The law firms' directory: the demo firm's entry, and a second firm to choose from.
    yield from seed_firms(password, today)
    # The demo law firm's escalations, in several statuses (web/demo_escalations.py).
    seed_escalations(today)


# --- the demo landlord's rent book ----------------------------------------------------------

LANDLORD_IBAN = "ES9121000418450200051332"
BUILDINGS = (
    # name, street, postal code, city, province, units (label, use)
    (
        "Edificio Lavapiés",
        "Calle de Argumosa 12",
        "28012",
        "Madrid",
        "Madrid",
        (("1º A", "housing"), ("1º B", "housing"), ("Local 1", "other")),
    ),
    (
        "Finca Gràcia",
        "Carrer de Verdi 45",
        "08012",
        "Barcelona",
        "Barcelona",
        (("Principal 1ª", "housing"), ("1º 1ª", "housing"), ("2º 2ª", "housing")),
    ),
)
MADRID = ("Madrid", "Madrid")
BARCELONA = ("Barcelona", "Barcelona")
PEOPLE = {  # tax id: (name, email, address); valid DNIs and NIEs (their letters are checked)
    # Renters live in the flat they rent (the shop's tenant gets his letters at the shop);
    # guarantors elsewhere in the same city: a letter on paper needs a postal address.
    "50123456Q": (
        "Marta Gómez Ruiz",
        "marta.gomez@example.com",
        ("Calle de Argumosa 12, 1º A", "28012", *MADRID),
    ),
    "X7654321J": (
        "David Sanz Gil",
        "david.sanz@example.com",
        ("Calle de Argumosa 12, 1º A", "28012", *MADRID),
    ),
    "71234567W": (
        "José Gómez Pardo",
        "jose.gomez@example.com",
        ("Calle de Toledo 88, 3º B", "28005", *MADRID),
    ),
    "X1234567L": (
        "Andrei Popescu",
        "andrei.popescu@example.com",
        ("Calle de Argumosa 12, 1º B", "28012", *MADRID),
    ),
    "23456789D": (
        "Elena Vidal Soto",
        "elena.vidal@example.com",
        ("Avenida de América 34, 5º C", "28028", *MADRID),
    ),
    "45678901G": (
        "Carlos Martín Díaz",
        "carlos.martin@example.com",
        ("Calle de Argumosa 12, Local 1", "28012", *MADRID),
    ),
    "11223344B": (
        "Pilar Díaz Moreno",
        "pilar.diaz@example.com",
        ("Calle de Bravo Murillo 150, 2º A", "28020", *MADRID),
    ),
    "Y2345678Z": (
        "Sofia Rossi",
        "sofia.rossi@example.com",
        ("Carrer de Verdi 45, Principal 1ª", "08012", *BARCELONA),
    ),
    "30405060A": (
        "Jordi Puig Serra",
        "jordi.puig@example.com",
        ("Carrer de Mallorca 210, 4º 2ª", "08008", *BARCELONA),
    ),
    "52781934Q": (
        "Laura Ferrer Vila",
        "laura.ferrer@example.com",
        ("Carrer de Verdi 45, 2º 2ª", "08012", *BARCELONA),
    ),
    "Z3456789D": (
        "Chen Wei",
        "chen.wei@example.com",
        ("Passeig de Sant Joan 77, 1º 1ª", "08009", *BARCELONA),
    ),
}
ADDRESS_FIELDS = ("street", "postal_code", "city", "province")


def _with_address(party: Party, address: tuple[str, str, str, str]) -> Party:
    """A demo party seeded before it had an address gets one; one a user gave is kept."""
    if not any(getattr(party, name) for name in ADDRESS_FIELDS):
        parties.update_party(party.id, **dict(zip(ADDRESS_FIELDS, address, strict=True)))
    return party


@dataclass
class DemoLease:
    reference: str
    building: str
    unit: str
    renters: list[str]  # tax ids
    guarantors: list[str]
    start: date
    rent: str
    due_day: int
    data: dict = field(default_factory=dict)  # any other LeaseInput field
    lodged: tuple[str, date] | None = None  # (reference, date) of the fianza's lodgement
    unpaid_months: int = 0  # the most recent charges left unpaid: the renter is in arrears
    part_paid: bool = False  # the oldest of those paid by half
    late_every: int = 0  # every n-th charge paid late…
    late_days: int = 0  # …by this many days


def demo_leases(today: date) -> list[DemoLease]:
    """The five leases, dated from `today` so the book always shows a year of rent."""
    month = periods.month_start(today)
    year_ago = periods.add_months(month, -13)
    l2_start = year_ago + timedelta(days=14)
    l3_start = periods.add_months(today, -11) + timedelta(days=20)  # update due within 60 days
    l5_start = today - timedelta(days=40)  # fianza to lodge with INCASÒL within 2 months
    transfer = {"payment_method": "transfer", "iban": LANDLORD_IBAN}
    return [
        DemoLease(
            "DEMO-1",
            "Edificio Lavapiés",
            "1º A",
            ["50123456Q", "X7654321J"],
            ["71234567W"],
            year_ago,
            "950.00",
            5,
            {
                **transfer,
                "signed_on": year_ago - timedelta(days=10),
                "update_clause": "irav",
                "extras": [("community", "Comunidad", "45.00")],
                "deposit_region": "madrid",
            },
            lodged=("AVS-2024-118273", year_ago + timedelta(days=12)),
            late_every=5,
            late_days=3,
        ),
        DemoLease(
            "DEMO-2",
            "Edificio Lavapiés",
            "1º B",
            ["X1234567L"],
            ["23456789D"],
            l2_start,
            "780.00",
            1,
            {
                **transfer,
                "end_date": periods.add_months(l2_start, 14) - timedelta(days=1),
                "deposit_region": "madrid",
            },
            lodged=("AVS-2024-120551", l2_start + timedelta(days=20)),
            unpaid_months=3,
            late_every=4,
            late_days=8,
        ),
        DemoLease(
            "DEMO-3",
            "Edificio Lavapiés",
            "Local 1",
            ["45678901G"],
            ["11223344B"],
            l3_start,
            "1200.00",
            10,
            {
                "payment_method": "direct_debit",
                "iban": LANDLORD_IBAN,
                "update_clause": "fixed",
                "update_fixed_pct": "3.00",
                "extras": [("ibi", "IBI", "60.00")],
                "deposit_region": "madrid",
            },
            lodged=("AVS-2025-004417", l3_start + timedelta(days=25)),
            late_every=3,
            late_days=12,
        ),
        DemoLease(
            "DEMO-4",
            "Finca Gràcia",
            "Principal 1ª",
            ["Y2345678Z"],
            ["30405060A"],
            periods.add_months(month, -12),
            "890.00",
            5,
            {
                **transfer,
                "update_clause": "irav",
                "extras": [("utilities", "Agua y luz", "35.00")],
                "deposit_region": "cataluna",
            },
            lodged=("INCASOL-0815-2024", periods.add_months(month, -11)),
            unpaid_months=3,
            part_paid=True,
            late_every=6,
            late_days=5,
        ),
        DemoLease(
            "DEMO-5",
            "Finca Gràcia",
            "2º 2ª",
            ["52781934Q"],
            ["Z3456789D"],
            l5_start,
            "1050.00",
            31,
            {
                "payment_method": "cash",
                "signed_on": l5_start - timedelta(days=5),
                "guarantee_kind": "bank_guarantee",
                "guarantee_amount": "2100.00",
                "deposit_region": "cataluna",
            },
        ),
    ]


def seed_rent_book(today: date) -> None:
    """The demo landlord's buildings, units, renters, leases, a year of rent and payments.

    Idempotent: rows are found by name, tax id and reference; payments by their reference.
    """
    units = {}
    for name, street, postal_code, city, province, unit_specs in BUILDINGS:
        building = session.scalar(select(Property).where(Property.name == name))
        if building is None:
            building = property_service.create_property(
                name=name, street=street, postal_code=postal_code, city=city, province=province
            )
        existing = {unit.label: unit for unit in building.units}
        for label, use in unit_specs:
            unit = existing.get(label) or property_service.add_unit(
                building.id, label=label, use=use
            )
            units[name, label] = unit
    people = {}
    for tax_id, (name, email, address) in PEOPLE.items():
        found = parties.find_party_by_tax_id(tax_id)
        people[tax_id] = (
            _with_address(found, address)
            if found is not None
            else parties.create_party(
                name=name,
                tax_id=tax_id,
                email=email,
                **dict(zip(ADDRESS_FIELDS, address, strict=True)),
            )
        )
    specs = demo_leases(today)
    booked = []
    for spec in specs:
        lease = session.scalar(select(Lease).where(Lease.reference == spec.reference))
        if lease is None:
            lease = leases.create_lease(
                leases.LeaseInput(
                    unit_id=units[spec.building, spec.unit].id,
                    renter_ids=[people[t].id for t in spec.renters],
                    guarantor_ids=[people[t].id for t in spec.guarantors],
                    start_date=spec.start,
                    rent=spec.rent,
                    due_day=spec.due_day,
                    reference=spec.reference,
                    **spec.data,
                )
            )
        deposit = leases.deposit_of(lease.id)
        if spec.lodged and deposit is not None and deposit.lodged_on is None:
            deposits.record_lodgement(
                deposit.id,
                region=deposit.region,
                reference=spec.lodged[0],
                lodged_on=spec.lodged[1],
            )
        booked.append((spec, lease))
    charges.catch_up_rent_charges(today)
    for spec, lease in booked:
        _pay_rent(spec, lease, today)


def _pay_rent(spec: DemoLease, lease: Lease, today: date) -> None:
    """Pay the lease's rent due by `today` (some late), except the months left in arrears.

    Only rent: a charge someone added to a demo lease by hand (a repair, a fee) is theirs, has
    no month to name the payment after, and stays as they left it.
    """
    due = session.scalars(
        select(Charge)
        .where(Charge.lease_id == lease.id, Charge.kind == "rent", Charge.due_date <= today)
        .order_by(Charge.due_date, Charge.id)
    ).all()
    late = [c for c in due if c.due_date < today]
    unpaid = late[len(late) - spec.unpaid_months :] if spec.unpaid_months else []
    paid_refs = set(session.scalars(select(Payment.reference).where(Payment.lease_id == lease.id)))
    for number, charge in enumerate(due, start=1):
        reference = f"Alquiler {spec.reference} {charge.period_start:%m/%Y}"
        amount = charge.amount - charge.paid
        if charge in unpaid:
            if not (spec.part_paid and charge is unpaid[0]):
                continue
            reference, amount = f"{reference} (a cuenta)", periods.money(charge.amount / 2)
        if amount <= 0 or reference in paid_refs:
            continue
        delay = spec.late_days if spec.late_every and number % spec.late_every == 0 else 0
        payments.record_payment(
            lease_id=lease.id,
            received_on=min(charge.due_date + timedelta(days=delay), today),
            amount=amount,
            method=lease.payment_method,
            reference=reference,
        )


# --- the demo business's invoices -----------------------------------------------------------

COMPANY_NAMES = (
    "Distribuciones Levante",
    "Talleres Ebro",
    "Construcciones Duero",
    "Hostelería Atlántica",
    "Panadería Hermanos Ruiz",
    "Logística Meseta",
    "Ferretería El Clavo",
    "Gráficas Mediterráneo",
    "Clínica Dental Sonrisa",
    "Agrícola Campo Verde",
    "Muebles Ribera",
    "Transportes Cierzo",
    "Informática Nube",
    "Restaurante La Lonja",
    "Electricidad Voltio",
    "Textil Alcoy",
    "Bodegas Tierra Alta",
    "Consultoría Ágora",
    "Farmacia Central",
    "Hotel Mirador",
    "Pinturas Arcoíris",
    "Reformas Integrales Sur",
    "Seguridad Vigía",
    "Limpiezas Brillo",
    "Academia Saber",
    "Óptica Visión",
    "Imprenta Gutenberg",
    "Cafetería Aroma",
    "Jardinería Edén",
    "Climatización Polar",
    "Carpintería Roble",
    "Autoescuela Volante",
)
CONSUMER_NAMES = (
    "María López Fernández",
    "Antonio García Sánchez",
    "Carmen Martínez Ruiz",
    "Francisco Jiménez Romero",
    "Isabel Navarro Torres",
    "Manuel Domínguez Gil",
    "Rosa Vázquez Ramos",
    "Javier Serrano Molina",
)
INVOICES = 300
HISTORY_DAYS = 548  # 18 months
VAT = Decimal("0.21")


CLIENT_TOWNS = (  # postal code, city, province, streets
    ("46002", "Valencia", "Valencia", ("Calle de Colón", "Avenida del Puerto")),
    ("50001", "Zaragoza", "Zaragoza", ("Calle de Alfonso I", "Paseo de la Independencia")),
    ("41001", "Sevilla", "Sevilla", ("Calle Sierpes", "Avenida de la Constitución")),
    ("48001", "Bilbao", "Bizkaia", ("Calle de la Ribera", "Gran Vía de Don Diego López de Haro")),
    ("29005", "Málaga", "Málaga", ("Calle Larios", "Alameda Principal")),
    ("47001", "Valladolid", "Valladolid", ("Calle de Santiago", "Paseo de Zorrilla")),
    ("03001", "Alicante", "Alicante", ("Rambla de Méndez Núñez", "Calle de San Fernando")),
    ("15003", "A Coruña", "A Coruña", ("Rúa Real", "Avenida de la Marina")),
    ("28013", "Madrid", "Madrid", ("Calle Mayor", "Calle de Atocha")),
    ("08002", "Barcelona", "Barcelona", ("Carrer de Ferran", "Via Laietana")),
)


def _client_address(n: int, person: bool) -> tuple[str, str, str, str]:
    """A real-looking Spanish address for the n-th client: a floor for a consumer, a
    number for a company (a shop, an office, a workshop)."""
    postal_code, city, province, streets = CLIENT_TOWNS[n % len(CLIENT_TOWNS)]
    street = f"{streets[n // len(CLIENT_TOWNS) % 2]} {2 + n * 3}"
    if person:
        street += f", {1 + n % 6}º {'ABCD'[n % 4]}"
    return street, postal_code, city, province


def demo_clients() -> list[tuple[str, str, str, tuple[str, str, str, str]]]:
    """(name, kind, tax id, address): 32 companies with valid CIFs, 8 consumers with valid
    DNIs, each with a postal address."""
    clients = []
    for n, name in enumerate(COMPANY_NAMES, start=1):
        body = f"B{8_640_000 + n * 1_337:07d}"
        tax_id = body + cif.calc_check_digits(body)[0]
        clients.append((f"{name} S.L.", "company", tax_id, _client_address(n, person=False)))
    for n, name in enumerate(CONSUMER_NAMES, start=1):
        body = f"{40_000_000 + n * 765_431:08d}"
        tax_id = body + dni.calc_check_digit(body)
        clients.append((name, "person", tax_id, _client_address(n + 32, person=True)))
    return clients


def seed_invoices(today: date) -> None:
    """40 clients and 300 invoices over 18 months: paid on time or late, partly paid, overdue,
    disputed, written off, one credit note. Deterministic from `today`.

    Idempotent: clients are found by tax id and invoices by number; the payments, disputes,
    write-offs and the credit note are recorded only on the invoices created by this run.
    """
    existing = {
        p.tax_id: p for p in session.scalars(select(Party).where(Party.tax_id.is_not(None)))
    }
    clients = []
    for number, (name, kind, tax_id, address) in enumerate(demo_clients(), start=1):
        if tax_id in existing:
            party = _with_address(existing[tax_id], address)
        else:
            party = parties.create_party(
                name=name,
                kind=kind,
                tax_id=tax_id,
                email=f"cliente{number}@example.com",
                **dict(zip(ADDRESS_FIELDS, address, strict=True)),
            )
        clients.append(party)
    taken = set(
        session.scalars(select(Charge.number).where(Charge.kind.in_(("invoice", "credit_note"))))
    )
    rng = random.Random(4)  # noqa: S311 - demo data, not a secret
    start = today - timedelta(days=HISTORY_DAYS)
    sequence: dict[int, int] = {}
    overdue_unpaid = []
    for n in range(INVOICES):
        issued = start + timedelta(days=n * HISTORY_DAYS // INVOICES)
        sequence[issued.year] = sequence.get(issued.year, 0) + 1
        number = f"F-{issued.year}-{sequence[issued.year]:04d}"
        client = clients[rng.randrange(len(clients))] if n % 5 else clients[n % 6]
        base = Decimal(rng.randrange(15_000, 900_000)) / 100
        if not client.is_business:
            base = (base / 10).quantize(Decimal("0.01"))
        vat = (base * VAT).quantize(Decimal("0.01"))
        due = issued + timedelta(days=rng.choice((30, 30, 45, 60)))
        fate, days = rng.random(), rng.randrange(0, 90)
        if number in taken:
            continue
        invoice = invoices.create_invoice(
            invoices.InvoiceInput(
                party_id=client.id,
                number=number,
                issue_date=issued,
                due_date=due,
                total=base + vat,
                base=base,
                vat=vat,
                description=f"Suministros {issued:%m/%Y}",
            )
        )
        total = invoice.amount
        if due >= today:
            if fate < 0.3:  # paid early
                _pay(invoice, issued + timedelta(days=days % ((today - issued).days + 1)))
        elif fate < 0.55:  # on time
            _pay(invoice, due - timedelta(days=days % 10))
        elif fate < 0.77:  # late
            _pay(invoice, min(due + timedelta(days=5 + days), today))
        elif fate < 0.85:  # partly paid, the rest owed
            _pay(invoice, due, (total * Decimal("0.4")).quantize(Decimal("0.01")))
        else:
            overdue_unpaid.append(invoice)
    for invoice in overdue_unpaid[-12::3]:  # a few recent ones the client contests
        invoices.set_disputed(invoice.id, "El cliente dice que el pedido llegó incompleto.")
    for invoice in overdue_unpaid[:2]:  # the two oldest: given up
        invoices.write_off(invoice.id)
    note_number = f"R-{today.year}-0001"
    if len(overdue_unpaid) > 4 and note_number not in taken:
        corrected = overdue_unpaid[4]
        invoices.create_credit_note(
            corrected.id,
            number=note_number,
            issue_date=today - timedelta(days=3),
            amount=(corrected.amount * Decimal("0.1")).quantize(Decimal("0.01")),
        )
    session.flush()


def _pay(invoice: Charge, on: date, amount: Decimal | None = None) -> None:
    invoices.record_invoice_payment(
        invoice.id,
        received_on=on,
        amount=amount or invoice.amount,
        reference=f"Pago {invoice.number}",
    )
