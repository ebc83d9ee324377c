"""Letters: recording them (idempotently), and every change of state a person or a job makes.

A service only records: the Letter row in `rendering`, and a request to render it after the
commit (tenants/outbox.py). The jobs render (once: a letter with a PDF is never rendered again),
send the email, or leave paper letters in the "to post" tray. The owner approves or skips the
letters that need approval, and marks paper letters posted, with the tracking number and the
acknowledgement of receipt.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from tenants import outbox, permissions
from tenants.clock import date_in_spain
from tenants.db import current_tenant_id, session, utcnow
from tenants.models import Case, Charge, Lease, LeaseParty, Letter, Party, User
from tenants.services.billing import plans
from tenants.services.collections import cases
from tenants.services.errors import NotFound, ServiceError
from tenants.services.values import check_day

MAX_TRACKING = 64


def _letter_key(case: Case, position: int, party_id: int) -> str:
    return f"case:{case.id}:c{case.cycle}:s{position}:p{party_id}"


def _channel_for(party: Party, channel: str) -> tuple[str, str]:
    """A letter must reach its recipient: no email address means paper."""
    if channel == "email" and not party.email:
        return "postal", "no_email"
    return channel, ""


def record_step_letters(case: Case, step, guarantors: list[Party]) -> list[Letter]:
    """The debtor's letter for `step` and a copy for each guarantor, idempotently by key."""
    return record_steps([(case, step, guarantors)])


def record_steps(batch: list[tuple[Case, object, list[Party]]]) -> list[Letter]:
    """Letters for many cases' steps at once: one query for the keys already taken and two
    flushes, whatever the number of cases (the sweep's cost per case stays flat)."""
    planned = []  # (case, step, [(party, role, key)])
    missing_for_step = plans.step_checker() if batch else None
    for case, step, guarantors in batch:
        missing = missing_for_step(step.kind, step.channel)  # the sweep waited; this is a wall
        if missing is not None:
            raise plans.PlanRequired(missing, plans.needed_for(missing))
        recipients = [(case.party, None)] + [(g, "guarantor") for g in guarantors]
        planned.append(
            (
                case,
                step,
                [(p, role, _letter_key(case, step.position, p.id)) for p, role in recipients],
            )
        )
    keys = [key for _case, _step, rows in planned for _p, _r, key in rows]
    taken = set(session.scalars(select(Letter.key).where(Letter.key.in_(keys)))) if keys else set()
    mains: dict[int, Letter] = {}
    created: list[Letter] = []
    for case, step, rows in planned:
        party, _role, key = rows[0]
        if key not in taken:
            mains[case.id] = _new_step_letter(case, step, party, None)
            created.append(mains[case.id])
    session.flush()  # the debtors' letters get their ids, which the copies point to
    tenant_id = current_tenant_id()
    for case, step, rows in planned:
        main = mains.get(case.id)
        copies = []
        for party, role, key in rows[1:]:
            if key not in taken:
                copies.append(_new_step_letter(case, step, party, role, main))
        created.extend(copies)
        if main is not None:
            cases.record_event(
                case,
                "letter_queued",
                letter_id=main.id,
                step=step.kind,
                channel=main.channel,
                copies=len(copies),
            )
    session.flush()
    for letter in created:
        outbox.request(outbox.RENDER_LETTER, tenant_id, letter.id)
    return created


def _new_step_letter(case: Case, step, party: Party, role, main: Letter | None = None) -> Letter:
    channel, note = _channel_for(party, step.channel)
    letter = Letter(
        key=_letter_key(case, step.position, party.id),
        kind=step.kind,
        case_id=case.id,
        party_id=party.id,
        party=party,
        step_position=step.position,
        cycle=case.cycle,
        channel=channel,
        language=party.language or "es",
        needs_approval=step.needs_approval,
        copy_of_id=main.id if main is not None else None,
        source={"role": role} if role else {},
        note=note,
    )
    session.add(letter)
    return letter


