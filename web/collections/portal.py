"""The debtor portal from the creditor's side of a case: withdraw its link, issue a new one, and
the documents the debtor sent through it."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _

from tenants.services.collections import cases
from tenants.services.errors import ServiceError
from tenants.services.portal import telling, tokens
from tenants.storage import DocumentStore
from web.collections import bp
from web.collections.cases import actor
from web.messages import flash_error
from web.permissions import requires


@bp.post("/cases/<int:case_id>/portal/revoke")
@requires("portal.manage")
def portal_revoke(case_id: int):
    cases.get_case(case_id)  # 404 before anything else
    try:
        tokens.revoke(case_id, actor=actor())
    except ServiceError as error:
        flash_error(error)
    else:
        flash(_("The portal link is withdrawn: it now shows a page saying so."), "success")
    return redirect(url_for(".case_detail", case_id=case_id, _anchor="portal"))


@bp.post("/cases/<int:case_id>/portal/renew")
@requires("portal.manage")
def portal_renew(case_id: int):
    cases.get_case(case_id)
    tokens.renew(case_id, actor=actor())
    flash(
        _(
            "The case has a new portal link. Letters not yet sent carry it; "
            "the old one is withdrawn."
        ),
        "success",
    )
    return redirect(url_for(".case_detail", case_id=case_id, _anchor="portal"))


@bp.get("/cases/<int:case_id>/told/<int:attachment_id>")
def told_attachment(case_id: int, attachment_id: int):
    """A document a debtor sent with their message, as a download (never shown inline)."""
    cases.get_case(case_id)
    attachment = telling.get_attachment(attachment_id)
    store = DocumentStore(current_app.config["DOCUMENTS_DIR"])
    if attachment is None or not store.exists(attachment.sha256):
        abort(404)
    message = next(
        (m for m in telling.messages_of_case(case_id) if m.id == attachment.message_id), None
    )
    if message is None:
        abort(404)
    response = Response(store.get(attachment.sha256), mimetype=attachment.content_type)
    safe = "".join(c for c in attachment.filename if c.isalnum() or c in "._- ")[:100] or "document"
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
