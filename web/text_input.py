"""Text input the database and the mail headers can hold.

Names reach email headers (the From and To names, subjects) and letters' headings, so a name
with a line break or a control character is refused with a message (`OneLine`); what was stored
before is folded on the way out (tenants/text.py). PostgreSQL's text holds no NUL at all: a NUL
in any field of a form would fail the statement, so such a request is refused before any view
runs, in the user's language, and nothing is changed.
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from tenants.text import breaks_lines


class OneLine:
    """A WTForms validator for names: no line breaks, tabs or other control characters."""

    message = _l("Write it on one line, without line breaks or tabs.")

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and breaks_lines(field.data):
            raise ValidationError(self.message)


def _holds_nul() -> bool:
    if request.path.startswith("/api/"):
        return False  # the API checks each field itself and answers problem+json (web/api)
    values = list(request.args.values())
    if request.method not in ("GET", "HEAD"):
        values += request.form.values()
    return any("\x00" in value for value in values)


def init_app(app) -> None:
    @app.before_request
    def refuse_nul_characters():
        if _holds_nul():
            title = _("The form could not be accepted")
            message = _(
                "A field contains a character that cannot be saved (a NUL). Remove it and try "
                "again; nothing was changed."
            )
            return render_template("errors/error.html", title=title, message=message), 400
