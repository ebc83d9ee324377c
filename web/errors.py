"""Error pages in the user's language. No error reaches a person as a bare 500 trace, nor as an
empty one: when even the error page cannot be built, a short plain-text page says what happened.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from tenants import db
from tenants.services.errors import NotFound

NOT_FOUND = (_l("Not found"), _l("This page does not exist or you have no access."))
HTTP_MESSAGES = {
    404: NOT_FOUND,
    405: (_l("Not allowed"), _l("This action is not available here.")),
    413: (_l("File too large"), _l("The file is larger than the limit.")),
    429: (
        _l("Too many attempts"),
        _l("Too many attempts in a short time. Wait a few minutes and try again."),
    ),
}
SOMETHING_WENT_WRONG = (
    _l("Something went wrong"),
    _l("We could not complete this action and nothing was changed. Try again later."),
)
# The last resort, in both languages: it needs no template, no translation and no database.
PLAIN_ERROR = (
    "Error {status}. Algo ha fallado: no se ha cambiado nada. Inténtelo de nuevo más tarde.\n"
    "Error {status}. Something went wrong: nothing was changed. Try again later.\n"
)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _roll_back() -> None:
    """After a failed statement PostgreSQL refuses every query until the rollback, and the page
    runs queries before its first line is written: the language is the user's (a query), the
    menu reads the workspace. So this comes before anything else, even the translations."""
    try:
        db.session.rollback()
    except Exception:  # the connection itself is broken: the next query takes a new one
        db.session.remove()


def _plain(status: int) -> Response:
    return Response(
        PLAIN_ERROR.format(status=status), status=status, mimetype="text/plain; charset=utf-8"
    )


def _page(status: int, title, message) -> Response:
    """The error page (or problem+json); `title` and `message` are lazy strings, translated
    only once the session is usable again."""
    _roll_back()
    try:
        if _wants_json():
            body = {"type": "about:blank", "title": str(title), "status": status}
            response = jsonify({**body, "detail": str(message)})
            response.status_code = status
            response.mimetype = "application/problem+json"
            return response
        html = render_template("errors/error.html", title=title, message=message)
        return make_response(html, status)
    except Exception:
        current_app.logger.exception("the error page for a %s failed", status)
        _roll_back()
        return _plain(status)


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _page(
            400,
            _l("The form expired"),
            _l(
                "For your security the form could not be accepted. Go back, reload the page and "
                "try again."
            ),
        )

    @app.errorhandler(NotFound)
    def not_found(exc):
        return _page(404, *NOT_FOUND)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        title, message = HTTP_MESSAGES.get(
            exc.code, (exc.name, _l("The request could not be processed."))
        )
        response = _page(exc.code or 500, title, message)
        if getattr(exc, "valid_methods", None):  # a 405 says what is allowed (RFC 9110)
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(exc):
        _roll_back()  # before the log line too: a logging handler may read the request's user
        app.logger.exception("unhandled error")
        return something_went_wrong()


def something_went_wrong() -> Response:
    """The 500 page (or problem+json): for an unhandled error, and for a commit that failed."""
    return _page(500, *SOMETHING_WENT_WRONG)