def record_letter(
    *, kind: str, key: str, party: Party, channel: str = "email", lease_id=None, source=None
) -> Letter:
    """A letter outside the ladder (rent update notice, deposit settlement, statement)."""
    letter = session.scalar(select(Letter).where(Letter.key == key))
    if letter is not None:
        return letter
    channel, note = _channel_for(party, channel)
    letter = Letter(
        key=key,
        kind=kind,
        lease_id=lease_id,
        party_id=party.id,
        party=party,
        channel=channel,
        language=party.language or "es",
        source=source or {},
        note=note,
    )
    session.add(letter)
    session.flush()
    outbox.request(outbox.RENDER_LETTER, current_tenant_id(), letter.id)
    return letter


def record_for_renters(lease, *, kind: str, key: str, source: dict | None = None) -> list[Letter]:
    """The same letter to each renter of `lease`; `key` is completed with each renter's id."""
    return [
        record_letter(
            kind=kind, key=f"{key}:p{renter.id}", party=renter, lease_id=lease.id, source=source
        )
        for renter in lease.renters
    ]


def send_statement(lease_id: int, today: date) -> list[Letter]:
    """A statement of account to each renter of the lease (at most one a day each)."""
    lease = session.scalar(select(Lease).where(Lease.id == lease_id))
    if lease is None:
        raise NotFound(lease_id)
    if not lease.renters:
        raise ServiceError("lease_without_renter")
    return record_for_renters(lease, kind="statement", key=f"statement:{lease.id}:{today}")


def get_letter(letter_id: int) -> Letter:
    letter = session.scalar(select(Letter).where(Letter.id == letter_id))
    if letter is None:
        raise NotFound(letter_id)
    return letter


def lock_letter(letter_id: int) -> Letter | None:
    """The letter, locked until the transaction ends (a second worker waits, then sees it)."""
    return session.scalar(
        select(Letter)
        .where(Letter.id == letter_id)
        .with_for_update(of=Letter)
        .execution_options(populate_existing=True)
    )


def copies_of(letter: Letter) -> list[Letter]:
    return copies_by_letter([letter.id]).get(letter.id, [])


def copies_by_letter(letter_ids: list[int]) -> dict[int, list[Letter]]:
    """The guarantors' copies of these letters, in one query."""
    result: dict[int, list[Letter]] = {}
    if letter_ids:
        query = select(Letter).where(Letter.copy_of_id.in_(letter_ids)).order_by(Letter.id)
        for copy in session.scalars(query):
            result.setdefault(copy.copy_of_id, []).append(copy)
    return result


def _event(letter: Letter, kind: str, actor: User | None = None, **detail) -> None:
    if letter.case_id is not None:
        case = session.get(Case, letter.case_id)
        cases.record_event(case, kind, letter_id=letter.id, actor=actor, **detail)


# --- the jobs' side --------------------------------------------------------------------------


def mark_rendered(letter: Letter, *, pdf_sha256: str, content_sha256, context, total) -> None:
    """The PDF is archived: the letter waits for approval, goes to the email queue, or to the
    tray of paper letters. Requests the delivery job when it can leave at once."""
    letter.pdf_sha256 = pdf_sha256
    letter.content_sha256 = content_sha256
    letter.context = context
    letter.total = total
    letter.rendered_at = utcnow()
    main = session.get(Letter, letter.copy_of_id) if letter.copy_of_id else None
    unverified = bool(unverified_rates(letter))
    held = letter.needs_approval or unverified
    held = held or (main is not None and main.status == "awaiting_approval")
    # A letter written again on its approval (see `approve`) is approved already: it leaves.
    approved = (main or letter).approved_at is not None
    if held and not approved:
        letter.status = "awaiting_approval"
        if main is None:
            if unverified:
                _event(letter, "letter_awaiting_approval", reason="unverified_rates")
            else:
                _event(letter, "letter_awaiting_approval")
        return
    release(letter)


def unverified_rates(letter: Letter) -> list[dict]:
    """The rates not yet verified in the BOE that the letter's interest used, as its context
    keeps them ({kind, valid_from, valid_to, rate}). Such a letter never leaves without a
    person's approval, whatever its step (docs/law.md#rates-as-data)."""
    interest = (letter.context or {}).get("interest") or {}
    return list(interest.get("unverified_rates") or [])


