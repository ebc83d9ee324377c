"""Receivables of a business workspace (invoices, credit notes, what the law lets you claim),
nested under /w/<slug>/ with its tenancy checks. Endpoints are "ws.receivables.<view>"."""

from flask import Blueprint

bp = Blueprint("receivables", __name__)

from web.receivables import imports, invoices, stamping  # noqa: E402, F401 - routes on bp
