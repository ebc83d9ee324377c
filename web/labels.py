"""The words a person sees for each stored value (a status, a kind, a channel), and the choice
lists of the forms built from them. Views, forms and templates read them here: one place per
word, and no view module has to import another to find a label."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from jobs import escalation_words


def choices(labels: dict, keys=None) -> list[SelectChoice]:
    """Select choices from `labels`, in its order or in the order of `keys`."""
    return [SelectChoice(key, labels[key]) for key in (keys or labels)]


# --- collections: cases, the ladder and letters ---------------------------------------------------

CASE_STATUS_LABELS = {"open": _l("Open"), "paused": _l("Paused"), "closed": _l("Closed")}
PAUSE_REASON_LABELS = {
    "manual": _l("Paused"),
    "dispute": _l("Disputed"),
    "promise": _l("Promise to pay"),
    "plan": _l("Instalment plan"),
    "escalation": _l("With a lawyer"),
}
CLOSED_REASON_LABELS = {
    "paid": _l("paid"),
    "written_off": _l("written off"),
    "manual": _l("closed by hand"),
}
CANCEL_REASON_LABELS = {
    "paid": _l("the debt was paid"),
    "written_off": _l("the debt was written off"),
    "partial_payment": _l("a partial payment changed the amounts"),
    "manual": _l("the case was paused"),
    "dispute": _l("the debtor disputes the debt"),
    "promise": _l("the debtor promised to pay"),
    "escalation": _l("the case went to a lawyer"),
}
STEP_LABELS = {
    "reminder": _l("Friendly reminder"),
    "claim_1": _l("First claim letter"),
    "claim_2": _l("Second claim letter"),
    "formal_demand": _l("Formal demand"),
    "certified_demand": _l("Certified demand"),
    "escalation": _l("Escalation to a lawyer"),
}
LETTER_KIND_LABELS = {
    **STEP_LABELS,
    "statement": _l("Statement of account"),
    "rent_update": _l("Rent update notice"),
    "deposit_settlement": _l("Deposit settlement"),
}
CHANNEL_LABELS = {
    "email": _l("Email"),
    "postal": _l("Post"),
    "certified": _l("Certified mail with acknowledgement of receipt"),
}
ANCHOR_LABELS = {"due": _l("after the due date"), "previous": _l("after the previous step")}
LETTER_STATUS_LABELS = {
    "rendering": _l("Being prepared"),
    "awaiting_approval": _l("Waiting for approval"),
    "sending": _l("Sending"),
    "to_post": _l("To post"),
    "sent": _l("Sent"),
    "posted": _l("Posted"),
    "delivered": _l("Delivered"),
    "failed": _l("Failed"),
    "bounced": _l("Bounced"),
    "cancelled": _l("Cancelled"),
    "skipped": _l("Skipped"),
}
NOTE_KIND_LABELS = {"note": _l("A note for the file"), "debtor_reply": _l("The debtor's reply")}

# --- escalations: the law firm's inbox (issue 14) ------------------------------------------------

# The same words as the escalation emails: one definition, in jobs/escalation_words.py.
ESCALATION_STATUS_LABELS = escalation_words.STATUS_LABELS
ESCALATION_CASE_TYPE_LABELS = escalation_words.CASE_TYPE_LABELS
CLAIM_FILED_LABEL = escalation_words.CLAIM_FILED_LABEL
escalation_status_label = escalation_words.status_label


# --- rentals: properties, people, leases, deposits and the rent book import -----------------------

UNIT_USE_LABELS = {"housing": _l("Housing"), "other": _l("Other use (premises, office, parking)")}
LEASE_USE_LABELS = {"housing": _l("Housing"), "other": _l("Other use (premises, parking…)")}
LEASE_STATUS_LABELS = {
    "draft": _l("Draft"),
    "active": _l("Active"),
    "ended": _l("Ended"),
    "terminated": _l("Terminated early"),
}
PAYMENT_METHOD_LABELS = {
    "transfer": _l("Bank transfer"),
    "direct_debit": _l("Direct debit"),
    "cash": _l("Cash"),
    "card": _l("Card"),
    "other": _l("Other"),
}
UPDATE_CLAUSE_LABELS = {
    "none": _l("No update"),
    "ipc": _l("IPC (consumer prices)"),
    "irav": _l("IRAV (housing rent index)"),
    "fixed": _l("Fixed percentage"),
}
INDEX_LABELS = {"ipc": "IPC", "irav": "IRAV", "fixed": _l("Fixed %")}
LINE_KIND_LABELS = {
    "rent": _l("Rent"),
    "community": _l("Community fees"),
    "utilities": _l("Utilities"),
    "ibi": _l("Property tax (IBI)"),
    "other": _l("Other"),
}
CHARGE_STATUS_LABELS = {"paid": _l("Paid"), "partly_paid": _l("Partly paid"), "open": _l("Unpaid")}
GUARANTEE_KIND_LABELS = {
    "none": _l("None"),
    "cash": _l("Additional cash"),
    "bank_guarantee": _l("Bank guarantee"),
    "other": _l("Other"),
}
REGION_LABELS = {
    "madrid": _l("Comunidad de Madrid (Agencia de Vivienda Social)"),
    "cataluna": _l("Cataluña (INCASÒL)"),
    "other": _l("Another region"),
}
DEDUCTION_KIND_LABELS = {
    "unpaid_rent": _l("Unpaid rent"),
    "damages": _l("Damages"),
    "other": _l("Other"),
}
PARTY_KIND_LABELS = {"person": _l("Person"), "company": _l("Company")}
LANGUAGE_LABELS = {"es": _l("Spanish"), "en": _l("English")}
PARTY_ROLE_LABELS = {"renter": _l("Renter"), "guarantor": _l("Guarantor")}
PARTY_STATUS_LABELS = {
    "draft": _l("draft"),
    "active": _l("active"),
    "ended": _l("ended"),
    "terminated": _l("terminated early"),
}
IMPORT_ROW_STATUS_LABELS = {"new": _l("new"), "existing": _l("already in Amparo")}

# --- receivables: invoices and their import -------------------------------------------------------

INVOICE_STATUS_FILTERS = {
    "open": _l("Open"),
    "overdue": _l("Overdue"),
    "paid": _l("Paid"),
    "disputed": _l("Disputed"),
    "written_off": _l("Written off"),
}
INVOICE_STATUS_LABELS = {
    "open": _l("Open"),
    "partly_paid": _l("Partly paid"),
    "paid": _l("Paid"),
    "disputed": _l("Disputed"),
    "written_off": _l("Written off"),
}
REGIME_LABELS = {
    "business": _l("Business debtor: Ley 3/2004 on late payment"),
    "consumer": _l("Consumer debtor: legal interest from the formal demand"),
}
INVOICE_IMPORT_FIELD_LABELS = {
    "number": _l("Invoice number"),
    "client": _l("Client name"),
    "tax_id": _l("Client NIF/CIF"),
    "email": _l("Client email"),
    "issue_date": _l("Issue date"),
    "due_date": _l("Due date"),
    "base": _l("Taxable base"),
    "vat": _l("VAT"),
    "total": _l("Total"),
    "currency": _l("Currency"),
    "description": _l("Description"),
}

# --- workspaces -----------------------------------------------------------------------------------

MEMBER_ROLE_LABELS = {
    "owner": _l("Owner: everything, including members and settings"),
    "manager": _l("Manager: works the rent book and cases"),
    "viewer": _l("Viewer: reads only"),
    "partner": _l("Partner: everything, including members and settings"),
    "lawyer": _l("Lawyer: works the escalated cases"),
}
# The short role names heading the permission matrix on the members page.
ROLE_NAMES = {
    "owner": _l("Owner"),
    "manager": _l("Manager"),
    "viewer": _l("Viewer"),
    "partner": _l("Partner"),
    "lawyer": _l("Lawyer"),
}
# What became of an email, on the development mailbox.
EMAIL_STATUS_LABELS = {
    "queued": _l("Waiting to be sent"),
    "sent": _l("Sent"),
    "stored": _l("Kept here (no mail server configured)"),
    "failed": _l("Not sent yet: will try again"),
    "refused": _l("Refused by the mail server"),
}
# Why a badge is suspended or revoked (Badge.reason), as the timeline and the badge page say it.
BADGE_REASONS = {
    "plan": _l("the plan does not include the badge"),
    "email": _l("the owner's email is not verified"),
    "tax_id": _l("the letterhead has no valid NIF/CIF"),
    "ladder": _l("the collection ladder has no steps"),
    "closed": _l("the workspace was closed"),
}
# The types of case a law firm takes (tenants/models/escalations.py CASE_TYPES).
# One row of the matrix per action of tenants/permissions.py (a test checks none is missing).
ACTION_LABELS = {
    "rent_book.write": _l("Keep the rent book: properties, leases, payments, deposits, bank"),
    "rent_book.archive": _l(
        "Delete what nothing depends on in the rent book, archive and restore the rest"
    ),
    "parties.write": _l("Add and edit people and companies"),
    "parties.archive": _l("Delete, archive and restore people and companies"),
    "invoices.write": _l("Add, edit and import invoices, payments and credit notes"),
    "cases.work": _l("Work the cases: notes, promises, pauses, letters posted"),
    "letters.approve": _l("Approve or skip the letters that wait for approval (demands)"),
    "letterhead.edit": _l("Edit the letterhead (name, address, logo)"),
    "payee.edit": _l("Change the IBAN debtors pay to"),
    "ladder.edit": _l("Change the ladder and which letters wait for approval"),
    "members.manage": _l("Invite, remove and change members"),
    "tokens.manage": _l("Create and revoke API tokens"),
    "portal.manage": _l("Revoke a debtor's portal link and issue a new one"),
    "instalments.decide": _l("Accept, reject or offer instalment plans"),
    "stripe_account.manage": _l("Connect the Stripe account card payments go to"),
    "plan.manage": _l("Choose the plan and manage the subscription"),
    "badge.stamp": _l("Stamp invoices with the Amparo badge and check the badge again"),
    "workspace.close": _l("Close the workspace (its badge is revoked)"),
    "escalations.escalate": _l("Escalate a case to a law firm, accepting its fees, or withdraw it"),
    "escalations.correspond": _l("Write to the law firm of a case and send the documents it asks"),
    "inbox.answer": _l("Accept or decline the cases offered to the firm"),
    "inbox.work": _l(
        "Work the firm's cases: status, messages, requests, deadlines, files, the outcome"
    ),
    "firm.dpa": _l("Accept the data-processing agreement for the firm"),
}