def release(letter: Letter) -> None:
    """An approved (or approval-free) rendered letter leaves: email now, paper to the tray."""
    if letter.channel == "email":
        letter.status = "sending"
        outbox.request(outbox.DELIVER_LETTER, current_tenant_id(), letter.id)
    else:
        letter.status = "to_post"
        if letter.copy_of_id is None:
            _event(letter, "letter_to_post", channel=letter.channel)


def mark_sent(letter: Letter, email_id: int) -> None:
    letter.status = "sent"
    letter.email_id = email_id
    letter.sent_at = utcnow()
    letter.error = ""
    _event(letter, "letter_sent", to=letter.party.email, copy=letter.copy_of_id is not None)


def mark_render_failed(letter: Letter, error: str, *, final: bool) -> None:
    """A try at rendering failed: on the timeline each time; when `final` (no try left) the
    letter is `failed`, and the sweep asks for it no more."""
    letter.error = error[:2000]
    if final:
        letter.status = "failed"
    _event(letter, "letter_render_failed", error=error[:300], final=final)


def mark_failed(letter: Letter, error: str, *, bounced: bool) -> None:
    """A delivery failed: `bounced` when the server refused the address for good."""
    letter.error = error[:2000]
    if bounced:
        letter.status = "bounced"
    _event(letter, "letter_bounced" if bounced else "letter_failed", error=error[:300])


# --- the owner's side ------------------------------------------------------------------------


def approval_queue() -> list[Letter]:
    """Debtors' letters waiting for approval, oldest first (copies follow their letter)."""
    return list(
        session.scalars(
            select(Letter)
            .where(Letter.status == "awaiting_approval", Letter.copy_of_id.is_(None))
            .order_by(Letter.created_at, Letter.id)
        )
    )


def _waiting(letter_id: int) -> Letter:
    letter = get_letter(letter_id)
    if letter.copy_of_id is not None:
        raise NotFound(letter_id)  # copies follow their letter; they are not decided alone
    if letter.status != "awaiting_approval":
        raise ServiceError("letter_not_waiting")
    return letter


def approve(letter_id: int, actor: User, note: str = "") -> Letter:
    """Send a letter that waits for approval: the owner's, or a manager's they granted it to."""
    permissions.check(actor, "letters.approve")
    letter = _waiting(letter_id)
    if letter.step_position is not None:  # a ladder letter the plan no longer allows waits
        plans.require_step(letter.kind, letter.channel)
    now = utcnow()
    for one in [letter, *copies_of(letter)]:
        one.approved_by_id = actor.id
        one.approved_at = now
        if one.status == "awaiting_approval":
            if one.rendered_at is not None and date_in_spain(one.rendered_at) < date_in_spain(now):
                _write_again(one)
            else:
                release(one)
    _event(letter, "letter_approved", actor=actor, note=(note or "").strip()[:500])
    session.flush()
    return letter


def _write_again(letter: Letter) -> None:
    """A letter approved on a later day than it was written is written again, dated the day it
    leaves, with what is owed that day (docs/law.md#amounts-on-the-letters-day); once
    rendered it leaves, being approved. The PDF first written stays in the document store."""
    letter.status = "rendering"
    letter.pdf_sha256 = None
    letter.content_sha256 = None
    letter.rendered_at = None
    letter.render_attempts = 0
    letter.error = ""
    outbox.request(outbox.RENDER_LETTER, current_tenant_id(), letter.id)


# A letter not yet sent whose facts changed (a new portal link) is written again the same way.
write_again = _write_again


def approve_many(letter_ids: list[int], actor: User) -> int:
    """Approve every letter of the list that still waits; the others are left alone."""
    done = 0
    for letter_id in letter_ids:
        try:
            approve(letter_id, actor)
        except (NotFound, ServiceError):
            continue
        done += 1
    return done


def skip(letter_id: int, actor: User, note: str = "") -> Letter:
    """Do not send this step's letter; the ladder goes on to the next step in due time."""
    permissions.check(actor, "letters.approve")
    letter = _waiting(letter_id)
    for one in [letter, *copies_of(letter)]:
        one.status = "skipped"
        one.note = (note or "").strip()[:500]
    _event(letter, "letter_skipped", actor=actor, note=letter.note)
    session.flush()
    return letter


