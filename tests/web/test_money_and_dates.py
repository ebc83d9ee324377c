"""Every money and date field, on the web forms and in the API, refuses what it cannot hold
with a message and never answers 5xx: "1e30", "1e308", 10^10 and more (Numeric(12, 2)),
"0001-01-01" and "9999-12-31" (date arithmetic overflows), Arabic-Indic and fullwidth digits,
"1_000". The bounds are tenants/services/values.py's.

The walk lists each form with a money or date field once (WEB_FORMS), with the route that
posts it; a test checks the list against every form class of the web package, and the API's
list against its OpenAPI document, so a new field cannot be left out.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.api import conftest as api_fixtures
from tests.collections import conftest as collections_fixtures
from tests.conftest import csrf_token, login

# The fixtures of those areas' conftest files, used here too.
api, api_workspace, ws_a = api_fixtures.api, api_fixtures.api_workspace, api_fixtures.ws_a
make_case, make_letter = collections_fixtures.make_case, collections_fixtures.make_letter
RENDER_WARNING = collections_fixtures.RENDER_WARNING

pytestmark = pytest.mark.filterwarnings(RENDER_WARNING)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
OUT_OF_RANGE = {"first": 1900, "last": 2199}
TOO_LARGE = "10000000000"  # 10^10: one digit more than Numeric(12, 2)

# --- what a hostile or careless person types ---------------------------------------------------

EDGES = [
    "1e30",
    "1E30",
    "1e308",
    "-1e308",
    "1e-30",
    "1e+2",
    TOO_LARGE,
    "10000000000,00",
    "10.000.000.000,00",
    "9999999999.99",
    "9.999.999.999,99",
    "4999999999.99",
    "999,99",
    "1000",
    "9" * 40,
    "0." + "0" * 40 + "1",
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "٨٥٠",  # Arabic-Indic 850
    "٨٥٠٫٥٠",
    "۸۵۰",  # Extended Arabic-Indic
    "８５０",  # fullwidth
    "1_000",
    "0x10",
    "+5",
    "-0",
    "--5",
    "0,001",
    "1.2.3,4",
    "€",
    "",
    " ",
    "0001-01-01",
    "9999-12-31",
    "1899-12-31",
    "2200-01-01",
    "1900-01-01",
    "2199-12-31",
    "٢٠٢٥-٠١-٠٢",
    "２０２５-０１-０２",
    "2025-02-30",
    "2025-13-01",
    "20250101",
    "+2025-01-01",
    "2025-1-1",
    "10000-01-01",
    "2025-01-01T00:00",
]
MONEY_EDGES = ["1e30", "1e308", TOO_LARGE, "9999999999.99", "٨٥٠", "1_000", "NaN"]
DAY_EDGES = ["0001-01-01", "9999-12-31", "1900-01-01", "2199-12-31", "٢٠٢٥-٠١-٠٢"]
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)
NUMBERS = st.from_regex(r"\A[-+]?[0-9]{0,40}([.,][0-9]{0,40})?([eE][-+]?[0-9]{1,4})?\Z")
HOSTILE = st.one_of(
    st.sampled_from(EDGES),
    TEXT,
    NUMBERS,
    st.dates().map(date.isoformat),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers().map(str),
)
WALK = settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- the world the forms act on ---------------------------------------------------------------


@dataclass
class World:
    """Ana's landlord workspace (a lease in arrears, its case, its deposit with the keys back)
    and her business workspace (a client and an invoice); Ana is a platform admin too. Built
    only as far as a test needs."""

    app: object
    create_workspace: Callable
    make_case: Callable
    make_letter: Callable
    client: object = None
    tokens: dict = field(default_factory=dict)

    def run(self, tenant_id: int, fn):
        from tenants import db
        from tenants.db import tenant_context

        with self.app.app_context(), tenant_context(tenant_id):
            result = fn()
            db.session.commit()
            return result

    @cached_property
    def landlord(self) -> tuple[int, str]:
        from tenants import db
        from tenants.models import User
        from tenants.services.platform.accounts import find_user_by_email

        workspace = self.create_workspace(name="Pisos Ana")
        with self.app.app_context():
            user = db.session.get(User, find_user_by_email("ana@example.com").id)
            user.is_platform_admin = True
            db.session.commit()
        return workspace

    @cached_property
    def case(self):
        from tenants.clock import today_in_spain
        from tenants.services.rentals import leases

        data = self.make_case(self.landlord[0])

        def keys_back():
            deposit = leases.deposit_of(data.lease_id)
            from tenants.services.rentals import deposits

            deposits.record_keys_returned(deposit.id, keys_returned_on=today_in_spain())

        self.run(self.landlord[0], keys_back)
        return data

    @cached_property
    def letter_id(self) -> int:
        return self.make_letter(
            self.landlord[0], self.case.case_id, kind="certified_demand", status="posted"
        )

    @cached_property
    def unit_and_renter(self) -> tuple[int, int]:
        from tenants.services.rentals import parties, properties

        def make():
            prop = properties.create_property(
                name="Calle Sol 4",
                street="Calle Sol 4",
                postal_code="28013",
                city="Madrid",
                province="Madrid",
            )
            unit = properties.add_unit(prop.id, label="1º A")
            return unit.id, parties.create_party(name="Lucía Gil").id

        return self.run(self.landlord[0], make)

    @cached_property
    def business(self) -> tuple[int, str]:
        return self.create_workspace(name="Suministros Ana", kind="business")

    @cached_property
    def invoice(self) -> tuple[int, int]:
        """(client id, invoice id): 1.210,00 € due on 31 March 2025."""
        from tenants.services.receivables import invoices
        from tenants.services.rentals import parties

        def make():
            party = parties.create_party(name="Talleres Pérez")
            invoice = invoices.create_invoice(
                invoices.InvoiceInput(
                    party_id=party.id,
                    number="F-2025-0001",
                    issue_date=date(2025, 3, 1),
                    due_date=date(2025, 3, 31),
                    total="1210.00",
                )
            )
            return party.id, invoice.id

        return self.run(self.business[0], make)

    def token(self, page: str) -> str:
        if page not in self.tokens:
            self.tokens[page] = csrf_token(self.client, page)
        return self.tokens[page]

    def send(self, method: str, path: str, data: dict, page: str | None):
        if method == "GET":
            return self.client.get(path, query_string=data)
        values = {"csrf_token": self.token(page)}
        for name, value in data.items():
            if isinstance(value, bytes):
                value = FileStorage(
                    io.BytesIO(value), filename="a.pdf", content_type="application/pdf"
                )
            values[name] = value
        boundary, body = encode_multipart(values)
        return self.client.post(
            path, data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )


@pytest.fixture
def world(app, create_workspace, make_client, make_case, make_letter) -> World:
    result = World(app, create_workspace, make_case, make_letter)
    result.landlord  # noqa: B018 - Ana exists (and is an admin) before she logs in
    result.client = make_client()
    login(result.client)
    return result


# --- the table: each form with a money or date field, and how it is sent ----------------------


@dataclass
class WebForm:
    """`form` as posted to `path`: `data` is a valid filling (field keys as posted), `prefix`
    the form's field prefix, `page` the page whose CSRF token it carries."""

    form: str  # "module.Class"
    method: str
    path: Callable[[World], str]
    data: Callable[[World], dict]
    prefix: Callable[[World], str] = lambda w: ""
    page: Callable[[World], str] | None = None


