"""The words for service errors, by code, in the user's language."""

from datetime import date
from decimal import Decimal

from flask import flash
from flask_babel import format_currency, format_date, format_decimal, ngettext
from flask_babel import lazy_gettext as _l

from tenants.services.errors import ServiceError
from tenants.services.values import Percent
from web.transaction import refuse

MESSAGES = {
    "required": _l("This field is required."),
    "email_invalid": _l("This is not a valid email address."),
    "email_taken": _l("An account with this email already exists. Log in or reset your password."),
    "password_short": _l("The password needs at least %(min)s characters."),
    "password_weak": _l(
        "This password is too easy to guess. Use a longer phrase that does not contain your email."
    ),
    "password_wrong": _l("The current password is not right."),
    "password_mismatch": _l("The two passwords do not match."),
    "kind_invalid": _l("Choose landlord or business."),
    "role_invalid": _l("Choose one of the roles offered."),
    "already_member": _l("This person is already a member of the workspace."),
    "last_owner": _l("The workspace needs at least one member with this role."),
    "grant_managers_only": _l("Only a manager can be allowed to approve demands."),
    "invitation_closed": _l("This invitation was already used, revoked or has expired."),
    "invitation_other_email": _l(
        "This invitation was sent to %(email)s. Log in with that address to accept it."
    ),
    # Two-factor sign-in (tenants/services/platform/two_factor.py)
    "two_factor_code_format": _l(
        "Write the 6-digit code your authenticator app shows, or one of your recovery codes."
    ),
    "two_factor_code_wrong": _l(
        "This code is not right. Write the code your app shows now, and check that the "
        "phone's clock is on time."
    ),
    "two_factor_code_used": _l(
        "This code has already been used. Wait for your app to show the next one (every 30 "
        "seconds)."
    ),
    "recovery_code_wrong": _l("This recovery code is not right or has already been used."),
    "two_factor_not_started": _l("Start the set-up again: the page shows a new code to scan."),
    "two_factor_already_on": _l("Two-factor sign-in is already on."),
    "two_factor_not_on": _l("Two-factor sign-in is not on."),
    "two_factor_required_law_firm": _l(
        "Members of a law firm must keep two-factor sign-in on: it protects the debtors' files."
    ),
    # rentals
    "choice_invalid": _l("Choose one of the options offered."),
    "one_line": _l("Write it on one line, without line breaks or tabs."),
    "date_invalid": _l("This is not a valid date. Write it as dd/mm/yyyy."),
    "date_out_of_range": _l("The date must be between the years %(first)s and %(last)s."),
    "tax_id_invalid": _l("This NIF, NIE or CIF is not valid. Check the letters and digits."),
    "tax_id_taken": _l("There is already someone with this NIF/NIE/CIF: %(name)s."),
    "province_invalid": _l("Choose a Spanish province."),
    "postal_code_invalid": _l("A postal code has 5 digits."),
    "postal_code_province": _l(
        "Postal codes in %(province)s start with %(prefix)s: check the code or the province."
    ),
    "phone_invalid": _l("Write a phone number, for example +34 600 12 34 56 or 91 123 45 67."),
    "tax_id_not_company": _l(
        "A DNI or NIE belongs to a person. A self-employed professional is a person: choose "
        "“Person” and tick “Business client”."
    ),
    "cadastral_ref_invalid": _l("A cadastral reference has 20 letters and digits."),
    "unit_exists": _l("This property already has a unit with that name."),
    "renter_required": _l("A lease needs at least one renter."),
    "end_before_start": _l("The end date must be after the start date."),
    "due_day_invalid": _l("The due day must be between 1 and 31."),
    "iban_invalid": _l("This IBAN is not valid. Check it against the bank's document."),
    "iban_required": _l("Write the IBAN the rent is paid to (or charged from)."),
    "lease_overlap": _l(
        "This unit already has a lease for those dates (from %(since)s). End it first."
    ),
    "lease_not_draft": _l("Only a draft lease can be activated."),
    "lease_not_open": _l("This lease has already ended."),
    "property_in_use": _l(
        "This property has units, so it cannot be deleted. Delete its units first, or archive "
        "the property."
    ),
    "unit_in_use": _l(
        "This unit has leases, so it cannot be deleted. Archive it instead: it stays in the "
        "books and is no longer offered for new leases."
    ),
    "party_in_use": _l(
        "They are on a lease, an invoice, a payment, a case or a letter, so they cannot be "
        "deleted. Archive them instead."
    ),
    "lease_in_use": _l(
        "This lease has charges, payments or letters, so it cannot be deleted. End it, then "
        "archive it."
    ),
    "archive_open_lease": _l("A lease is still running here: end it first, then archive."),
    "archive_open_case": _l("A collections case against them is open: close it first."),
    "end_date_charged": _l(
        "Rent is already charged up to %(charged)s. To stop earlier, end the lease instead: "
        "it removes the later charges."
    ),
    "amount_invalid": _l("Write an amount in euros, for example 850 or 850,50."),
    "amount_not_positive": _l("The amount must be more than zero."),
    "amount_cents": _l("Amounts have at most two decimals (cents)."),
    "amount_too_large": _l("This amount is too large: at most %(max)s."),
    "deposit_settled": _l("This deposit has already been settled."),
    "keys_not_returned": _l("Record the day the keys were returned first."),
    "keys_before_start": _l("The keys cannot have come back before the lease started."),
    "update_decided": _l("This rent update has already been decided."),
    # receivables
    "invoice_number_taken": _l("There is already an invoice with the number %(number)s."),
    "due_before_issue": _l("The due date cannot be before the issue date."),
    "currency_unknown": _l("Unknown currency: use a 3-letter ISO code such as EUR."),
    "total_below_paid": _l("The total cannot be less than what was already paid or credited."),
    "credit_above_outstanding": _l("A credit note can take off at most %(outstanding)s."),
    "payment_above_outstanding": _l(
        "This invoice only owes %(outstanding)s. Record the rest on the invoice it pays."
    ),
    "attachment_not_pdf": _l("The file is not a PDF."),
    # Stamping an invoice with the badge (tenants/services/badge/invoices.py, letters/stamp.py)
    "pdf_unreadable": _l(
        "This PDF cannot be read: it may be damaged. Export it again from your invoicing program."
    ),
    "pdf_encrypted": _l(
        "This PDF is protected with a password or encryption, so it cannot be stamped. Save it "
        "again without protection and upload that copy."
    ),
    "stamp_no_pdf": _l("Attach the invoice's PDF first: it is the one that gets stamped."),
    "badge_inactive_plan": _l(
        "Nothing was stamped: your badge is not active because the plan does not include it "
        "(Protección or higher)."
    ),
    "badge_inactive_email": _l(
        "Nothing was stamped: your badge is not active because the owner's account email is "
        "not confirmed."
    ),
    "badge_inactive_tax_id": _l(
        "Nothing was stamped: your badge is not active because the letterhead has no valid "
        "NIF, CIF or NIE."
    ),
    "badge_inactive_ladder": _l(
        "Nothing was stamped: your badge is not active because the collection ladder has no steps."
    ),
    "badge_inactive_closed": _l(
        "Nothing was stamped: the workspace is closed and its badge revoked."
    ),
    "badge_inactive_pending": _l(
        "Nothing was stamped: your badge is about to be issued. Press “Check now” on the "
        "badge page and try again in a few seconds."
    ),
    "attachment_too_large": _l("The file is larger than %(mb)s MB."),
    "attachment_too_large_named": _l("%(name)s is larger than %(mb)s MB."),
    "attachment_not_document": _l("%(name)s is not a PDF, PNG, JPEG or WebP file."),
    "attachments_too_many": _l("Send at most %(most)s files."),
    "portal_already_revoked": _l("The portal link is already withdrawn."),
    "billed_from_invalid": _l("Charging must start within the lease, on or after its start."),
    "index_value_implausible": _l("An annual variation is a few percent: check the value."),
    # rates (/admin/rates, docs/law.md#rates-as-data)
    "rate_invalid": _l("Write the rate in percent per year, for example 10,15 or 3,25."),
    "rate_implausible": _l("A legal or late-payment rate is a few percent: check the value."),
    "boe_reference_invalid": _l(
        "Write the BOE identifier of the resolution, for example BOE-A-2025-13217."
    ),
    "rate_overlap": _l(
        "Another rate of this kind already covers part of these days (%(start)s to %(end)s). "
        "Correct that one instead."
    ),
    "rate_needs_boe_reference": _l(
        "Write the BOE identifier of the resolution you read before marking the rate verified."
    ),
    # rent book import (CSV)
    "import_not_csv": _l(
        "This is not a CSV file. Open it in your spreadsheet and save it as “CSV (semicolon "
        "delimited)”, or start from the template."
    ),
    "import_too_large": _l("The file is larger than %(max)s MB. Split it into smaller files."),
    "import_empty": _l("The file has no rows to import under the header row."),
    "import_too_many_rows": _l("The file has more than %(max)s rows. Split it into smaller files."),
    "import_column_missing": _l(
        "The column “%(column)s” is missing. Download the template to see every column."
    ),
    "import_column_repeated": _l("The column “%(column)s” appears more than once."),
    "import_too_many_cells": _l(
        "This row has more cells than the header row. If an amount has a comma, save the file "
        "separated by semicolons (;)."
    ),
    "import_choice": _l("“%(value)s” is not one of the accepted values: %(choices)s."),
    "import_too_long": _l("This is too long: at most %(max)s characters."),
    "import_amount_too_large": _l("This amount is too large. Check it."),
    "import_update_invalid": _l("“%(value)s” is not an update clause. Write one of: %(choices)s."),
    "import_party_repeated": _l("The same NIF/NIE/CIF appears twice on this lease."),
    "import_rows_overlap": _l("Row %(row)s of this file already lets this unit for those dates."),
    "import_address_in_row": _l("The address of this property has a problem in row %(row)s."),
    "import_expired": _l("This import expired or was changed. Upload the file again."),
    # invoice import
    "invoice_import_not_csv": _l(
        "This is not a CSV file. Save the invoices from your spreadsheet or invoicing program as "
        "CSV and upload that file."
    ),
    "invoice_import_empty": _l("The file is empty."),
    "invoice_import_too_many_cells": _l(
        "This row has more cells than the header row. If an amount has a comma, save the file "
        "separated by semicolons (;)."
    ),
    "invoice_import_amount_too_large": _l("This amount is too large. Check it."),
    "invoice_import_no_rows": _l("The file has a header but no invoices under it."),
    "invoice_import_too_many_rows": _l("The file has too many rows: at most %(max)s at a time."),
    "invoice_import_rows_invalid": _l(
        "%(count)s problem(s) in the file. Nothing was imported: fix them and upload it again."
    ),
    "invoice_import_column_required": _l("Choose the column that holds this."),
    "invoice_import_column_twice": _l("The column “%(column)s” is already used for another field."),
    "invoice_import_required": _l("This cell is empty, and it is needed."),
    "invoice_import_too_long": _l("This is too long: at most %(max)s characters."),
    "invoice_import_number_repeated": _l(
        "The invoice number %(value)s is also in row %(first)s of this file."
    ),
    "invoice_import_tax_id_invalid": _l(
        "“%(value)s” is not a valid NIF, NIE or CIF. Check the letters and digits."
    ),
    "invoice_import_email_invalid": _l("“%(value)s” is not a valid email address."),
    "invoice_import_date_invalid": _l("“%(value)s” is not a date. Write it as dd/mm/yyyy."),
    "invoice_import_amount_invalid": _l("“%(value)s” is not an amount. Write it as 1.234,56."),
    "invoice_import_amount_not_positive": _l("“%(value)s”: the amount must be more than zero."),
    "invoice_import_currency_unknown": _l(
        "“%(value)s” is not a currency: use a 3-letter ISO code such as EUR."
    ),
    # bank statements
    "bank_not_csv": _l(
        "This is not a CSV file. If your bank gave you an Excel or PDF file, download its CSV "
        "export instead, or open the file in a spreadsheet and save it as CSV."
    ),
    "bank_empty": _l("The file is empty."),
    "bank_header_missing": _l(
        "The header row was not found. The file needs a column for the date (Fecha), one for "
        "the amount (Importe) and one for the concept (Concepto)."
    ),
    "bank_concept_column_missing": _l(
        "The file has a date and an amount column but no concept column (Concepto or Descripción)."
    ),
    "bank_rows_invalid": _l(
        "%(count)s problem(s) in the file. Nothing was imported: correct these rows and upload "
        "the file again."
    ),
    "bank_column_missing": _l("The row is shorter than the header: “%(column)s” is missing."),
    "bank_date_missing": _l("The date is empty."),
    "bank_date_invalid": _l("“%(value)s” is not a date. Write it as dd/mm/yyyy."),
    "bank_amount_missing": _l("The amount is empty."),
    "bank_amount_invalid": _l("“%(value)s” is not an amount. Write it as 1.234,56 or -45,00."),
    "bank_no_lines": _l("The file has a header but no movements under it."),
    "bank_too_many_lines": _l(
        "The file has more than %(max)s movements. Export a shorter period from your bank."
    ),
    "bank_statement_duplicate": _l(
        "This file was already imported (as “%(filename)s”). Open it from the list below."
    ),
    "bank_line_booked": _l("This line has already been booked."),
    "bank_line_ignored": _l("This line is ignored, so it cannot be booked."),
    "bank_lease_required": _l("Choose the lease this money is for."),
    # collections: the ladder, cases and letters
    "number_range": _l("Write a whole number from %(low)s to %(high)s."),
    "too_long": _l("This is too long: at most %(max)s characters."),
    "credit_file_name_required": _l(
        "Name the credit file (for example ASNEF) the letters warn about, or turn the warning off."
    ),
    "ladder_needs_steps": _l("The ladder needs at least one step."),
    "ladder_goes_back": _l(
        "This step would come before the previous one. Each step must wait at least as long."
    ),
    "case_closed": _l("This case is closed."),
    # escalating a case (tenants/services/escalations/escalate.py and creditor.py)
    "escalation_not_eligible": _l(
        "The case cannot go to a lawyer yet: see what is missing below. Nothing was changed."
    ),
    "terms_not_accepted": _l(
        "Tick “I accept these fees” to escalate: the firm charges them for this case."
    ),
    "escalation_filed": _l(
        "The firm has filed the case in court: it can no longer be withdrawn. Write to the "
        "firm if you need to stop it."
    ),
    "escalation_no_firm": _l("No firm has the case now: there is nobody to write to."),
    "escalation_running": _l(
        "The case is with a lawyer: the letters stay stopped. Withdraw the escalation first."
    ),
    # the law firm's inbox (tenants/services/escalations/inbox.py)
    "no_conflict_required": _l(
        "Tick the declaration that your firm has no conflict of interest with the debtor or "
        "the creditor: without it the case cannot be accepted."
    ),
    "offer_answered": _l("This offer has already been answered."),
    "offer_expired": _l("The 48 hours to answer this offer have passed: it goes to another firm."),
    "offer_not_accepted": _l("Accept the case first."),
    "escalation_closed": _l("This escalation is closed: nothing more can be changed."),
    "status_backwards": _l(
        "Choose a later step: an escalation never goes back to an earlier status."
    ),
    "status_needs_filing": _l("An opposition can only follow a filed petition."),
    "filing_details_required": _l(
        "The filing needs the court, the procedure number and the day it was filed."
    ),
    "filed_before_accepted": _l("The filing cannot be before the day the case was accepted."),
    "date_in_past": _l("The date cannot be before today."),
    "recovered_amount_required": _l(
        "Write the amount recovered. If nothing was, choose “Closed, unrecoverable”."
    ),
    "debtor_messages_too_many": _l(
        "You have sent %(most)s messages in the last 24 hours, and they have reached the "
        "creditor. You can write again later, or contact the creditor directly."
    ),
    "case_not_paused": _l("This case is not paused."),
    "date_not_future": _l("The date must be after today."),
    "date_too_far": _l("The date can be at most a year from today."),
    "date_in_future": _l("The date cannot be later than today."),
    "payment_before_lease": _l(
        "This lease was signed or began on %(since)s: a payment cannot be from before that day."
    ),
    "letter_not_waiting": _l("This letter is no longer waiting for approval."),
    "nothing_selected": _l("Select at least one letter."),
    "letter_not_to_post": _l("One of these letters is no longer waiting to be posted."),
    "tracking_required": _l("A certified letter needs its tracking number."),
    "letter_not_posted": _l("Only a posted letter can take an acknowledgement of receipt."),
    "lease_without_renter": _l("This lease has no renter to send the letter to."),
    "logo_not_image": _l("The logo must be a PNG or JPEG image."),
    "logo_too_large": _l("The logo is larger than %(kb)s KB."),
    # Plans (tenants/services/billing/plans.py): `feature` and `plan` are put in words by
    # web/plans.py (the plan's name is data, in the reader's language).
    "plan_required": _l("%(feature)s: this needs the %(plan)s plan."),
    "plan_no_customer": _l("There is no subscription to manage yet: subscribe to a plan first."),
    # Stripe (tenants/services/billing/stripe_api.py)
    "stripe_unavailable": _l(
        "The payment service (Stripe) cannot be reached right now. Try again in a few minutes: "
        "nothing will be charged twice."
    ),
    "stripe_declined": _l("The card or the bank refused the payment. Try another card or account."),
    "stripe_refused": _l(
        "The payment service (Stripe) refused this operation. Try again later; if it keeps "
        "happening, contact support."
    ),
    # Instalment plans (tenants/services/collections/instalments.py)
    "instalments_count": _l("Choose between %(min)s and %(max)s instalments."),
    "instalments_first_past": _l("The first instalment cannot be before today."),
    "instalments_first_far": _l("The first instalment must be on %(latest)s at the latest."),
    "instalments_sum": _l(
        "%(count)s instalments of %(amount)s do not add up to the %(total)s owed: each should "
        "be %(each)s (the last one takes the cents left)."
    ),
    "instalments_nothing_owed": _l("Nothing is owed: there is nothing to pay in instalments."),
    "instalments_running": _l("An instalment plan is already running for this debt."),
    "instalments_not_open": _l("This plan is no longer waiting for an answer."),
    "instalments_not_running": _l("This plan is not running."),
    "sepa_mandate_not_accepted": _l("To pay by direct debit, accept the mandate."),
    "sepa_unavailable": _l(
        "Direct debit is not available with this creditor yet: pay each instalment by card or "
        "by transfer."
    ),
    "sepa_not_confirmed": _l("The bank did not confirm the direct debit. Check the IBAN."),
    # Card payments (tenants/services/portal/card.py)
    "card_unavailable": _l(
        "Paying by card is not possible for this debt right now. You can pay by transfer."
    ),
    # Closing the workspace (tenants/services/badge/issuance.py)
    "workspace_name_mismatch": _l(
        "That is not the name of this workspace. Type its name exactly to close it."
    ),
    "workspace_already_closed": _l("This workspace is already closed."),
    # law firms (tenants/services/escalations/firms.py)
    "firm_provinces_required": _l("Choose at least one province the firm works in."),
    "firm_province_unknown": _l(
        "“%(province)s” is not a Spanish province. Write the provinces as in the list, "
        "separated by commas, for example Madrid, Toledo."
    ),
    "firm_case_types_required": _l("Choose at least one type of case the firm takes."),
    "firm_case_type_unknown": _l(
        "“%(case_type)s” is not a type of case: monitorio, eviction or ordinary."
    ),
    "firm_capacity_invalid": _l(
        "The capacity is a whole number of open cases at once, from 1 to %(max)s."
    ),
    "amount_negative": _l("The amount cannot be negative."),
    "firm_percent_range": _l("A success percentage is between 0 and 100."),
    "firm_terms_required": _l(
        "Give the firm's fees: a flat fee per case, a success percentage, or both."
    ),
    "firm_name_long": _l("The name may have at most %(max)s characters."),
    "dpa_not_ticked": _l(
        "Tick the box to declare that the firm accepts the agreement as processor."
    ),
    "dpa_version_changed": _l(
        "The agreement changed while you were reading it: read version %(version)s and accept it."
    ),
}

