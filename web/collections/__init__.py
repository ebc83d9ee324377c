"""Collections as the owner works them: the cases, the letters waiting for approval, the paper
letters to post, and the settings the letters are made from (the ladder, the letterhead).

Nested under /w/<slug>/ with its tenancy checks; endpoints are "ws.collections.<view>".
"""

from flask import Blueprint

bp = Blueprint("collections", __name__)

from web.collections import (  # noqa: E402, F401 - routes register on bp
    cases,
    escalation,  # escalating a case to a law firm (issue 14)
    instalments,  # instalment plans
    letters,
    portal,
    settings,
)