def _portal_token(w: World) -> str:
    """The debtor portal link of the world's case."""
    from tenants import db
    from tenants.models import Case

    case_id = w.case.case_id
    return w.run(w.landlord[0], lambda: db.session.get(Case, case_id).portal_token)


def _landlord(w: World, rest: str) -> str:
    return f"/w/{w.landlord[1]}{rest}"


def _portal_token(w: World) -> str:
    from tenants import db
    from tenants.models import Case

    return w.run(w.landlord[0], lambda: db.session.get(Case, w.case.case_id).portal_token)


def _business(w: World, rest: str) -> str:
    return f"/w/{w.business[1]}{rest}"


def _lease(w: World, rest: str = "") -> str:
    return _landlord(w, f"/leases/{w.case.lease_id}{rest}")


def _invoice(w: World, rest: str = "") -> str:
    return _business(w, f"/invoices/{w.invoice[1]}{rest}")


def _new_lease(w: World) -> dict:
    unit_id, renter_id = w.unit_and_renter
    return {
        "unit_id": str(unit_id),
        "renter_ids": str(renter_id),
        "start_date": "2025-01-15",
        "end_date": "2030-01-14",
        "signed_on": "2025-01-10",
        "billed_from": "2025-02-01",
        "rent": "900,00",
        "due_day": "5",
        "payment_method": "cash",
        "update_clause": "fixed",
        "update_fixed_pct": "2,5",
        "extras-0-kind": "community",
        "extras-0-description": "Comunidad",
        "extras-0-amount": "50",
        "deposit_amount": "900",
        "guarantee_kind": "cash",
        "guarantee_amount": "900",
    }


def _invoice_fields(w: World) -> dict:
    return {
        "party_id": str(w.invoice[0]),
        "number": "F-2025-0002",
        "issue_date": "2025-03-01",
        "due_date": "2025-03-31",
        "base": "1.000,00",
        "vat": "210,00",
        "total": "1.210,00",
        "currency": "EUR",
    }