# Things the law would question: shown as warnings, they do not block the landlord.
WARNINGS = {
    "vat_mismatch": _l(
        "Base plus VAT make %(expected)s, but the total is %(total)s. Check the invoice."
    ),
    "import_backdated": _l(
        "This lease is already running: Amparo will charge its rent from %(since)s on. Add any "
        "older unpaid rent on the lease's page."
    ),
    "import_party_known": _l(
        "The NIF/NIE/CIF %(tax_id)s already belongs to %(name)s: the lease will use that person."
    ),
    "consumer_needs_demand": _l(
        "A consumer owes the legal interest only from a formal demand (Código Civil arts. 1100 "
        "and 1108): send one to start it."
    ),
    "irav_expected": _l(
        "Housing leases signed from 25 May 2023 are updated by the IRAV index, not the IPC "
        "(LAU art. 18)."
    ),
    "deposit_not_legal": lambda p: ngettext(
        "The law sets the deposit at %(num)s month of rent: %(legal)s (LAU art. 36.1).",
        "The law sets the deposit at %(num)s months of rent: %(legal)s (LAU art. 36.1).",
        p["months"],
        legal=p["legal"],
    ),
    # LAU art. 36.5 and why it binds the lease, or why not (docs/law.md#lau-36-5-guarantees).
    "guarantee_over_cap_person": _l(
        "Additional guarantees on this housing lease may not exceed two months of rent: "
        "%(cap)s (LAU art. 36.5). The cap applies: the lease ends on %(end)s, within 5 "
        "years of its start, and the landlord is a natural person."
    ),
    "guarantee_over_cap_company": _l(
        "Additional guarantees on this housing lease may not exceed two months of rent: "
        "%(cap)s (LAU art. 36.5). The cap applies: the lease ends on %(end)s, within 7 "
        "years of its start, and the landlord is a company (legal person)."
    ),
    "guarantee_over_cap_unsaid": _l(
        "Additional guarantees on this housing lease may not exceed two months of rent: "
        "%(cap)s (LAU art. 36.5). The cap binds leases of up to 7 years if the landlord "
        "is a company, up to 5 if a natural person; this one ends on %(end)s. Say which the "
        "landlord is in the letterhead settings."
    ),
    "guarantee_over_cap_open_term": _l(
        "Additional guarantees on this housing lease may not exceed two months of rent: "
        "%(cap)s (LAU art. 36.5). The cap applies: with no end date agreed, the lease "
        "lasts one year, renewed year by year (LAU art. 9)."
    ),
    "guarantee_cap_other_use": _l(
        "The two-month cap on additional guarantees is for housing leases only (LAU art. 36.5)."
    ),
    "guarantee_cap_beyond_person": _l(
        "No cap on the additional guarantee: the lease ends on %(end)s, more than 5 years "
        "after its start, and the landlord is a natural person (LAU art. 36.5 caps it at two "
        "months of rent only up to 5 years)."
    ),
    "guarantee_cap_beyond_company": _l(
        "No cap on the additional guarantee: the lease ends on %(end)s, more than 7 years "
        "after its start, and the landlord is a company (LAU art. 36.5 caps it at two months "
        "of rent only up to 7 years)."
    ),
    "guarantee_cap_beyond_unsaid": _l(
        "No cap on the additional guarantee: the lease ends on %(end)s, more than 7 years "
        "after its start (LAU art. 36.5 caps it at two months of rent up to 5 years if the "
        "landlord is a natural person, 7 if a company)."
    ),
}


