"""Settings → Close workspace: the owner closes the workspace, typing its name to confirm.

Closing revokes the badge at once and for good and stops the collections sweep; the records
stay readable, and every page then says the workspace was closed (base.html's banner).
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from tenants.services.badge import issuance
from tenants.services.errors import ServiceError
from web.messages import apply_to_form
from web.permissions import requires
from web.workspaces import bp
from web.workspaces.forms import REQUIRED


class CloseWorkspaceForm(FlaskForm):
    confirm_name = StringField(
        _l("Type the workspace's name to confirm"), validators=[REQUIRED, Length(max=120)]
    )


@bp.route("/settings/close", methods=["GET", "POST"])
@requires("workspace.close", also_to_read=True)
def close_workspace():
    form = CloseWorkspaceForm()
    form.confirm_name.description = _("Its name is: %(name)s", name=g.workspace.name)
    status = 200
    if g.workspace.closed_at is None and form.is_submitted():
        if form.validate():
            try:
                issuance.close_workspace(current_user.user, typed_name=form.confirm_name.data)
            except ServiceError as error:
                apply_to_form(form, error)
                status = 422
            else:
                flash(_("The workspace is closed and its badge revoked."), "success")
                return redirect(url_for("ws.close_workspace"))
        else:
            status = 422
    return render_template("workspaces/close.html", form=form), status