def _firm_fields(w: World, **more) -> dict:
    return {
        "name": "Bufete Walk",
        "provinces": "Madrid",
        "case_types": "monitorio",
        "capacity": "5",
        "min_amount": "300",
        "flat_fee": "150",
        "success_percent": "10",
        **more,
    }


def _firm_id(w: World) -> int:
    """A law firm in the directory (the admin's edit form posts to it)."""
    if not hasattr(w, "firm_id"):
        from tenants import db
        from tenants.services.escalations import firms

        with w.app.app_context():
            fields = {**_firm_fields(w), "name": "Bufete Editado"}
            workspace = firms.create_firm(
                fields.pop("name"), partner_email="socio@bufete.example", **fields
            )
            db.session.commit()
            w.firm_id = workspace.id
    return w.firm_id


WEB_FORMS = [
    WebForm(
        "web.rentals.leases.LeaseForm",
        "POST",
        lambda w: _landlord(w, "/leases/new"),
        _new_lease,
        page=lambda w: _landlord(w, "/leases/new"),
    ),
    WebForm(
        "web.rentals.leases.PaymentForm",
        "POST",
        lambda w: _lease(w, "/payments"),
        lambda w: {
            "payment-received_on": date.today().isoformat(),  # not before the lease (11.12)
            "payment-amount": "100",
            "payment-method": "cash",
        },
        prefix=lambda w: "payment-",
        page=_lease,
    ),
    WebForm(
        "web.rentals.leases.OtherChargeForm",
        "POST",
        lambda w: _lease(w, "/charges/other"),
        lambda w: {
            "charge-description": "Repair",
            "charge-amount": "80",
            "charge-due_date": "2025-04-10",
        },
        prefix=lambda w: "charge-",
        page=_lease,
    ),
    WebForm(
        "web.rentals.leases.EndLeaseForm",
        "POST",
        lambda w: _lease(w, "/end"),
        lambda w: {"end-ended_on": "2029-04-10", "end-keys_returned_on": "2029-04-10"},
        prefix=lambda w: "end-",
        page=_lease,
    ),
    WebForm("web.rentals.leases.BalanceForm", "GET", _lease, lambda w: {"on": "2025-04-10"}),
    WebForm(
        "web.rentals.edits.LeaseChangesForm",
        "POST",
        lambda w: _lease(w, "/edit"),
        lambda w: {
            "end_date": "2030-01-14",
            "due_day": "5",
            "payment_method": "cash",
            "update_clause": "fixed",
            "update_fixed_pct": "2,5",
        },
        page=lambda w: _lease(w, "/edit"),
    ),
    WebForm(
        "web.rentals.deposits.LodgementForm",
        "POST",
        lambda w: _lease(w, "/deposit/lodgement"),
        lambda w: {
            "lodgement-region": "madrid",
            "lodgement-reference": "AVS-1",
            "lodgement-lodged_on": "2025-02-01",
        },
        prefix=lambda w: "lodgement-",
        page=_lease,
    ),
    WebForm(
        "web.rentals.deposits.DeductionForm",
        "POST",
        lambda w: _lease(w, "/deposit/deductions"),
        lambda w: {
            "deduction-kind": "damages",
            "deduction-description": "Broken door",
            "deduction-amount": "120",
        },
        prefix=lambda w: "deduction-",
        page=_lease,
    ),
    WebForm(
        "web.rentals.deposits.KeysForm",
        "POST",
        lambda w: _lease(w, "/deposit/keys"),
        lambda w: {"keys-keys_returned_on": "2029-04-10"},
        prefix=lambda w: "keys-",
        page=_lease,
    ),
    WebForm(
        "web.rentals.deposits.ReturnForm",
        "POST",
        lambda w: _lease(w, "/deposit/return"),
        lambda w: {"return-returned_on": "2099-04-10", "return-returned_amount": "100"},
        prefix=lambda w: "return-",
        page=_lease,
    ),
    WebForm(
        "web.collections.cases.PauseForm",
        "POST",
        lambda w: _landlord(w, f"/cases/{w.case.case_id}/pause"),
        lambda w: {"pause-note": "Talking to him", "pause-until": ""},
        prefix=lambda w: "pause-",
        page=lambda w: _landlord(w, f"/cases/{w.case.case_id}"),
    ),
    WebForm(
        "web.collections.cases.PromiseForm",
        "POST",
        lambda w: _landlord(w, f"/cases/{w.case.case_id}/promise"),
        lambda w: {"promise-until": "", "promise-amount": "850", "promise-note": ""},
        prefix=lambda w: "promise-",
        page=lambda w: _landlord(w, f"/cases/{w.case.case_id}"),
    ),
    WebForm(
        "web.portal.telling.PromiseForm",
        "POST",
        lambda w: f"/p/{_portal_token(w)}/promise",
        lambda w: {"promise-until": "", "promise-amount": "850", "promise-note": ""},
        prefix=lambda w: "promise-",
        # The portal's forms carry no CSRF token (it is exempt): any page's will do.
        page=lambda w: _landlord(w, f"/cases/{w.case.case_id}"),
    ),
    WebForm(
        "web.collections.cases.ChargePauseForm",
        "POST",
        lambda w: _landlord(w, f"/cases/charges/{w.case.charge_ids[0]}/pause"),
        lambda w: {f"charge-{w.case.charge_ids[0]}-reason": "Disputed month"},
        prefix=lambda w: f"charge-{w.case.charge_ids[0]}-",
        page=lambda w: _landlord(w, f"/cases/{w.case.case_id}"),
    ),
    WebForm(
        "web.collections.letters.PostedForm",
        "POST",
        lambda w: _landlord(w, "/cases/to-post/posted"),
        lambda w: {"posted_on": "2025-04-10"},
        page=lambda w: _landlord(w, "/cases/to-post"),
    ),
    WebForm(
        "web.collections.letters.AckForm",
        "POST",
        lambda w: _landlord(w, f"/cases/letters/{w.letter_id}/acknowledgement"),
        lambda w: {f"ack-{w.letter_id}-file": PDF},
        prefix=lambda w: f"ack-{w.letter_id}-",
        page=lambda w: _landlord(w, "/cases/to-post"),
    ),
    WebForm(
        "web.collections.instalments.PlanForm",
        "POST",
        lambda w: _landlord(w, f"/cases/{w.case.case_id}/instalments/offer"),
        lambda w: {
            "offer-count": "3",
            "offer-first_due_on": (date.today() + timedelta(days=5)).isoformat(),
            "offer-amount_each": "",
        },
        prefix=lambda w: "offer-",
        page=lambda w: _landlord(w, f"/cases/{w.case.case_id}"),
    ),
    WebForm(
        "web.portal.instalments.ProposeForm",
        "POST",
        lambda w: f"/p/{_portal_token(w)}/instalments",
        lambda w: {
            "plan-count": "3",
            "plan-first_due_on": (date.today() + timedelta(days=5)).isoformat(),
            "plan-amount_each": "",
        },
        prefix=lambda w: "plan-",
        page=lambda w: _landlord(w, f"/cases/{w.case.case_id}"),  # any page: no CSRF there
    ),
    WebForm(
        "web.admin.IndexValueForm",
        "POST",
        lambda w: "/admin/rates",
        lambda w: {"index": "ipc", "month": "2025-03-01", "value": "2,1", "source": "INE"},
        page=lambda w: "/admin/rates",
    ),
    WebForm(
        "web.admin_rates.InterestRateForm",
        "POST",
        lambda w: "/admin/rates/interest",
        lambda w: {
            "rate-kind": "legal",
            "rate-valid_from": "2031-01-01",
            "rate-valid_to": "2031-12-31",
            "rate-rate": "3,25",
            "rate-boe_reference": "BOE-A-2030-1",
            "rate-source": "BOE",
        },
        prefix=lambda w: "rate-",
        page=lambda w: "/admin/rates",
    ),
    WebForm(
        "web.admin_firms.NewFirmForm",
        "POST",
        lambda w: "/admin/firms/new",
        lambda w: _firm_fields(w, partner_email="socia@bufete.example"),
        page=lambda w: "/admin/firms/new",
    ),
    WebForm(
        "web.admin_firms.FirmForm",
        "POST",
        lambda w: f"/admin/firms/{_firm_id(w)}",
        _firm_fields,
        page=lambda w: "/admin/firms",
    ),
    WebForm(
        "web.receivables.invoices.InvoiceForm",
        "POST",
        lambda w: _business(w, "/invoices/new"),
        _invoice_fields,
        page=lambda w: _business(w, "/invoices/new"),
    ),
    WebForm(
        "web.receivables.invoices.PaymentForm",
        "POST",
        lambda w: _invoice(w, "/payments"),
        lambda w: {"received_on": "2025-04-10", "amount": "10", "method": "transfer"},
        page=_invoice,
    ),
    WebForm(
        "web.receivables.invoices.CreditNoteForm",
        "POST",
        lambda w: _invoice(w, "/credit-notes"),
        lambda w: {
            "credit-number": "R-1",
            "credit-issue_date": "2025-04-10",
            "credit-amount": "10",
        },
        prefix=lambda w: "credit-",
        page=_invoice,
    ),
    WebForm(
        "web.workspaces.badge.StampForm",
        "POST",
        lambda w: _business(w, "/settings/badge/stamp"),
        lambda w: {
            "file": PDF,
            "invoice_id": "",
            "party_id": str(w.invoice[0]),
            "number": "F-2025-0002",
            "issue_date": "2025-03-01",
            "due_date": "2025-03-31",
            "total": "1210.00",
        },
        page=lambda w: _business(w, "/settings/badge"),
    ),
]


