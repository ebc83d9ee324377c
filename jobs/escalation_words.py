"""The words for an escalation's stored values (its status, its case type), in one place for the
pages (web/labels.py re-exports them) and the emails (jobs/escalations.py), since jobs may not
import web. Babel extracts jobs/ too (babel.cfg)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "offered": _l("Offered to a firm"),
    "unplaced": _l("No firm available"),
    "accepted": _l("Accepted"),
    "demand_sent": _l("Demand sent"),
    "monitorio_filed": _l("Monitorio filed"),
    "opposed": _l("Opposed"),
    "hearing": _l("Hearing"),
    "judgment": _l("Judgment"),
    "enforcement": _l("Enforcement"),
    "recovered": _l("Recovered"),
    "closed_unrecoverable": _l("Closed, unrecoverable"),
    "withdrawn": _l("Withdrawn"),
}
# For an eviction or an ordinary claim the filing is a claim (demanda), not a monitorio.
CLAIM_FILED_LABEL = _l("Claim filed")
CASE_TYPE_LABELS = {
    "monitorio": _l("Payment order (monitorio)"),
    "eviction": _l("Eviction for non-payment"),
    "ordinary": _l("Ordinary claim"),
}


def status_label(status: str, case_type: str | None):
    """The status as the parties say it: the filing of an eviction is "Claim filed"."""
    if status == "monitorio_filed" and case_type != "monitorio":
        return CLAIM_FILED_LABEL
    return STATUS_LABELS.get(status, status)
