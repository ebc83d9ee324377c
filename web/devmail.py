"""The development mailbox: every email the app 'sent' while no SMTP server is configured.

Registered only when DEV_MAILBOX is on (never in production), so a newcomer running
`make run` can read the verification and invitation emails.
"""

from flask import Blueprint, abort, render_template

from tenants.services.platform.mail import mailbox_email, recent_emails

bp = Blueprint("devmail", __name__, url_prefix="/dev/mailbox")


@bp.get("/")
def mailbox():
    return render_template("devmail/mailbox.html", emails=recent_emails(100))


@bp.get("/<int:email_id>")
def message(email_id: int):
    email = mailbox_email(email_id)
    if email is None:
        abort(404)
    return render_template("devmail/message.html", email=email)