def _inbox(w: World, rest: str = "") -> str:
    """A case a creditor escalated to Ana's law firm, accepted: the firm's working page."""
    if not hasattr(w, "firm_escalation"):
        from tenants import db
        from tests.escalations.inbox_helpers import escalation_for_firm

        firm_id, slug = w.create_workspace(name="Bufete Ana", kind="law_firm")
        with w.app.app_context():
            ids = escalation_for_firm(firm_id, "walk", status="accepted")
            db.session.commit()
        w.client = w.app.test_client()  # signs in again as a law firm's member, with TOTP
        login(w.client)
        w.tokens.clear()
        w.firm_escalation = (slug, ids["escalation_id"])
    slug, escalation_id = w.firm_escalation
    return f"/w/{slug}/inbox/{escalation_id}{rest}"


def _today(days: int = 0) -> str:
    from tenants.clock import today_in_spain

    return (today_in_spain() + timedelta(days=days)).isoformat()


# The law firm's inbox (issue 14.4): the status with the filing's date, the outcome, a request
# for documents and a deadline.
WEB_FORMS += [
    WebForm(
        "web.escalations.inbox.StatusForm",
        "POST",
        lambda w: _inbox(w, "/status"),
        lambda w: {
            "status-status": "monitorio_filed",
            "status-court": "Juzgado de Primera Instancia n.º 1 de Madrid",
            "status-procedure_number": "1/2026",
            "status-filed_on": _today(),
        },
        prefix=lambda w: "status-",
        page=_inbox,
    ),
    WebForm(
        "web.escalations.inbox.OutcomeForm",
        "POST",
        lambda w: _inbox(w, "/outcome"),
        lambda w: {
            "outcome-status": "recovered",
            "outcome-recovered_amount": "100",
            "outcome-outcome_on": _today(),
        },
        prefix=lambda w: "outcome-",
        page=_inbox,
    ),
    WebForm(
        "web.escalations.inbox.RequestForm",
        "POST",
        lambda w: _inbox(w, "/requests"),
        lambda w: {"request-text": "El contrato", "request-due_on": _today(7)},
        prefix=lambda w: "request-",
        page=_inbox,
    ),
    WebForm(
        "web.escalations.inbox.DeadlineForm",
        "POST",
        lambda w: _inbox(w, "/deadlines"),
        lambda w: {"deadline-label": "Vista", "deadline-due_on": _today(30)},
        prefix=lambda w: "deadline-",
        page=_inbox,
    ),
]
# Forms posted to more than one route: the other routes, walked with the same fields.
MORE_ROUTES = [
    WebForm(
        "web.rentals.leases.EndLeaseForm",
        "GET",
        lambda w: _lease(w, "/end"),
        lambda w: {"end-ended_on": "2029-04-10", "end-keys_returned_on": "2029-04-10"},
        prefix=lambda w: "end-",
    ),
    WebForm(
        "web.receivables.invoices.InvoiceForm",
        "POST",
        lambda w: _invoice(w, "/edit"),
        lambda w: {**_invoice_fields(w), "number": "F-2025-0001"},
        page=lambda w: _invoice(w, "/edit"),
    ),
]


