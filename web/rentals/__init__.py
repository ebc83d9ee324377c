"""The rent book of a landlord workspace, nested under /w/<slug>/ (tenancy checks included).

Endpoints are "ws.rentals.<view>". One module per area; each registers its routes on `bp`.
"""

from flask import Blueprint

bp = Blueprint("rentals", __name__)

from web.rentals import (  # noqa: E402, F401 - routes register on bp
    bank,
    deposit_book,
    deposits,
    edits,
    imports,
    leases,
    parties,
    properties,
)
