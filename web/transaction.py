"""One commit per request, as Indico's request handler does it.

Views parse, authorise, call services (which flush, never commit) and answer. At the end of
the request one hook commits when the answer is a success (2xx or 3xx) and rolls back when it
is an error (4xx, 5xx) or an exception escaped. Jobs asked for during the request reach Redis
only on that commit (jobs/enqueue.py, tenants/outbox.py), so they never leave for work that
was rolled back. If the commit itself fails, the person gets the error page, not the success
page the view had prepared: nothing they were told happened stays unsaid.

Two answers do not follow the status:
- `refuse()`: the view caught a service's refusal and shows it (a form again, or a redirect
  with the message). What the service flushed before refusing is undone at once, so the page
  shows the database as it was, and nothing is committed at the end. `apply_to_form` and
  `flash_error` in web/messages.py call it, so a view that reports a refusal cannot forget.
- `keep()`: the answer is an error to the client but its writes must stay (a log-in refused
  because the email is unconfirmed still sends the confirmation email).
"""

from __future__ import annotations

from flask import Flask, Response, g

from tenants import db
from web.errors import something_went_wrong

_REFUSED = "amparo_request_refused"
_KEEP = "amparo_request_keep"


def refuse() -> None:
    """Undo what this request wrote and commit nothing at its end."""
    db.session.rollback()
    g.setdefault(_REFUSED, True)


def keep() -> None:
    """Commit this request's writes even though its answer is an error status."""
    g.setdefault(_KEEP, True)


def _commits(response: Response) -> bool:
    refused = g.pop(_REFUSED, False)
    kept = g.pop(_KEEP, False)
    if refused:
        return False
    return kept or response.status_code < 400


def init_app(app: Flask) -> None:
    # Registered after the other app hooks so it runs before them (Flask runs them in reverse):
    # an error page that replaces a failed commit still gets the security headers.
    @app.after_request
    def _commit_or_roll_back(response: Response) -> Response:
        if not _commits(response):
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except Exception:
            app.logger.exception("the request's commit failed")
            db.session.rollback()
            return something_went_wrong()
        return response

    @app.teardown_request
    def _roll_back_on_exception(exc: BaseException | None) -> None:
        # An exception no handler answered skips after_request; nothing of it may stay. The
        # flags go too: a test's outer app context would carry them into the next request.
        g.pop(_REFUSED, None)
        g.pop(_KEEP, None)
        if exc is not None:
            db.session.rollback()