# --- which fields are money and dates: read from the form classes -----------------------------


def _form_class(dotted: str):
    import importlib

    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _unbound(cls):
    from wtforms.fields.core import UnboundField

    for name in dir(cls):
        value = getattr(cls, name, None)
        if isinstance(value, UnboundField):
            yield name, value


def money_and_date_fields(cls, prefix: str = "") -> dict[str, str]:
    """The posted names of `cls`'s DayField ("day") and MoneyField ("money") fields, nested
    forms included (a FieldList of FormField rows: its first row)."""
    from wtforms import FieldList, FormField

    from web.fields import DayField, MoneyField

    names = {}
    for name, unbound in _unbound(cls):
        kind = unbound.field_class
        if issubclass(kind, DayField | MoneyField):
            names[f"{prefix}{name}"] = "day" if issubclass(kind, DayField) else "money"
        elif issubclass(kind, FieldList) and issubclass(unbound.args[0].field_class, FormField):
            names |= money_and_date_fields(unbound.args[0].args[0], f"{prefix}{name}-0-")
        elif issubclass(kind, FormField):
            names |= money_and_date_fields(unbound.args[0], f"{prefix}{name}-")
    return names


def _web_form_classes():
    from wtforms import Form

    seen, todo = set(), [Form]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return {cls for cls in seen if cls.__module__.startswith("web.")}


