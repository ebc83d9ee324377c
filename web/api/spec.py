"""The OpenAPI 3.0.3 document of API v1, written by hand (tests/api check it matches the routes)."""

from __future__ import annotations

MONEY = {
    "type": "string",
    "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$",
    "example": "1210.00",
    "description": "Euros (or the invoice currency) as a decimal string, never a float.",
}
MONEY_IN = {
    "description": 'An amount such as "1210.00" (a JSON number is also accepted).',
    "oneOf": [
        MONEY,
        {"type": "number", "minimum": 0, "maximum": 9999999999.99, "multipleOf": 0.01},
    ],
}
DATE = {
    "type": "string",
    "format": "date",
    "example": "2025-05-31",
    "description": "A day from 1900-01-01 to 2199-12-31; any other is refused (422).",
}
NO_NUL = r"^[^\x00]*$"


# An invoice PDF, as a raw application/pdf body or in a multipart field "file".
PDF_BODY = {
    "required": True,
    "content": {
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
    },
}


def _text(max_length: int, *, nullable: bool = False, min_length: int = 0) -> dict:
    schema = {"type": "string", "maxLength": max_length, "pattern": NO_NUL}
    if min_length:
        schema["minLength"] = min_length
    if nullable:
        schema["nullable"] = True
    return schema


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _problem(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    }


ERRORS = {
    "400": _problem("Malformed request (e.g. the body is not a JSON object)."),
    "401": _problem("Missing, invalid or revoked API token."),
    "404": _problem("No such object in the token's workspace."),
    "405": _problem("Method not allowed."),
    "413": _problem("Request too large."),
    "409": _problem("The request conflicts with the state of the object."),
    "422": _problem("Validation failed; `errors` says which field and why."),
}


def _responses(ok: dict, *codes: str) -> dict:
    wanted = codes or ("400", "401", "404", "405", "413", "422")
    return {**ok, **{code: ERRORS[code] for code in wanted}}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _id(name: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
        "example": 1,
    }


PAGINATION = [
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "Page size (cursor)."),
    _query("cursor", {"type": "string", "pattern": r"^[0-9]{1,9}$"}, "`next_cursor` of a page."),
    _query("page", {"type": "integer", "minimum": 1, "maximum": 100000}, "Page number."),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": 200}, "Page size (pages)."),
]

CLIENT_PROPERTIES = {
    "name": _text(200, min_length=1),
    "tax_id": _text(32, nullable=True),
    "email": _text(254, nullable=True),
    "phone": _text(32, nullable=True),
    "street": _text(200, nullable=True),
    "postal_code": _text(10, nullable=True),
    "city": _text(100, nullable=True),
    "province": _text(50, nullable=True),
    "language": {"type": "string", "enum": ["es", "en"]},
    "is_business": {"type": "boolean"},
}
INVOICE_PROPERTIES = {
    "client_id": {"type": "integer", "minimum": 1},
    "number": _text(40, min_length=1),
    "issue_date": DATE,
    "due_date": DATE,
    "total": MONEY_IN,
    "base": _nullable(MONEY_IN),
    "vat": _nullable(MONEY_IN),
    "currency": {"type": "string", "minLength": 3, "maxLength": 3, "example": "EUR"},
    "description": _text(200, nullable=True),
}
PERIOD = {
    "type": "object",
    "required": ["from", "to"],
    "properties": {"from": DATE, "to": DATE},
}

