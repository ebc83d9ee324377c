"""The development mailbox: every email the app 'sent' while no SMTP server is configured.

Registered only when DEV_MAILBOX is on (never in production: config.py refuses it), so a
newcomer running `make run` can read the verification and invitation emails. It holds reset and
invitation links, so it answers only to this machine: a demo bound to 0.0.0.0 on a shared
network does not hand them to the neighbours.
"""

import ipaddress

from flask import Blueprint, abort, render_template, request

from tenants.services.platform.mail import mailbox_email, recent_emails

bp = Blueprint("devmail", __name__, url_prefix="/dev/mailbox")


def from_this_machine(address: str | None) -> bool:
    try:
        return ipaddress.ip_address((address or "").removeprefix("::ffff:")).is_loopback
    except ValueError:
        return False


@bp.before_request
def only_from_this_machine():
    if not from_this_machine(request.remote_addr):
        abort(404)  # as if it did not exist: nothing to learn from the answer


@bp.get("/")
def mailbox():
    return render_template("devmail/mailbox.html", emails=recent_emails(100))


@bp.get("/<int:email_id>")
def message(email_id: int):
    email = mailbox_email(email_id)
    if email is None:
        abort(404)
    return render_template("devmail/message.html", email=email)