def _nested(cls) -> set:
    from wtforms import FieldList, FormField

    found = set()
    for _name, unbound in _unbound(cls):
        if issubclass(unbound.field_class, FieldList):
            unbound = unbound.args[0]
        if issubclass(unbound.field_class, FormField):
            found |= {unbound.args[0], *_nested(unbound.args[0])}
    return found


MONEY_WORDS = {"amount", "rent", "total", "base", "vat", "pct", "price", "value", "balance"}


def test_every_form_with_a_money_or_date_field_is_in_the_walk(app):
    walked = {_form_class(entry.form) for entry in WEB_FORMS}
    walked |= {nested for cls in walked for nested in _nested(cls)}
    with_fields = {cls for cls in _web_form_classes() if money_and_date_fields(cls)}

    assert with_fields, "no form found: the web package was not imported"
    missing = {c.__qualname__ for c in with_fields - walked}
    assert missing == set(), "add these forms, with their route, to WEB_FORMS"
    assert {c.__qualname__ for c in walked - with_fields} == set()


def test_every_date_and_amount_of_every_form_uses_the_two_field_types(app):
    from wtforms import DateField, DateTimeField, StringField

    from web.fields import DayField, MoneyField

    wrong = []
    for cls in _web_form_classes():
        for name, unbound in _unbound(cls):
            kind = unbound.field_class
            if issubclass(kind, DateField | DateTimeField) and not issubclass(kind, DayField):
                wrong.append(f"{cls.__qualname__}.{name}")
            if (
                issubclass(kind, StringField)
                and not issubclass(kind, MoneyField)
                and MONEY_WORDS & set(name.split("_"))
            ):
                wrong.append(f"{cls.__qualname__}.{name}")
    assert wrong == [], "dates are web.fields.DayField, amounts web.fields.MoneyField"


# --- the walk: never a 5xx ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry", WEB_FORMS + MORE_ROUTES, ids=lambda e: e.form.rsplit(".", 1)[1] + "-" + e.method
)
def test_hostile_money_and_dates_on_the_web_never_give_a_5xx(world, entry):
    names = money_and_date_fields(_form_class(entry.form), entry.prefix(world))
    assert names
    path, valid = entry.path(world), entry.data(world)
    page = entry.page(world) if entry.page else None

    def check(values):
        response = world.send(entry.method, path, {**valid, **values}, page)
        assert response.status_code < 500, (values, response.status_code)

    # Each example makes any of the form's money and date fields hostile, the others valid:
    # every field is tried alone and with others, and a valid rest reaches the service.
    walk = given(values=st.fixed_dictionaries({}, optional=dict.fromkeys(names, HOSTILE)))(check)
    # And always the issue's values, in every field of their kind at once (the rest valid):
    # with a bound missing they would reach the service and its date arithmetic.
    for kind, values in (("money", MONEY_EDGES), ("day", DAY_EDGES)):
        for value in values:
            walk = example(values={n: value for n, k in names.items() if k == kind})(walk)
    WALK(walk)()


# --- the API ----------------------------------------------------------------------------------