SCHEMAS = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "code", "message"],
                    "properties": {
                        "field": {"type": "string"},
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    },
    "Client": {
        "type": "object",
        "required": ["id", "name", "kind", "language", "is_business"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": ["person", "company"]},
            "tax_id": {"type": "string", "nullable": True},
            "email": {"type": "string", "nullable": True},
            "phone": {"type": "string", "nullable": True},
            "street": {"type": "string", "nullable": True},
            "postal_code": {"type": "string", "nullable": True},
            "city": {"type": "string", "nullable": True},
            "province": {"type": "string", "nullable": True},
            "language": {"type": "string", "enum": ["es", "en"]},
            "is_business": {"type": "boolean"},
        },
    },
    "ClientCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": CLIENT_PROPERTIES,
    },
    "ClientUpdate": {
        "type": "object",
        "additionalProperties": False,
        "properties": CLIENT_PROPERTIES,
    },
    "ClientList": {
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {
            "data": {"type": "array", "items": _ref("Client")},
            "next_cursor": {"type": "string", "nullable": True},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    },
    "Invoice": {
        "type": "object",
        "required": [
            "id",
            "number",
            "client_id",
            "issue_date",
            "due_date",
            "total",
            "currency",
            "paid",
            "credited",
            "outstanding",
            "status",
        ],
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string", "nullable": True},
            "client_id": {"type": "integer", "nullable": True},
            "issue_date": _nullable(DATE),
            "due_date": DATE,
            "total": MONEY,
            "base": _nullable(MONEY),
            "vat": _nullable(MONEY),
            "currency": {"type": "string"},
            "description": {"type": "string"},
            "paid": MONEY,
            "credited": MONEY,
            "outstanding": {"type": "string", "example": "1210.00"},
            "status": {
                "type": "string",
                "enum": ["open", "partly_paid", "paid", "disputed", "written_off"],
            },
            "disputed": {"type": "boolean"},
            "dispute_reason": {"type": "string"},
            "written_off": {"type": "boolean"},
            "attachment": {
                "type": "object",
                "nullable": True,
                "required": ["name", "sha256"],
                "properties": {"name": {"type": "string"}, "sha256": {"type": "string"}},
            },
            "warnings": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Codes such as vat_mismatch: shown, not refused.",
            },
            "claim": _ref("Claim"),
        },
    },
    "InvoiceCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["client_id", "number", "issue_date", "due_date", "total"],
        "properties": INVOICE_PROPERTIES,
    },
    "InvoiceUpdate": {
        "type": "object",
        "additionalProperties": False,
        "properties": INVOICE_PROPERTIES,
    },
    "InvoiceList": {
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {
            "data": {"type": "array", "items": _ref("Invoice")},
            "next_cursor": {"type": "string", "nullable": True},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
        },
    },
    "Claim": {
        "type": "object",
        "description": (
            "What Spanish law adds on `as_of`: Ley 3/2004 interest and 40 EUR for a business "
            "debtor, legal interest from the demand for a consumer."
        ),
        "required": [
            "as_of",
            "regime",
            "principal_due",
            "interest",
            "compensation",
            "total",
            "stretches",
            "missing_rates",
            "notes",
        ],
        "properties": {
            "as_of": DATE,
            "regime": {"type": "string", "enum": ["business", "consumer"]},
            "principal_due": MONEY,
            "interest": MONEY,
            "compensation": MONEY,
            "total": MONEY,
            "interest_from": _nullable(DATE),
            "stretches": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["from", "to", "principal", "segments"],
                    "properties": {
                        "from": DATE,
                        "to": DATE,
                        "principal": MONEY,
                        "interest": MONEY,
                        "segments": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["from", "to", "days", "rate", "amount", "source"],
                                "properties": {
                                    "from": DATE,
                                    "to": DATE,
                                    "days": {"type": "integer"},
                                    "rate": {"type": "string", "example": "11.15"},
                                    "amount": MONEY,
                                    "source": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
            "missing_rates": {"type": "array", "items": PERIOD},
            "notes": {"type": "array", "items": {"type": "string"}},
        },
    },
    "CaseClaim": {
        "type": "object",
        "description": (
            "What a collection case claims on `as_of`, as its letters, the debtor portal and the "
            "case page say it: the charges still owed and, once a formal demand has left, the "
            "interest (Ley 3/2004 for a business debtor, legal interest from the demand for a "
            "consumer), 40 EUR per late invoice for a business, and the demand's deadline."
        ),
        "required": [
            "case_id",
            "as_of",
            "regime",
            "currency",
            "reference",
            "payee",
            "charges",
            "principal",
            "is_demand",
            "interest_from",
            "interest",
            "interest_segments",
            "missing_rates",
            "compensation",
            "compensation_count",
            "total",
            "deadline",
            "business_days",
        ],
        "properties": {
            "case_id": {"type": "integer"},
            "as_of": DATE,
            "regime": {"type": "string", "enum": ["business", "consumer"]},
            "currency": {"type": "string", "example": "EUR"},
            "reference": {
                "type": "string",
                "example": "AMP-C12",
                "description": "The payment reference of the case, the same on every letter.",
            },
            "payee": {
                "type": "object",
                "required": ["beneficiary", "iban"],
                "properties": {
                    "beneficiary": {"type": "string"},
                    "iban": {"type": "string", "nullable": True},
                },
            },
            "charges": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "id",
                        "number",
                        "description",
                        "due_date",
                        "amount",
                        "outstanding",
                        "days_late",
                    ],
                    "properties": {
                        "id": {"type": "integer"},
                        "number": {"type": "string", "nullable": True},
                        "description": {"type": "string"},
                        "due_date": DATE,
                        "amount": MONEY,
                        "outstanding": MONEY,
                        "days_late": {"type": "integer", "minimum": 0},
                    },
                },
            },
            "principal": MONEY,
            "is_demand": {
                "type": "boolean",
                "description": "A formal demand has left: interest and the 40 EUR are claimed.",
            },
            "interest_from": _nullable(DATE),
            "interest": MONEY,
            "interest_segments": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["charge", "from", "to", "days", "principal", "rate", "amount"],
                    "properties": {
                        "charge": {"type": "string"},
                        "from": DATE,
                        "to": DATE,
                        "days": {"type": "integer"},
                        "principal": MONEY,
                        "rate": {"type": "string", "example": "10.15"},
                        "amount": MONEY,
                    },
                },
            },
            "missing_rates": {"type": "boolean"},
            "compensation": MONEY,
            "compensation_count": {"type": "integer", "minimum": 0},
            "total": MONEY,
            "deadline": _nullable(DATE),
            "business_days": {"type": "integer", "nullable": True},
        },
    },
    "PaymentCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["received_on", "amount"],
        "properties": {
            "received_on": DATE,
            "amount": MONEY_IN,
            "method": {
                "type": "string",
                "enum": ["transfer", "direct_debit", "cash", "card", "other"],
            },
            "reference": _text(140, nullable=True),
        },
    },
    "Payment": {
        "type": "object",
        "required": ["id", "invoice_id", "received_on", "amount", "method", "invoice"],
        "properties": {
            "id": {"type": "integer"},
            "invoice_id": {"type": "integer"},
            "received_on": DATE,
            "amount": MONEY,
            "method": {"type": "string"},
            "reference": {"type": "string"},
            "invoice": _ref("Invoice"),
        },
    },
}

