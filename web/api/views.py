"""Clients, invoices and payments of the token's workspace, and what its cases claim."""

from __future__ import annotations

import json
import re
from datetime import date

from flask import Response, current_app, jsonify, request
from sqlalchemy import or_, select

from letters.stamp import invoice_stamper, invoice_verify_url
from tenants import db
from tenants.clock import today_in_spain
from tenants.models import Charge, Party
from tenants.permissions import BUSINESS, CREDITORS
from tenants.services.badge import invoices as stamping
from tenants.services.collections import cases, claims
from tenants.services.errors import NotFound
from tenants.services.receivables import invoices, late_payment
from tenants.services.rentals import parties
from tenants.storage import DocumentStore, check_pdf
from web.api import bp
from web.api.problems import (
    ApiError,
    boolean,
    integer_id,
    invalid,
    iso_date,
    json_body,
    money_out,
    money_value,
    path_id,
    problem,
    text,
)
from web.api.spec import SPEC
from web.messages import message_for
from web.permissions import only_in

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
DIGITS = re.compile(r"[0-9]{1,9}")
INVOICE_STATUSES = ("open", "overdue", "paid", "disputed", "written_off")

CLIENT_TEXT = {
    "name": 200,
    "tax_id": 32,
    "email": 254,
    "phone": 32,
    "street": 200,
    "postal_code": 10,
    "city": 100,
    "province": 50,
}
CLIENT_FIELDS = {*CLIENT_TEXT, "language", "is_business"}
INVOICE_FIELDS = {
    "client_id",
    "number",
    "issue_date",
    "due_date",
    "total",
    "base",
    "vat",
    "currency",
    "description",
}
PAYMENT_FIELDS = {"received_on", "amount", "method", "reference"}


PAGE_PARAMS = {"limit", "cursor", "page", "per_page"}
QUERY_PARAMS = {
    "api.list_clients": {*PAGE_PARAMS, "q"},
    "api.list_invoices": {*PAGE_PARAMS, "status", "client_id", "issued_from", "issued_to"},
    "api.get_invoice": {"as_of", "demand_date"},
    "api.get_case_claim": {"as_of"},
    "api.upload_pdf": {"filename"},
}


@bp.before_request
def _refuse_unknown_query_parameters():
    """A misspelt filter (?stauts=paid) must not silently return everything."""
    unknown = sorted(set(request.args) - QUERY_PARAMS.get(request.endpoint, set()))
    if unknown and request.endpoint != "api.openapi":
        errors = [
            {"field": name[:100], "code": "unknown_parameter", "message": "Unknown parameter."}
            for name in unknown
        ]
        raise ApiError(422, "Validation failed", "Unknown query parameters.", errors=errors)


@bp.get("/openapi.json")
def openapi():
    return jsonify(SPEC)


# --- query strings ------------------------------------------------------------------------------