def _api_money_and_date_fields() -> set[tuple[str, str, str]]:
    """(method, path, field) of every money or date input of the OpenAPI document: request
    body properties and query parameters."""
    from web.api.spec import MONEY_IN, SPEC

    def is_date(schema):
        return schema.get("format") == "date"

    def is_money(schema):
        return schema.get("oneOf") == MONEY_IN["oneOf"]

    def resolve(schema):
        ref = schema.get("$ref")
        return SPEC["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema

    found = set()
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for parameter in operation.get("parameters", []):
                if is_date(parameter.get("schema", {})):
                    found.add((method.upper(), path, parameter["name"]))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                for name, schema in resolve(body["schema"]).get("properties", {}).items():
                    if is_date(schema) or is_money(schema):
                        found.add((method.upper(), path, name))
    return found


@pytest.fixture
def api_world(app, api, ws_a):
    client = api("POST", "/clients", ws_a, json={"name": "Talleres Pérez"}).get_json()
    invoice = {
        "client_id": client["id"],
        "number": "F-1",
        "issue_date": "2025-05-01",
        "due_date": "2025-05-31",
        "total": "1210.00",
    }
    created = api("POST", "/invoices", ws_a, json=invoice)
    assert created.status_code == 201, created.get_data(as_text=True)
    invoice_id = created.get_json()["id"]
    return {
        "client_id": client["id"],
        "invoice": invoice,
        "invoice_id": invoice_id,
        "case_id": _overdue_case(app, ws_a.id, invoice_id),
    }


def _overdue_case(app, tenant_id: int, invoice_id: int) -> int:
    """The collection case the overdue invoice is taken into (what the daily sweep does)."""
    from tenants import db
    from tenants.clock import today_in_spain
    from tenants.db import tenant_context
    from tenants.models import Charge
    from tenants.services.collections import cases

    with app.app_context(), tenant_context(tenant_id):
        cases.take_in_overdue(today_in_spain(), "business")
        db.session.commit()
        case_id = db.session.get(Charge, invoice_id).case_id
    assert case_id is not None
    return case_id


def _api_calls(world: dict) -> dict[tuple[str, str, str], Callable]:
    """(method, spec path, field) -> a function of the hostile value giving (method, path,
    kwargs) for the request."""
    invoice_id = world["invoice_id"]
    new = {**world["invoice"], "number": "F-2"}

    def body(method, path, base):
        return lambda field: lambda v: (method, path, {"json": {**base, field: v}})

    def query(path):
        return lambda field: lambda v: ("GET", path, {"query_string": {field: v}})

    calls = {}
    for name in ("issue_date", "due_date", "total", "base", "vat"):
        calls[("POST", "/invoices", name)] = body("POST", "/invoices", new)(name)
        calls[("PATCH", "/invoices/{invoice_id}", name)] = body(
            "PATCH", f"/invoices/{invoice_id}", {}
        )(name)
    for name in ("received_on", "amount"):
        calls[("POST", "/invoices/{invoice_id}/payments", name)] = body(
            "POST", f"/invoices/{invoice_id}/payments", {"received_on": "2025-06-01", "amount": "1"}
        )(name)
    for name in ("issued_from", "issued_to"):
        calls[("GET", "/invoices", name)] = query("/invoices")(name)
    for name in ("as_of", "demand_date"):
        calls[("GET", "/invoices/{invoice_id}", name)] = query(f"/invoices/{invoice_id}")(name)
    calls[("GET", "/cases/{case_id}/claim", "as_of")] = query(f"/cases/{world['case_id']}/claim")(
        "as_of"
    )
    return calls


def test_the_api_walk_covers_every_money_and_date_input_of_the_spec(api_world):
    assert set(_api_calls(api_world)) == _api_money_and_date_fields()


API_HOSTILE = st.one_of(
    HOSTILE,
    st.sampled_from([1e30, 1e308, -1e308, 10**10, 10**400, -5, 0.001, True, None, [], {}]),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False),
)


def test_hostile_money_and_dates_in_the_api_never_give_a_5xx(api, ws_a, api_world):
    import json

    def encode(value):
        return str(value) if isinstance(value, Decimal) else value

    def walk_field(key, call):
        @given(value=API_HOSTILE)
        def walk(value):
            method, path, kwargs = call(value)
            if "json" in kwargs:  # a JSON number as written, decimals exactly
                text = json.dumps(kwargs.pop("json"), default=encode)
                kwargs = {"data": text, "content_type": "application/json"}
            else:
                kwargs["query_string"] = {k: str(v) for k, v in kwargs["query_string"].items()}
            response = api(method, path, ws_a, **kwargs)
            assert response.status_code < 500, (key, value, response.status_code)

        for value in [*MONEY_EDGES, *DAY_EDGES, 1e30, 1e308, 10**10]:
            walk = example(value=value)(walk)
        return WALK(walk)

    for key, call in _api_calls(api_world).items():
        walk_field(key, call)()


# --- the inputs of the issue, one by one: the message, no 5xx, nothing written ---------------

BAD_AMOUNTS = [
    ("1e30", "amount_invalid", {}),
    ("1e308", "amount_invalid", {}),
    (TOO_LARGE, "amount_too_large", {"max": Decimal("9999999999.99")}),
    ("٨٥٠", "amount_invalid", {}),
    ("１２３", "amount_invalid", {}),
    ("1_000", "amount_invalid", {}),
    ("NaN", "amount_invalid", {}),
    ("Infinity", "amount_invalid", {}),
]
BAD_DAYS = [
    ("0001-01-01", "date_out_of_range", OUT_OF_RANGE),
    ("9999-12-31", "date_out_of_range", OUT_OF_RANGE),
    ("٢٠٢٥-٠٤-١٠", "date_invalid", {}),
]


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>(.*?)</div>', html, re.S)
    return match.group(1).strip() if match else ""


@dataclass
class FormCase:
    form: str
    amount: str
    day: str
    counts: str  # SQL counting what the form writes