SPEC = {
    "openapi": "3.0.3",
    "info": {
        "title": "Amparo API",
        "version": "1.0.0",
        "description": (
            "Clients, invoices, payments and case claims of one workspace. Authenticate with a "
            "workspace API token (`Authorization: Bearer <token>`, created in the workspace "
            "settings). "
            "Money is a decimal string; errors are RFC 9457 application/problem+json."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}],
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        "schemas": SCHEMAS,
    },
    "paths": {
        "/openapi.json": {
            "get": {
                "operationId": "getOpenapi",
                "summary": "This document.",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/clients": {
            "get": {
                "operationId": "listClients",
                "summary": "Clients by name.",
                "parameters": [
                    *PAGINATION,
                    _query("q", _text(100), "Search name, tax id or email."),
                ],
                "responses": _responses(
                    {"200": {"description": "A page.", "content": _json(_ref("ClientList"))}},
                    "401",
                    "422",
                ),
            },
            "post": {
                "operationId": "createClient",
                "requestBody": {"required": True, "content": _json(_ref("ClientCreate"))},
                "responses": _responses(
                    {"201": {"description": "Created.", "content": _json(_ref("Client"))}},
                    "400",
                    "401",
                    "413",
                    "422",
                ),
            },
        },
        "/clients/{client_id}": {
            "parameters": [_id("client_id")],
            "get": {
                "operationId": "getClient",
                "responses": _responses(
                    {"200": {"description": "The client.", "content": _json(_ref("Client"))}},
                    "401",
                    "404",
                ),
            },
            "patch": {
                "operationId": "updateClient",
                "requestBody": {"required": True, "content": _json(_ref("ClientUpdate"))},
                "responses": _responses(
                    {"200": {"description": "Updated.", "content": _json(_ref("Client"))}},
                ),
            },
        },
        "/invoices": {
            "get": {
                "operationId": "listInvoices",
                "summary": "Invoices, newest issue date first.",
                "parameters": [
                    *PAGINATION,
                    _query(
                        "status",
                        {
                            "type": "string",
                            "enum": ["open", "overdue", "paid", "disputed", "written_off"],
                        },
                        "Only invoices in this state.",
                    ),
                    _query("client_id", {"type": "integer", "minimum": 1}, "One client's."),
                    _query("issued_from", DATE, "Issued on or after."),
                    _query("issued_to", DATE, "Issued on or before."),
                ],
                "responses": _responses(
                    {"200": {"description": "A page.", "content": _json(_ref("InvoiceList"))}},
                    "401",
                    "422",
                ),
            },
            "post": {
                "operationId": "createInvoice",
                "requestBody": {"required": True, "content": _json(_ref("InvoiceCreate"))},
                "responses": _responses(
                    {"201": {"description": "Created.", "content": _json(_ref("Invoice"))}},
                    "400",
                    "401",
                    "413",
                    "422",
                ),
            },
        },
        "/invoices/{invoice_id}": {
            "parameters": [_id("invoice_id")],
            "get": {
                "operationId": "getInvoice",
                "parameters": [
                    _query("as_of", DATE, "Include `claim`: what can be claimed on this date."),
                    _query("demand_date", DATE, "Date of the formal demand (consumer debtor)."),
                ],
                "responses": _responses(
                    {"200": {"description": "The invoice.", "content": _json(_ref("Invoice"))}},
                    "401",
                    "404",
                    "409",
                    "422",
                ),
            },
            "patch": {
                "operationId": "updateInvoice",
                "requestBody": {"required": True, "content": _json(_ref("InvoiceUpdate"))},
                "responses": _responses(
                    {"200": {"description": "Updated.", "content": _json(_ref("Invoice"))}},
                ),
            },
        },
        "/invoices/{invoice_id}/pdf": {
            "parameters": [_id("invoice_id")],
            "post": {
                "operationId": "attachInvoicePdf",
                "summary": "Attach the invoice PDF (at most 10 MB).",
                "parameters": [
                    _query("filename", _text(200), "File name for a raw application/pdf body."),
                ],
                "requestBody": PDF_BODY,
                "responses": _responses(
                    {"200": {"description": "Attached.", "content": _json(_ref("Invoice"))}},
                    "401",
                    "404",
                    "413",
                    "422",
                )
                | {"415": _problem("Neither application/pdf nor multipart/form-data.")},
            },
        },
        "/invoices/{invoice_id}/stamp": {
            "parameters": [_id("invoice_id")],
            "post": {
                "operationId": "stampInvoicePdf",
                "summary": "Stamp an invoice PDF with the badge and its verify QR.",
                "description": (
                    "Send the invoice as issued (at most 10 MB, as for /pdf). The answer is the "
                    'same PDF, its text and pages unchanged, with the "Protegido por Amparo" '
                    "badge and the QR code of the invoice's verify page on the first page and "
                    "a link to it; the invoice is registered, so its verify page shows its "
                    "number, date and amount. Only while the workspace's badge is active: "
                    "otherwise 409 with `reason` (plan, email, tax_id, ladder, closed, pending). "
                    "An encrypted or unreadable PDF is 422."
                ),
                "requestBody": PDF_BODY,
                "responses": _responses(
                    {
                        "200": {
                            "description": "The stamped PDF.",
                            "headers": {
                                "X-Verify-URL": {
                                    "description": "The verify page the QR code points at.",
                                    "schema": {"type": "string", "format": "uri"},
                                }
                            },
                            "content": {
                                "application/pdf": {
                                    "schema": {"type": "string", "format": "binary"}
                                }
                            },
                        }
                    },
                    "401",
                    "404",
                    "413",
                    "422",
                )
                | {
                    "409": _problem(
                        "The workspace's badge is not active; `reason` says what is missing."
                    ),
                    "415": _problem("Neither application/pdf nor multipart/form-data."),
                },
            },
        },
        "/invoices/{invoice_id}/payments": {
            "parameters": [_id("invoice_id")],
            "post": {
                "operationId": "recordInvoicePayment",
                "requestBody": {"required": True, "content": _json(_ref("PaymentCreate"))},
                "responses": _responses(
                    {"201": {"description": "Recorded.", "content": _json(_ref("Payment"))}},
                ),
            },
        },
        "/cases/{case_id}/claim": {
            "parameters": [_id("case_id")],
            "get": {
                "operationId": "getCaseClaim",
                "summary": "What the case claims: the same total and reference as its letters.",
                "parameters": [
                    _query("as_of", DATE, "The date of the claim (default: today in Madrid)."),
                ],
                "responses": _responses(
                    {"200": {"description": "The claim.", "content": _json(_ref("CaseClaim"))}},
                    "401",
                    "404",
                    "422",
                ),
            },
        },
    },
}
