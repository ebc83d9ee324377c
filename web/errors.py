"""Error pages in the user's language. No error reaches a person as a bare 500 trace."""

from __future__ import annotations

from flask import jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from tenants import db
from tenants.services.errors import NotFound


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _page(status: int, title: str, message: str):
    # Rolled back before rendering: after a failed flush the session refuses every query, and
    # the page's menu reads the user and the workspace.
    db.session.rollback()
    if _wants_json():
        body = {"type": "about:blank", "title": title, "status": status, "detail": message}
        response = jsonify(body)
        response.status_code = status
        response.mimetype = "application/problem+json"
        return response
    return render_template("errors/error.html", title=title, message=message), status


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _page(
            400,
            _("The form expired"),
            _(
                "For your security the form could not be accepted. Go back, reload the page and "
                "try again."
            ),
        )

    @app.errorhandler(NotFound)
    def not_found(exc):
        return _page(404, _("Not found"), _("This page does not exist or you have no access."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        messages = {
            404: (_("Not found"), _("This page does not exist or you have no access.")),
            405: (_("Not allowed"), _("This action is not available here.")),
            413: (_("File too large"), _("The file is larger than the limit.")),
            429: (
                _("Too many attempts"),
                _("Too many attempts in a short time. Wait a few minutes and try again."),
            ),
        }
        title, message = messages.get(
            exc.code, (exc.name, _("The request could not be processed."))
        )
        response = app.make_response(_page(exc.code or 500, title, message))
        if getattr(exc, "valid_methods", None):  # a 405 says what is allowed (RFC 9110)
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unhandled error")
        return something_went_wrong()


def something_went_wrong():
    """The 500 page (or problem+json): for an unhandled error, and for a commit that failed."""
    return make_response(
        _page(
            500,
            _("Something went wrong"),
            _("We could not complete this action and nothing was changed. Try again later."),
        )
    )