def add_letter_note(letter_id: int, actor: User, note: str) -> Letter:
    letter = get_letter(letter_id)
    note = (note or "").strip()
    if not note:
        raise ServiceError("required", "note")
    letter.note = note[:500]
    _event(letter, "letter_note", actor=actor, text=letter.note)
    session.flush()
    return letter


def postal_tray() -> list[Letter]:
    """Paper letters rendered and waiting to be printed and posted, oldest first."""
    return list(
        session.scalars(
            select(Letter)
            .where(Letter.status == "to_post")
            .order_by(Letter.created_at, Letter.id)
            .options(selectinload(Letter.case))
        )
    )


def mark_posted(
    letter_ids: list[int], *, posted_on: date, tracking: dict[int, str], actor: User, today: date
) -> int:
    """Paper letters handed to the post office. A certified letter needs its tracking number
    (the burofax or registered-letter code), which the proof of delivery is matched with."""
    check_day(posted_on, "posted_on")
    if posted_on > today:
        raise ServiceError("date_in_future", "posted_on")
    letters = [get_letter(i) for i in letter_ids]
    if not letters:
        raise ServiceError("nothing_selected")
    for letter in letters:
        if letter.status != "to_post":
            raise ServiceError("letter_not_to_post")
        number = (tracking.get(letter.id) or "").strip()
        if len(number) > MAX_TRACKING:
            raise ServiceError("too_long", f"tracking-{letter.id}", max=MAX_TRACKING)
        if letter.channel == "certified" and not number:
            raise ServiceError("tracking_required", f"tracking-{letter.id}")
    for letter in letters:
        letter.status = "posted"
        letter.posted_on = posted_on
        letter.tracking_number = (tracking.get(letter.id) or "").strip() or None
        _event(
            letter,
            "letter_posted",
            actor=actor,
            posted_on=posted_on,
            tracking=letter.tracking_number,
            copy=letter.copy_of_id is not None,
        )
    session.flush()
    return len(letters)


def record_acknowledgement(
    letter_id: int, *, sha256: str, delivered_on: date, actor: User, today: date
) -> Letter:
    """The signed acknowledgement of receipt (acuse de recibo) is the proof a court wants."""
    letter = get_letter(letter_id)
    if letter.status not in ("posted", "delivered"):
        raise ServiceError("letter_not_posted")
    check_day(delivered_on, "delivered_on")
    if letter.posted_on and delivered_on < letter.posted_on or delivered_on > today:
        raise ServiceError("date_invalid", "delivered_on")
    letter.acknowledgement_sha256 = sha256
    letter.delivered_on = delivered_on
    letter.status = "delivered"
    _event(letter, "letter_delivered", actor=actor, delivered_on=delivered_on)
    session.flush()
    return letter


def letters_of_case(case_id: int) -> list[Letter]:
    return list(
        session.scalars(
            select(Letter)
            .where(Letter.case_id == case_id)
            .order_by(Letter.created_at.desc(), Letter.id.desc())
        )
    )


def letters_of_lease(lease_id: int) -> list[Letter]:
    """The lease's own letters (rent updates, statements, deposit settlements) and those of
    every collections case that claimed one of its charges, newest first. A case can cover a
    renter's other lease too: its copies to that lease's guarantors are not this lease's."""
    cases_of_lease = (
        select(Charge.case_id)
        .where(Charge.lease_id == lease_id, Charge.case_id.is_not(None))
        .distinct()
    )
    people_of_lease = select(LeaseParty.party_id).where(LeaseParty.lease_id == lease_id)
    of_a_case = and_(
        Letter.case_id.in_(cases_of_lease),
        or_(Letter.copy_of_id.is_(None), Letter.party_id.in_(people_of_lease)),
    )
    return list(
        session.scalars(
            select(Letter)
            .where(or_(Letter.lease_id == lease_id, of_a_case))
            .order_by(Letter.created_at.desc(), Letter.id.desc())
        )
    )
