"""An invoice's stamp: "Stamp" on the invoice's page stamps its attached PDF with the badge and
the verify QR (web/workspaces/badge.py has the upload form), and the stamped copy to download."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from tenants.services.badge import invoices as stamping
from tenants.services.errors import ServiceError
from tenants.services.receivables import invoices as invoice_service
from tenants.storage import DocumentStore
from web.messages import flash_error
from web.permissions import requires
from web.receivables import bp
from web.workspaces.badge import pdf_download, stamper


class StampForm(FlaskForm):
    """The "Stamp" button: the CSRF token only."""


def _store() -> DocumentStore:
    return DocumentStore(current_app.config["DOCUMENTS_DIR"])


@bp.app_context_processor
def _stamp_of_invoice():
    # The invoice page asks for its stamp (web/templates/receivables/invoice_detail.html).
    return {"invoice_stamp": stamping.invoice_badge}


@bp.post("/invoices/<int:invoice_id>/stamp")
@requires("badge.stamp")
def invoice_stamp(invoice_id: int):
    invoice_service.get_invoice(invoice_id)  # 404 for another workspace's id
    if StampForm().validate_on_submit():
        try:
            stamping.stamp_attached(
                invoice_id, store=_store(), stamp=stamper(), actor=current_user.user
            )
        except ServiceError as error:
            flash_error(error)
        else:
            flash(_("The invoice is stamped: download the stamped copy below."), "success")
    return redirect(url_for(".invoice_detail", invoice_id=invoice_id, _anchor="invoice-stamp"))


@bp.get("/invoices/<int:invoice_id>/stamped.pdf")
def invoice_stamped(invoice_id: int):
    content = stamping.stamped_copy(invoice_id, _store())  # NotFound for another's id
    if content is None:
        abort(404)
    return pdf_download(content, invoice_service.get_invoice(invoice_id).number)
