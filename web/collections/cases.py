"""Collections views: the list of cases and one case's page (its charges, its place on the
ladder, its letters and its timeline), with the owner's actions: pause, dispute, promise to
pay, resume, notes and the debtor's replies, and leaving one charge out of the letters."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_currency, format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from jobs.portal import PROMISE_LABEL, REASON_LABELS
from tenants import db
from tenants.clock import date_in_spain, today_in_spain
from tenants.models import Case, Charge, Letter
from tenants.services.collections import case_actions, cases, claims, ladders
from tenants.services.collections import letters as letter_service
from tenants.services.errors import NotFound, ServiceError
from tenants.services.platform.workspaces import list_members
from tenants.services.portal import telling
from web.collections import bp
from web.fields import DayField, MoneyField
from web.labels import (
    CANCEL_REASON_LABELS,
    CASE_STATUS_LABELS,
    CHANNEL_LABELS,
    CLOSED_REASON_LABELS,
    LETTER_KIND_LABELS,
    LETTER_STATUS_LABELS,
    NOTE_KIND_LABELS,
    PAUSE_REASON_LABELS,
    STEP_LABELS,
)
from web.messages import apply_to_form, flash_error
from web.permissions import requires
from web.workspaces.forms import REQUIRED

PROBLEM_STATUSES = {"failed", "bounced"}
PROBLEM_EVENTS = {"letter_failed", "letter_render_failed", "letter_bounced", "promise_broken"}

# One sentence per timeline event; a second key when an optional detail is there.
EVENT_TEXT = {
    "started_late": _l(
        "The debt was already %(days_late)s days late: the ladder starts at the step “%(step)s”."
    ),
    "closed": _l("Case closed: %(reason)s."),
    "payment": _l("Payment received on %(received_on)s: nothing is owed any more."),
    "partial_payment": _l("Partial payment received on %(received_on)s. Still owed: %(balance)s."),
    "letter_cancelled": _l("%(letter)s cancelled before it left: %(reason)s."),
    "charge_disputed": _l("The charge %(charge)s is disputed: %(reason)s"),
    "charge_dispute_settled": _l("The dispute over the charge %(charge)s is settled."),
    "paused": _l("Case paused: %(note)s"),
    "paused+until": _l("Case paused until %(until)s: %(note)s"),
    "disputed": _l("The debtor disputes the debt: %(note)s"),
    "promised": _l("The debtor promised to pay by %(until)s."),
    "promised+amount": _l("The debtor promised to pay %(amount)s by %(until)s."),
    "resumed": _l("The letters resume."),
    "promise_broken": _l("The promise to pay was not kept: the letters resume."),
    "note": _l("Note: %(text)s"),
    "debtor_reply": _l("The debtor replied: %(text)s"),
    "debtor_told": _l("The debtor wrote through the portal (%(reason)s): %(text)s"),
    "debtor_told+until": _l("The debtor promised through the portal to pay by %(until)s. %(text)s"),
    "debtor_told+until+amount": _l(
        "The debtor promised through the portal to pay %(amount)s by %(until)s. %(text)s"
    ),
    "portal_revoked": _l("The portal link was withdrawn."),
    "portal_renewed": _l("The case has a new portal link; the old one is withdrawn."),
    "charge_paused": _l("The charge %(charge)s is left out of the letters: %(reason)s"),
    "charge_paused+until": _l(
        "The charge %(charge)s is left out of the letters until %(until)s: %(reason)s"
    ),
    "charge_resumed": _l("The charge %(charge)s is back in the letters."),
    "letter_queued": _l("%(step)s prepared, to go by %(channel)s."),
    "letter_awaiting_approval": _l("%(letter)s is waiting for your approval."),
    "letter_to_post": _l("%(letter)s is ready to print and post by %(channel)s."),
    "letter_sent": _l("%(letter)s sent by email to %(to)s."),
    "letter_failed": _l("%(letter)s could not be sent: %(error)s"),
    "letter_render_failed": _l("%(letter)s could not be prepared: %(error)s"),
    "letter_render_failed+final": _l(
        "%(letter)s could not be prepared and will not be tried again: %(error)s"
    ),
    "letter_bounced": _l("%(letter)s did not arrive (bounced): %(error)s"),
    "letter_approved": _l("%(letter)s approved."),
    "letter_skipped": _l("%(letter)s skipped: it will not be sent."),
    "letter_note": _l("Note on %(letter)s: %(text)s"),
    "letter_posted": _l("%(letter)s posted on %(posted_on)s."),
    "letter_posted+tracking": _l(
        "%(letter)s posted on %(posted_on)s, tracking number %(tracking)s."
    ),
    "letter_delivered": _l(
        "%(letter)s delivered on %(delivered_on)s: acknowledgement of receipt kept."
    ),
    "escalation_proposed": _l(
        "The letters have not worked after %(days_late)s days: a lawyer is proposed."
    ),
    "needs_plan": _l("Waiting: “%(step)s” needs the %(plan)s plan."),
    "thanked": _l("Thank-you email sent to %(to)s."),
    "owner_changed": _l("The case is now followed by %(owner)s."),
    "owner_changed+nobody": _l("Nobody follows the case now."),
    # Card payments on the portal (tenants/services/portal/card.py)
    "card_paid": _l("The debtor paid %(amount)s by card on the portal."),
    "card_failed": _l("A card payment of %(amount)s on the portal failed: %(error)s"),
    "card_refunded": _l(
        "%(amount)s of a card payment was refunded to the debtor. Owed now: %(balance)s."
    ),
    "card_chargeback": _l(
        "The debtor's bank took back a card payment of %(amount)s (chargeback). Owed now: "
        "%(balance)s."
    ),
    "card_chargeback_won": _l(
        "The chargeback of %(amount)s was decided in your favour: the payment counts again. "
        "Owed now: %(balance)s."
    ),
    "card_chargeback_lost": _l(
        "The chargeback of %(amount)s was lost: the money stays with the debtor. Owed now: "
        "%(balance)s."
    ),
    # Instalment plans (tenants/services/collections/instalments.py)
    "plan_proposed": _l(
        "The debtor proposes %(count)s instalments of %(amount)s from %(first_due_on)s "
        "(the last one %(last)s)."
    ),
    "plan_offered": _l(
        "Instalments offered to the debtor: %(count)s of %(amount)s from %(first_due_on)s "
        "(the last one %(last)s)."
    ),
    "plan_countered": _l(
        "Counter-proposal to the debtor: %(count)s instalments of %(amount)s from "
        "%(first_due_on)s (the last one %(last)s)."
    ),
    "plan_rejected": _l("Instalment plan rejected: %(reason)s"),
    "plan_cancelled": _l("Instalment plan ended by the creditor: %(reason)s"),
    "plan_accepted": _l(
        "Instalment plan agreed: %(count)s instalments of %(amount)s from %(first_due_on)s."
    ),
    "plan_paused": _l("The letters wait while the instalment plan runs."),
    "sepa_mandate": _l(
        "The debtor signed a SEPA direct debit mandate (reference %(reference)s, account "
        "ending in %(iban_last4)s)."
    ),
    "instalment_paid": _l("Instalment %(position)s paid: %(amount)s on %(received_on)s."),
    "instalment_failed": _l(
        "The direct debit of instalment %(position)s (%(amount)s) was returned unpaid."
    ),
    "plan_missed": _l(
        "Instalment %(position)s (%(amount)s, due on %(due_on)s) was not paid: the plan is broken."
    ),
    "plan_broken": _l("The letters resume: an instalment was missed."),
    "plan_completed": _l("Every instalment of the plan is paid."),
    "plan_ended": _l("The letters resume: the instalment plan has ended."),
}
# Events that count something (the number in their detail's "charges"): singular or plural.
COUNTED_EVENT_TEXT = {
    "opened": lambda n: ngettext(
        "Case opened with %(num)s overdue charge.", "Case opened with %(num)s overdue charges.", n
    ),
    "reopened": lambda n: ngettext(
        "Case opened again with %(num)s new overdue charge.",
        "Case opened again with %(num)s new overdue charges.",
        n,
    ),
    "charges_added": lambda n: ngettext(
        "%(num)s more overdue charge added to the case.",
        "%(num)s more overdue charges added to the case.",
        n,
    ),
}
DATE_DETAILS = ("until", "received_on", "posted_on", "delivered_on", "first_due_on", "due_on")


# --- forms ------------------------------------------------------------------------------------


class ActionForm(FlaskForm):
    """A button: the CSRF token only."""


class PauseForm(FlaskForm):
    note = TextAreaField(_l("Why"), validators=[REQUIRED, Length(max=500)])
    until = DayField(
        _l("Resume on (optional)"),
        validators=[Optional()],
        description=_l("Left empty, the case waits until you resume it."),
    )


class DisputeForm(FlaskForm):
    note = TextAreaField(_l("What the debtor disputes"), validators=[REQUIRED, Length(max=500)])


class PromiseForm(FlaskForm):
    until = DayField(_l("Promised to pay by"), validators=[REQUIRED])
    amount = MoneyField(_l("Amount promised (optional)"))
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=500)])


class NoteForm(FlaskForm):
    kind = SelectField(
        _l("What it is"), choices=[SelectChoice(k, v) for k, v in NOTE_KIND_LABELS.items()]
    )
    text = TextAreaField(_l("Text"), validators=[REQUIRED, Length(max=2000)])


class ChargePauseForm(FlaskForm):
    reason = StringField(_l("Why"), validators=[REQUIRED, Length(max=500)])
    until = DayField(_l("Until (optional)"), validators=[Optional()])


class OwnerForm(FlaskForm):
    owner = SelectField(_l("Followed by"), coerce=int, validate_choice=False)


def owner_form(case: Case, formdata=None) -> OwnerForm:
    """The members who may act on the case, and "nobody" (0)."""
    form = OwnerForm(formdata=formdata, prefix="owner", data={"owner": case.owner_id or 0})
    form.owner.choices = [SelectChoice(0, _("Nobody"))] + [
        SelectChoice(m.user_id, m.user.name) for m in list_members() if m.can_write
    ]
    return form


FORMS = {
    "pause_form": (PauseForm, "pause"),
    "dispute_form": (DisputeForm, "dispute"),
    "promise_form": (PromiseForm, "promise"),
    "note_form": (NoteForm, "note"),
}


# --- helpers ----------------------------------------------------------------------------------


def today() -> date:
    return today_in_spain()


def actor():
    return current_user.user


def madrid_day(moment: datetime | None) -> date | None:
    return None if moment is None else date_in_spain(moment)


def _date_text(value) -> str:
    try:
        return format_date(date.fromisoformat(value), "medium")
    except (TypeError, ValueError):
        return str(value or "")


def letter_label(letter: Letter | None) -> str:
    if letter is None:
        return _("A letter")
    kind = LETTER_KIND_LABELS.get(letter.kind, letter.kind)
    return _("%(kind)s to %(name)s", kind=kind, name=letter.party.name)


def event_sentence(event, letters_by_id: dict[int, Letter], steps: dict | None = None) -> str:
    """The timeline line of `event`, in the reader's language. `steps` names the ladder's
    positions (an event may give the step by its number)."""
    detail = dict(event.detail or {})
    if event.kind == "escalation":
        from web.collections.escalation import case_event_sentence  # it imports this module

        return case_event_sentence(detail)
    key = event.kind
    if detail.get("until") and f"{key}+until" in EVENT_TEXT:
        key = f"{key}+until"
    if detail.get("amount") and f"{key}+amount" in EVENT_TEXT:
        key = f"{key}+amount"
    if detail.get("tracking") and f"{key}+tracking" in EVENT_TEXT:
        key = f"{key}+tracking"
    if detail.get("final") and f"{key}+final" in EVENT_TEXT:
        key = f"{key}+final"
    if key == "owner_changed" and not detail.get("owner"):
        key = "owner_changed+nobody"
    if key in COUNTED_EVENT_TEXT and isinstance(detail.get("charges"), int):
        return COUNTED_EVENT_TEXT[key](detail["charges"])
    template = EVENT_TEXT.get(key)
    if template is None:
        return event.kind.replace("_", " ")
    params = {k: ("" if v is None else v) for k, v in detail.items()}
    for name in DATE_DETAILS:
        if detail.get(name):
            params[name] = _date_text(detail[name])
    for name in ("amount", "balance", "last"):
        if detail.get(name) not in (None, ""):
            params[name] = format_currency(detail[name], "EUR")
    if "step" in detail:
        step = detail["step"]
        if isinstance(step, int) and steps and step in steps:
            step = steps[step]
        params["step"] = STEP_LABELS.get(step, step) if isinstance(step, str) else step
    if "channel" in detail:
        params["channel"] = CHANNEL_LABELS.get(detail["channel"], detail["channel"])
    if "plan" in detail:
        from web.plans import plan_name  # web.plans registers on the workspace blueprint

        params["plan"] = plan_name(detail["plan"])
    if event.kind == "closed":
        params["reason"] = CLOSED_REASON_LABELS.get(detail.get("reason"), detail.get("reason"))
    if event.kind == "debtor_told":
        params["reason"] = REASON_LABELS.get(detail.get("reason"), detail.get("reason") or "")
    if event.kind == "letter_cancelled":
        params["reason"] = CANCEL_REASON_LABELS.get(detail.get("reason"), detail.get("reason"))
    params["letter"] = letter_label(letters_by_id.get(event.letter_id))
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return event.kind.replace("_", " ")


def skipped_positions(case: Case, case_letters: list[Letter], events: list) -> set[int]:
    """The steps this climb passed without taking them: those before the step a late debt
    started at (the "started_late" after the last opening), and those whose latest letter
    the owner chose not to send. A step the climb took again later (after a partial payment
    took the case back down) is done."""
    skipped = set()
    climb = sorted(events, key=lambda e: e.id)
    openings = [i for i, e in enumerate(climb) if e.kind in ("opened", "reopened")]
    for event in climb[openings[-1] if openings else 0 :]:
        if event.kind == "started_late" and isinstance(event.detail.get("step"), int):
            skipped = set(range(1, event.detail["step"]))
    latest: dict[int, Letter] = {}
    for letter in sorted(case_letters, key=lambda x: x.id):
        if letter.copy_of_id is None and letter.step_position is not None:
            latest[letter.step_position] = letter
    taken = {position for position, x in latest.items() if x.status not in ("skipped", "cancelled")}
    return (skipped - taken) | {position for position, x in latest.items() if x.status == "skipped"}


def ladder_steps(
    case: Case, case_letters: list[Letter] | None = None, events: list | None = None
) -> list[dict]:
    """Every step of the case's ladder with its state (done, skipped, next or later) and its
    day: when it happened, or when it is due to ("around" for the later ones, which move if
    the case is paused or a letter waits for approval)."""
    case_letters, events = case_letters or [], events or []
    skipped = skipped_positions(case, case_letters, events)
    escalation = next((s.position for s in case.ladder.steps if s.kind == "escalation"), None)
    happened = _step_days(case_letters, events, escalation)
    next_day = date_in_spain(case.next_action_at) if case.next_action_at else None
    # Later steps keep their distance from the next one: if the next is late, so are they.
    shift = 0
    if next_day is not None and case.stage + 1 <= len(case.ladder.steps):
        shift = max(
            0, (next_day - ladders.step_due_on(case.ladder, case.anchor_date, case.stage + 1)).days
        )
    rows = []
    for step in case.ladder.steps:
        day = None
        if step.position <= case.stage:
            state = "skipped" if step.position in skipped else "done"
            day = happened.get(step.position) if state == "done" else None
        elif step.position == case.stage + 1 and case.status != "closed":
            state, day = "next", next_day
        else:
            state = "later"
            if case.status != "closed":
                due = ladders.step_due_on(case.ladder, case.anchor_date, step.position)
                day = due + timedelta(days=shift)
        rows.append({"step": step, "state": state, "day": day})
    return rows


def _step_days(case_letters: list[Letter], events: list, escalation: int | None) -> dict[int, date]:
    """The day each step of the current climb happened: its letter's leaving (sent, posted, or
    prepared for the tray), or for the lawyer step the day it was proposed."""
    days = {}
    for letter in sorted(case_letters, key=lambda x: x.id):
        if letter.copy_of_id is not None or letter.step_position is None:
            continue
        moment = letter.sent_at or letter.rendered_at or letter.created_at
        days[letter.step_position] = letter.posted_on or date_in_spain(moment)
    if escalation is not None:
        proposed = [e.created_at for e in events if e.kind == "escalation_proposed"]
        if proposed:
            days[escalation] = date_in_spain(max(proposed))
    return days


def stage_name(case: Case) -> str:
    step = ladders.step_at(case.ladder, case.stage) if case.stage else None
    return str(STEP_LABELS.get(step.kind, step.kind)) if step is not None else _("Not started")


def case_of_charges(charge_ids) -> Case | None:
    """The case holding any of these charges (for the lease and invoice pages)."""
    case_id = db.session.scalar(
        select(Charge.case_id).where(Charge.id.in_(list(charge_ids)), Charge.case_id.is_not(None))
    )
    return db.session.get(Case, case_id) if case_id else None


# --- the list ---------------------------------------------------------------------------------


@bp.get("/cases")
def case_list():
    status = request.args.get("status", "")
    if status not in CASE_STATUS_LABELS:
        status = ""
    rows = cases.list_cases(status or None)
    return render_template(
        "collections/case_list.html",
        rows=rows,
        status=status,
        status_labels=CASE_STATUS_LABELS,
        pause_labels=PAUSE_REASON_LABELS,
        stage_name=stage_name,
        madrid_day=madrid_day,
        reasons=telling.reason_counts(),
        reason_labels={"promise": PROMISE_LABEL, **REASON_LABELS},
    )


# --- one case ---------------------------------------------------------------------------------


def render_case(case: Case, status: int = 200, charge_forms: dict | None = None, **forms):
    on_day = today()
    context = {
        name: forms.get(name) or form_class(formdata=None, prefix=prefix)
        for name, (form_class, prefix) in FORMS.items()
    }
    case_letters = letter_service.letters_of_case(case.id)
    by_id = {letter.id: letter for letter in case_letters}
    events = cases.timeline(case.id)
    missing = {e.letter_id for e in events if e.letter_id and e.letter_id not in by_id}
    if missing:
        by_id.update(
            {x.id: x for x in db.session.scalars(select(Letter).where(Letter.id.in_(missing)))}
        )
    step_kinds = {step.position: step.kind for step in case.ladder.steps}
    charges = cases.open_charges(case.id)
    charge_forms = dict(charge_forms or {})
    for charge in charges:
        charge_forms.setdefault(
            charge.id, ChargePauseForm(formdata=None, prefix=f"charge-{charge.id}")
        )
    from web.collections.letters import AckForm  # the acknowledgement form lives with the tray

    return render_template(
        "collections/case_detail.html",
        case=case,
        today=on_day,
        balance=cases.case_balance(case.id),
        claim=claims.claim_of_case(case, on_day),
        charges=charges,
        charge_forms=charge_forms,
        steps=ladder_steps(case, case_letters, events),
        stage=stage_name(case),
        next_action_on=madrid_day(case.next_action_at),
        letters=[x for x in case_letters],
        timeline=[(e, event_sentence(e, by_id, step_kinds)) for e in events],
        leases=cases.leases_of(case.id),
        guarantors=cases.guarantors_of(case.id),
        action_form=ActionForm(formdata=None),
        owner_form=forms.get("owner_form") or owner_form(case),
        ack_forms={
            x.id: forms.get("ack_form")
            if forms.get("ack_letter_id") == x.id
            else AckForm(formdata=None, prefix=f"ack-{x.id}", data={"delivered_on": on_day})
            for x in case_letters
            if x.status == "posted"
        },
        status_labels=CASE_STATUS_LABELS,
        pause_labels=PAUSE_REASON_LABELS,
        closed_labels=CLOSED_REASON_LABELS,
        step_labels=STEP_LABELS,
        kind_labels=LETTER_KIND_LABELS,
        channel_labels=CHANNEL_LABELS,
        letter_status_labels=LETTER_STATUS_LABELS,
        problem_statuses=PROBLEM_STATUSES,
        problem_events=PROBLEM_EVENTS,
        debtor_messages=telling.messages_of_case(case.id),
        reason_labels=REASON_LABELS,
        portal_url=current_app.config["BASE_URL"].rstrip("/")
        + url_for("portal.case_page", token=case.portal_token),
        **context,
    ), status


@bp.get("/cases/<int:case_id>")
def case_detail(case_id: int):
    from web.collections.escalation import seen  # it imports this module

    case = cases.get_case(case_id)
    seen(case)  # what the law firm flagged for the creditor is seen
    return render_case(case)


def _act(case_id: int, form_name: str, action, done: str):
    """Validate the case form, run the service action and go back to the case (the request
    commits); or show the case again with the error next to the field (422), nothing changed."""
    case = cases.get_case(case_id)  # 404 before anything else
    form_class, prefix = FORMS[form_name]
    form = form_class(prefix=prefix)
    if form.validate_on_submit():
        try:
            action(form)
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            flash(done, "success")
            return redirect(url_for(".case_detail", case_id=case_id))
    return render_case(cases.get_case(case.id), 422, **{form_name: form})


@bp.post("/cases/<int:case_id>/pause")
@requires("cases.work")
def case_pause(case_id: int):
    return _act(
        case_id,
        "pause_form",
        lambda form: case_actions.pause_case(
            case_id,
            reason="manual",
            note=form.note.data,
            until=form.until.data,
            actor=actor(),
            today=today(),
        ),
        _("The case is paused: no letter goes out until it resumes."),
    )


@bp.post("/cases/<int:case_id>/dispute")
@requires("cases.work")
def case_dispute(case_id: int):
    return _act(
        case_id,
        "dispute_form",
        lambda form: case_actions.pause_case(
            case_id, reason="dispute", note=form.note.data, until=None, actor=actor(), today=today()
        ),
        _("The dispute is recorded: the letters stop until you resume the case."),
    )


@bp.post("/cases/<int:case_id>/promise")
@requires("cases.work")
def case_promise(case_id: int):
    return _act(
        case_id,
        "promise_form",
        lambda form: case_actions.pause_case(
            case_id,
            reason="promise",
            note=form.note.data or "",
            until=form.until.data,
            amount=(form.amount.data or "").strip() or None,
            actor=actor(),
            today=today(),
        ),
        _("The promise to pay is recorded: the letters wait until the day after it."),
    )


@bp.post("/cases/<int:case_id>/notes")
@requires("cases.work")
def case_note(case_id: int):
    return _act(
        case_id,
        "note_form",
        lambda form: case_actions.add_note(
            case_id, text=form.text.data, actor=actor(), kind=form.kind.data
        ),
        _("Added to the timeline."),
    )


@bp.post("/cases/<int:case_id>/owner")
@requires("cases.work")
def case_owner(case_id: int):
    case = cases.get_case(case_id)
    form = owner_form(case, request.form)
    if form.validate_on_submit():
        try:
            case_actions.assign_owner(case_id, user_id=form.owner.data or None, actor=actor())
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for(".case_detail", case_id=case_id))
    return render_case(cases.get_case(case.id), 422, owner_form=form)


@bp.post("/cases/<int:case_id>/resume")
@requires("cases.work")
def case_resume(case_id: int):
    cases.get_case(case_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Try again."), "danger")
        return redirect(url_for(".case_detail", case_id=case_id))
    try:
        case_actions.resume_case(case_id, actor=actor(), today=today())
    except ServiceError as error:
        flash_error(error)
        return redirect(url_for(".case_detail", case_id=case_id))
    flash(_("The case is running again."), "success")
    return redirect(url_for(".case_detail", case_id=case_id))


def _charge_in_case(charge_id: int) -> Charge:
    charge = db.session.scalar(select(Charge).where(Charge.id == charge_id))
    if charge is None or charge.case_id is None:
        raise NotFound(charge_id)
    return charge


@bp.post("/cases/charges/<int:charge_id>/pause")
@requires("cases.work")
def charge_pause(charge_id: int):
    charge = _charge_in_case(charge_id)
    case_id = charge.case_id
    form = ChargePauseForm(prefix=f"charge-{charge_id}")
    if form.validate_on_submit():
        try:
            case_actions.pause_charge(
                charge_id,
                until=form.until.data,
                reason=form.reason.data,
                actor=actor(),
                today=today(),
            )
        except ServiceError as error:
            apply_to_form(form, error)
        else:
            flash(_("The charge is left out of the letters."), "success")
            return redirect(url_for(".case_detail", case_id=case_id, _anchor="charges"))
    return render_case(cases.get_case(case_id), 422, charge_forms={charge_id: form})


@bp.post("/cases/charges/<int:charge_id>/resume")
@requires("cases.work")
def charge_resume(charge_id: int):
    charge = _charge_in_case(charge_id)
    case_id = charge.case_id
    if ActionForm().validate_on_submit():
        case_actions.resume_charge(charge_id, actor=actor())
        flash(_("The charge is back in the letters."), "success")
    return redirect(url_for(".case_detail", case_id=case_id, _anchor="charges"))


# --- counts for the menu ----------------------------------------------------------------------


@bp.app_context_processor
def _collection_counts():
    def collection_counts() -> dict[str, int]:
        """Letters waiting for the owner: to approve, and to post."""
        if getattr(g, "workspace", None) is None:
            return {"approvals": 0, "to_post": 0}
        counts = dict(
            db.session.execute(
                select(Letter.status, func.count())
                .where(
                    Letter.status.in_(("awaiting_approval", "to_post")),
                    Letter.copy_of_id.is_(None) | (Letter.status == "to_post"),
                )
                .group_by(Letter.status)
            ).all()
        )
        return {
            "approvals": counts.get("awaiting_approval", 0),
            "to_post": counts.get("to_post", 0),
        }

    return {"collection_counts": collection_counts}