EXAMPLE_FORMS = [
    FormCase(
        "web.rentals.leases.PaymentForm",
        "payment-amount",
        "payment-received_on",
        "SELECT count(*) AS n FROM payments",
    ),
    FormCase(
        "web.rentals.leases.OtherChargeForm",
        "charge-amount",
        "charge-due_date",
        "SELECT count(*) AS n FROM charges",
    ),
    FormCase(
        "web.receivables.invoices.InvoiceForm",
        "total",
        "issue_date",
        "SELECT count(*) AS n FROM charges",
    ),
    FormCase(
        "web.receivables.invoices.PaymentForm",
        "amount",
        "received_on",
        "SELECT count(*) AS n FROM payments",
    ),
    FormCase(
        "web.receivables.invoices.CreditNoteForm",
        "credit-amount",
        "credit-issue_date",
        "SELECT count(*) AS n FROM charges WHERE kind = 'credit_note'",
    ),
]


@pytest.mark.parametrize(
    "case", EXAMPLE_FORMS, ids=lambda c: c.form.rsplit(".", 2)[1] + "." + c.form.rsplit(".", 1)[1]
)
def test_the_bad_inputs_of_the_issue_are_refused_on_each_form(world, case, rows, message):
    entry = next(e for e in WEB_FORMS if e.form == case.form)
    path, valid = entry.path(world), entry.data(world)
    page = entry.page(world) if entry.page else None
    before = rows(case.counts)

    for key, bad in [(case.amount, BAD_AMOUNTS), (case.day, BAD_DAYS)]:
        for value, code, params in bad:
            response = world.send("POST", path, {**valid, key: value}, page)

            assert response.status_code == 422, (key, value)
            assert field_error(response.get_data(as_text=True), key) == message(code, **params)
            assert rows(case.counts) == before, (key, value)

    # The bounds themselves are accepted: what the database holds gets in.
    edge = "9.999.999.999,99" if case.form.endswith("InvoiceForm") else valid[case.amount]
    # A lease's payment cannot be from before the lease (issue 11.12): its own first day then.
    first = "1900-01-01"
    if case.form.endswith("leases.PaymentForm"):
        from tenants.clock import today_in_spain

        first = today_in_spain().isoformat()
    response = world.send("POST", path, {**valid, case.day: first, case.amount: edge}, page)
    assert response.status_code == 302, field_error(response.get_data(as_text=True), case.day)


API_BAD = [
    ("amount", 1e30, "amount_too_large"),
    ("amount", "1e30", "amount_invalid"),
    ("amount", 1e308, "amount_too_large"),
    ("amount", "1e308", "amount_invalid"),
    ("amount", 10**10, "amount_too_large"),
    ("amount", TOO_LARGE, "amount_invalid"),  # 11 digits: not the pattern of the spec
    ("amount", "٨٥٠", "amount_invalid"),
    ("amount", "1_000", "amount_invalid"),
    ("received_on", "0001-01-01", "date_out_of_range"),
    ("received_on", "9999-12-31", "date_out_of_range"),
    ("received_on", "٢٠٢٥-٠٦-٠١", "date_invalid"),
]


@pytest.mark.parametrize(("field_name", "value", "code"), API_BAD)
def test_the_bad_inputs_of_the_issue_are_422_in_the_api(
    api, ws_a, api_world, rows, field_name, value, code
):
    payment = {"received_on": "2025-06-01", "amount": "10.00", field_name: value}
    path = f"/invoices/{api_world['invoice_id']}/payments"

    response = api("POST", path, ws_a, json=payment)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    [error] = response.get_json()["errors"]
    assert (error["field"], error["code"]) == (field_name, code)
    assert error["message"]
    assert rows("SELECT count(*) AS n FROM payments") == [{"n": 0}]


@pytest.mark.parametrize(
    ("fields", "field_name", "code"),
    [
        ({"total": 10**10}, "total", "amount_too_large"),
        ({"total": "9999999999.99", "base": 1e30}, "base", "amount_too_large"),
        ({"issue_date": "0001-01-01"}, "issue_date", "date_out_of_range"),
        ({"due_date": "9999-12-31"}, "due_date", "date_out_of_range"),
    ],
)
def test_an_invoice_out_of_bounds_is_422_in_the_api(
    api, ws_a, api_world, rows, fields, field_name, code
):
    before = rows("SELECT count(*) AS n FROM charges")
    body = {**api_world["invoice"], "number": "F-2", **fields}

    response = api("POST", "/invoices", ws_a, json=body)

    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert (error["field"], error["code"]) == (field_name, code)
    assert rows("SELECT count(*) AS n FROM charges") == before
    # The largest amount the column holds is taken.
    response = api(
        "POST",
        "/invoices",
        ws_a,
        json={
            **body,
            **{k: v for k, v in api_world["invoice"].items() if k in fields},
            "total": "9999999999.99",
            "base": None,
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