def in_words(params: dict) -> dict:
    """The values of a message as the reader writes them: "1.100,00 €", "1 sept 2026",
    "100.000". Services pass dates and amounts as they are (date, Decimal), never as text."""
    shown = {}
    for name, value in params.items():
        if isinstance(value, date):
            value = format_date(value, "medium")
        elif isinstance(value, Percent):
            value = f"{format_decimal(value)} %"
        elif isinstance(value, Decimal):
            value = format_currency(value, "EUR")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
            value = format_decimal(value)
        shown[name] = value
    return shown


def warning_text(code: str, params: dict) -> str:
    template = WARNINGS[code]
    if callable(template):  # a count decides its words: ngettext, with the values in words
        return str(template(in_words(params)))
    return str(template) % in_words(params)


def message_for(error: ServiceError) -> str:
    template = MESSAGES.get(error.code)
    params = error.params
    if error.code == "plan_required":
        from web.plans import plan_words  # web.plans shows these messages too

        params = plan_words(error.params)
    return str(template) % in_words(params) if template is not None else error.code


def _plan_page_instead(error: ServiceError) -> None:
    """A refusal for the plan is not a form error: the 402 page names the plan (web/plans.py)."""
    from tenants.services.billing.plans import PlanRequired

    if isinstance(error, PlanRequired):
        raise error