def _query_int(name: str, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if not DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise invalid(name, "invalid", f"Must be an integer from {low} to {high}.")
    return int(raw)


def _query_text(name: str, max_length: int = 100) -> str:
    raw = request.args.get(name, "")
    if len(raw) > max_length or "\x00" in raw:
        raise invalid(name, "invalid", f"At most {max_length} characters, no NUL.")
    return raw.strip()


def _query_date(name: str) -> date | None:
    raw = request.args.get(name)
    return None if raw is None else iso_date(raw, name)


def _page():
    """(limit, offset, page or None) from ?limit=&cursor= or ?page=&per_page=."""
    page = _query_int("page", 1, 100_000)
    per_page = _query_int("per_page", 1, MAX_LIMIT)
    limit = _query_int("limit", 1, MAX_LIMIT)
    cursor = request.args.get("cursor")
    if cursor is not None and not DIGITS.fullmatch(cursor):
        raise invalid("cursor", "invalid", "Not a cursor this API returned.")
    if page is not None or per_page is not None:
        size = per_page or limit or DEFAULT_LIMIT
        return size, ((page or 1) - 1) * size, page or 1
    return limit or DEFAULT_LIMIT, int(cursor or 0), None


def _listing(rows: list, limit: int, offset: int, page: int | None, render) -> dict:
    more = len(rows) > limit
    rows = rows[:limit]
    body = {
        "data": [render(r) for r in rows],
        "next_cursor": str(offset + limit) if more else None,
    }
    if page is not None:
        body["page"] = page
        body["per_page"] = limit
    return body


# --- clients ------------------------------------------------------------------------------------


def _client_json(party: Party) -> dict:
    return {
        "id": party.id,
        "name": party.name,
        "kind": party.kind,
        "tax_id": party.tax_id,
        "email": party.email,
        "phone": party.phone,
        "street": party.street,
        "postal_code": party.postal_code,
        "city": party.city,
        "province": party.province,
        "language": party.language,
        "is_business": bool(party.is_business),
    }


def _client_fields(data: dict) -> dict:
    fields = {}
    for name, max_length in CLIENT_TEXT.items():
        if name in data:
            fields[name] = text(
                data, name, max_length, nullable=name != "name", one_line=name == "name"
            )
    if "language" in data:
        if data["language"] not in ("es", "en"):
            raise invalid("language", "choice_invalid", 'Must be "es" or "en".')
        fields["language"] = data["language"]
    if "is_business" in data:
        fields["is_business"] = boolean(data, "is_business")
    return fields


@bp.get("/clients")
@only_in(BUSINESS)
def list_clients():
    limit, offset, page = _page()
    search = _query_text("q")
    query = select(Party).order_by(Party.name, Party.id).limit(limit + 1).offset(offset)
    if search:
        like = f"%{search}%"
        query = query.where(
            or_(Party.name.ilike(like), Party.tax_id.ilike(like), Party.email.ilike(like))
        )
    rows = list(db.session.scalars(query))
    return jsonify(_listing(rows, limit, offset, page, _client_json))


@bp.post("/clients")
@only_in(BUSINESS)
def create_client():
    data = json_body(CLIENT_FIELDS)
    if "name" not in data:
        raise invalid("name", "required", "This field is required.")
    fields = _client_fields(data)
    party = parties.create_party(**fields)
    result = _client_json(party)
    return jsonify(result), 201


@bp.get("/clients/<int:client_id>")
@only_in(BUSINESS)
def get_client(client_id: int):
    return jsonify(_client_json(parties.get_party(path_id(client_id))))


@bp.patch("/clients/<int:client_id>")
@only_in(BUSINESS)
def update_client(client_id: int):
    party = parties.get_party(path_id(client_id))
    data = json_body(CLIENT_FIELDS)
    party = parties.update_party(party.id, **_client_fields(data))
    result = _client_json(party)
    return jsonify(result)


# --- invoices -----------------------------------------------------------------------------------


def _invoice_json(invoice: Charge) -> dict:
    return {
        "id": invoice.id,
        "number": invoice.number,
        "client_id": invoice.party_id,
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "due_date": invoice.due_date.isoformat(),
        "total": money_out(invoice.amount),
        "base": money_out(invoice.base),
        "vat": money_out(invoice.vat),
        "currency": invoice.currency,
        "description": invoice.description,
        "paid": money_out(invoice.paid),
        "credited": money_out(invoice.credited),
        "outstanding": money_out(invoice.outstanding),
        "status": invoice.status,
        "disputed": invoice.disputed_at is not None,
        "dispute_reason": invoice.dispute_reason or "",
        "written_off": invoice.written_off_at is not None,
        "attachment": (
            {"name": invoice.attachment_name or "", "sha256": invoice.attachment_sha256}
            if invoice.attachment_sha256
            else None
        ),
        "warnings": [code for code, _params in invoices.invoice_warnings(invoice)],
    }


def _claim_json(claim: late_payment.Claim) -> dict:
    return {
        "as_of": claim.as_of.isoformat(),
        "regime": claim.regime,
        "principal_due": money_out(claim.principal_due),
        "interest": money_out(claim.interest),
        "compensation": money_out(claim.compensation),
        "total": money_out(claim.total),
        "interest_from": claim.interest_from.isoformat() if claim.interest_from else None,
        "stretches": [
            {
                "from": s.first_day.isoformat(),
                "to": s.last_day.isoformat(),
                "principal": money_out(s.principal),
                "interest": money_out(s.result.total),
                "segments": [
                    {
                        "from": seg.first_day.isoformat(),
                        "to": seg.last_day.isoformat(),
                        "days": seg.days,
                        "rate": f"{seg.rate:.2f}",
                        "amount": money_out(seg.amount),
                        "source": seg.source or "",
                    }
                    for seg in s.result.segments
                ],
            }
            for s in claim.stretches
        ],
        "missing_rates": [
            {"from": first.isoformat(), "to": last.isoformat()}
            for first, last in claim.missing_rates
        ],
        "notes": list(claim.notes),
    }


def _client_ref(client_id: int) -> int:
    try:
        parties.get_party(client_id)
    except NotFound as exc:
        raise invalid("client_id", "not_found", "No such client in this workspace.") from exc
    return client_id


def _invoice_input(data: dict, current: Charge | None = None) -> invoices.InvoiceInput:
    def pick(name, default=None):
        return data[name] if name in data else default

    if current is None:
        for name in ("client_id", "number", "issue_date", "due_date", "total"):
            if name not in data:
                raise invalid(name, "required", "This field is required.")
    client_id = integer_id(data, "client_id") if "client_id" in data else current.party_id
    number = text(data, "number", 40, nullable=False) if "number" in data else current.number
    issue = iso_date(data["issue_date"], "issue_date") if "issue_date" in data else None
    due = iso_date(data["due_date"], "due_date") if "due_date" in data else None
    total = money_value(data["total"], "total") if "total" in data else None
    base = money_value(pick("base"), "base", nullable=True) if "base" in data else None
    vat = money_value(pick("vat"), "vat", nullable=True) if "vat" in data else None
    currency = text(data, "currency", 3, nullable=False) if "currency" in data else None
    description = text(data, "description", 200) if "description" in data else None
    if current is not None:
        issue = issue or current.issue_date
        due = due or current.due_date
        total = total if total is not None else current.amount
        base = base if "base" in data else current.base
        vat = vat if "vat" in data else current.vat
        currency = currency or current.currency
        description = description if "description" in data else current.description
    return invoices.InvoiceInput(
        party_id=_client_ref(client_id),
        number=number,
        issue_date=issue,
        due_date=due,
        total=total,
        base=base,
        vat=vat,
        currency=currency or "EUR",
        description=description or "",
    )


@bp.get("/invoices")
@only_in(BUSINESS)
def list_invoices():
    limit, offset, page = _page()
    status = request.args.get("status")
    if status is not None and status not in INVOICE_STATUSES:
        raise invalid("status", "choice_invalid", "Must be one of: " + ", ".join(INVOICE_STATUSES))
    client_id = _query_int("client_id", 1, 2**31 - 1)
    issued_from, issued_to = _query_date("issued_from"), _query_date("issued_to")
    rows = invoices.list_invoices(
        party_id=client_id,
        status=status,
        issued_from=issued_from,
        issued_to=issued_to,
        limit=limit + 1,
        offset=offset,
    )
    return jsonify(_listing(rows, limit, offset, page, _invoice_json))


@bp.post("/invoices")
@only_in(BUSINESS)
def create_invoice():
    data = json_body(INVOICE_FIELDS)
    invoice = invoices.create_invoice(_invoice_input(data))
    result = _invoice_json(invoice)
    return jsonify(result), 201


@bp.get("/invoices/<int:invoice_id>")
@only_in(BUSINESS)
def get_invoice(invoice_id: int):
    invoice = invoices.get_invoice(path_id(invoice_id))
    as_of = _query_date("as_of")
    demand_date = _query_date("demand_date")
    result = _invoice_json(invoice)
    if as_of is not None:
        debtor = invoices.debtor_of(invoice)
        if debtor is None:
            raise ApiError(409, "No debtor", "This invoice has no client to claim from.")
        result["claim"] = _claim_json(late_payment.claim(invoice, debtor, as_of, demand_date))
    return jsonify(result)


@bp.patch("/invoices/<int:invoice_id>")
@only_in(BUSINESS)
def update_invoice(invoice_id: int):
    invoice = invoices.get_invoice(path_id(invoice_id))
    data = json_body(INVOICE_FIELDS)
    invoice = invoices.update_invoice(invoice.id, _invoice_input(data, invoice))
    result = _invoice_json(invoice)
    return jsonify(result)


def _uploaded_pdf() -> tuple[bytes, str]:
    """The PDF of the request and its file name: a raw body or a multipart field 'file'."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise invalid("file", "required", "Send the PDF in the field 'file'.")
        content, filename = upload.read(), upload.filename or ""
    elif request.mimetype in ("application/pdf", "application/octet-stream"):
        content = request.get_data()
        filename = request.args.get("filename", "")
    else:
        raise ApiError(
            415,
            "Unsupported Media Type",
            "Send the PDF as application/pdf or as multipart/form-data with a field 'file'.",
        )
    check_pdf(content)
    return content, filename.replace("\x00", "")[:200]


@bp.post("/invoices/<int:invoice_id>/pdf")
@only_in(BUSINESS)
def upload_pdf(invoice_id: int):
    invoice = invoices.get_invoice(path_id(invoice_id))
    content, filename = _uploaded_pdf()
    filename = filename or f"{invoice.number}.pdf"
    sha256 = DocumentStore(current_app.config["DOCUMENTS_DIR"]).put(content)
    invoice = invoices.attach_document(invoice.id, sha256=sha256, filename=filename)
    result = _invoice_json(invoice)
    return jsonify(result)


@bp.post("/invoices/<int:invoice_id>/stamp")
@only_in(BUSINESS)
def stamp_invoice(invoice_id: int):
    """The uploaded invoice PDF back with the badge and the verify QR; the invoice registered."""
    invoice = invoices.get_invoice(path_id(invoice_id))
    content, _filename = _uploaded_pdf()
    store = DocumentStore(current_app.config["DOCUMENTS_DIR"])
    try:
        badge = stamping.stamp_invoice(
            invoice.id, content, store=store, stamp=invoice_stamper(current_app.config["BASE_URL"])
        )
    except stamping.BadgeNotActive as exc:
        response = problem(409, "Badge not active", message_for(exc), kind="badge-not-active")
        body = response.get_json()
        body["reason"] = exc.reason
        response.set_data(json.dumps(body))
        return response
    response = Response(store.get(badge.stamped_sha256), mimetype="application/pdf")
    name = "".join(c for c in invoice.number if c.isalnum() or c in "-_.")[:60] or "invoice"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-amparo.pdf"'
    response.headers["X-Verify-URL"] = invoice_verify_url(
        current_app.config["BASE_URL"], badge.token, invoice.amount
    )
    return response


# --- payments -----------------------------------------------------------------------------------


@bp.post("/invoices/<int:invoice_id>/payments")
@only_in(BUSINESS)
def record_payment(invoice_id: int):
    invoice = invoices.get_invoice(path_id(invoice_id))
    data = json_body(PAYMENT_FIELDS)
    received_on = iso_date(data.get("received_on"), "received_on")
    amount = money_value(data.get("amount"), "amount")
    method = text(data, "method", 16) or "transfer"
    reference = text(data, "reference", 140) or ""
    payment = invoices.record_invoice_payment(
        invoice.id, received_on=received_on, amount=amount, method=method, reference=reference
    )
    result = {
        "id": payment.id,
        "invoice_id": invoice.id,
        "received_on": payment.received_on.isoformat(),
        "amount": money_out(payment.amount),
        "method": payment.method,
        "reference": payment.reference,
        "invoice": _invoice_json(invoice),
    }
    return jsonify(result), 201


# --- cases --------------------------------------------------------------------------------------


def _case_claim_json(claim: claims.Claim) -> dict:
    return {
        "case_id": claim.case_id,
        "as_of": claim.as_of.isoformat(),
        "regime": claim.regime,
        "currency": claim.currency,
        "reference": claim.reference,
        "payee": {"beneficiary": claim.payee.beneficiary, "iban": claim.payee.iban},
        "charges": [
            {
                "id": c.charge_id,
                "number": c.number,
                "description": c.description,
                "due_date": c.due_date.isoformat(),
                "amount": money_out(c.amount),
                "outstanding": money_out(c.outstanding),
                "days_late": c.days_late,
            }
            for c in claim.charges
        ],
        "principal": money_out(claim.principal),
        "is_demand": claim.is_demand,
        "interest_from": claim.interest_from.isoformat() if claim.interest_from else None,
        "interest": money_out(claim.interest),
        "interest_segments": [
            {
                "charge": seg.charge_label,
                "from": seg.first_day.isoformat(),
                "to": seg.last_day.isoformat(),
                "days": seg.days,
                "principal": money_out(seg.principal),
                "rate": f"{seg.rate:.2f}",
                "amount": money_out(seg.amount),
            }
            for seg in claim.interest_segments
        ],
        "missing_rates": claim.missing_rates,
        "compensation": money_out(claim.compensation),
        "compensation_count": claim.compensation_count,
        "total": money_out(claim.total),
        "deadline": claim.deadline.isoformat() if claim.deadline else None,
        "business_days": claim.business_days,
    }


@bp.get("/cases/<int:case_id>/claim")
@only_in(*CREDITORS)
def get_case_claim(case_id: int):
    case = cases.get_case(path_id(case_id))
    on = _query_date("as_of") or today_in_spain()
    return jsonify(_case_claim_json(claims.claim_of_case(case, on)))
