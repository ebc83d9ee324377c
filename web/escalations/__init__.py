"""Escalations as a law firm works them: the inbox of the cases offered to the firm and of those
it accepted, each escalation's page (the offer with its conflict-of-interest check, or the
working file: status, thread, requests, deadlines, files, the outcome) and its downloads.

Nested under /w/<slug>/ with its tenancy checks; endpoints are "ws.escalations.<view>". Only a
law firm's workspace has these pages (404 elsewhere).
"""

from flask import Blueprint

bp = Blueprint("escalations", __name__)

from web.escalations import inbox  # noqa: E402, F401 - routes register on bp