def apply_to_form(form, error: ServiceError) -> None:
    """Show the error next to its field (or at the top of the form), and undo what the refused
    action wrote: the form comes back over the database as it was (web/transaction.py)."""
    _plan_page_instead(error)
    refuse()
    show_on_form(form, error)


def flash_error(error: ServiceError) -> None:
    """Tell the person why the action was refused, on the page they are sent to; undo what it
    wrote (web/transaction.py)."""
    _plan_page_instead(error)
    refuse()
    flash(message_for(error), "danger")


def show_on_form(form, error: ServiceError) -> None:
    """Only show the error: for a check made before anything was written, where a rollback
    would expire objects the page still needs."""
    _plan_page_instead(error)
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, message_for(error)]
    else:
        form.form_errors.append(message_for(error))


ACTIVITY = {
    "workspace.created": _l("created the workspace"),
    "member.invited": _l("invited %(email)s"),
    "member.joined": _l("joined the workspace"),
    "member.role_changed": _l("changed the role of %(email)s"),
    "member.removed": _l("removed %(email)s"),
    "invitation.revoked": _l("revoked the invitation of %(email)s"),
    "api_token.created": _l("created the API token “%(name)s”"),
    "api_token.revoked": _l("revoked the API token “%(name)s”"),
    "member.granted": _l("allowed %(email)s to approve demands"),
    "member.grant_revoked": _l("no longer allows %(email)s to approve demands"),
    "ladder.changed": _l("changed the collection ladder and its approvals"),
    "payee.changed": _l("changed the IBAN debtors pay to from %(old)s to %(new)s"),
    "plan.changed": _l("the plan is now %(plan)s (%(status)s)"),
    "stripe_account.created": _l("started setting up card payments with Stripe (%(account)s)"),
    "stripe_account.pending": _l("the Stripe account %(account)s waits for the owner's details"),
    "stripe_account.active": _l("the Stripe account %(account)s can now take card payments"),
    "stripe_account.restricted": _l(
        "Stripe restricted the account %(account)s: it needs more details"
    ),
    "invoice.stamped": _l("stamped invoice %(number)s with the badge"),
    "badge.issued": _l("issued the “Protegido por Amparo” badge"),
    "badge.suspended": _l("suspended the badge: %(reason)s"),
    "badge.reinstated": _l("reinstated the badge: every requirement is met again"),
    "badge.revoked": _l("revoked the badge for good: %(reason)s"),
    "workspace.closed": _l("closed the workspace"),
    "firm.created": _l("added the law firm %(name)s to the directory"),
    "firm.updated": _l("changed the firm's coverage, capacity or fees"),
    "firm.activated": _l("put the firm back in the directory: it receives cases again"),
    "firm.deactivated": _l("took the firm out of the directory: it receives no new cases"),
    "firm.dpa": _l("accepted the data-processing agreement, version %(version)s"),
}


def activity_label(event) -> str:
    template = ACTIVITY.get(event.action)
    if template is None:
        return event.action
    detail = event.detail
    if event.action == "plan.changed":
        from web.plans import plan_words

        detail = plan_words(detail)
    elif event.action.startswith("badge."):
        from web.labels import BADGE_REASONS

        reason = (detail or {}).get("reason", "")
        detail = {**(detail or {}), "reason": str(BADGE_REASONS.get(reason, reason))}
    try:
        return str(template) % detail
    except (KeyError, TypeError):
        return event.action
