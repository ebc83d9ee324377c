"""Fixtures for the tenant-isolation tests: objects of every id-bearing kind in a workspace,
and a snapshot of one workspace's rows taken from outside the app (owner role, no RLS)."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

_numbers = itertools.count(1)


def tenant_tables() -> list[str]:
    """The table of every TenantOwned model (the ones scoping and RLS must cover)."""
    import tenants.models  # noqa: F401 - every model on the registry
    from tenants.db import Base, TenantOwned

    return sorted(
        m.local_table.name for m in Base.registry.mappers if issubclass(m.class_, TenantOwned)
    )


def _valid_dni(number: int) -> str:
    return f"{number:08d}" + "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23]


def _make_rent_book(tag: str) -> dict[str, int]:
    """One object of every rent-book kind in the current tenant, through the services."""
    from datetime import date

    from flask import current_app

    from tenants import db
    from tenants.models import BankLine, BankStatement, RentUpdate
    from tenants.services.receivables import invoices, payments
    from tenants.services.rentals import charges, deposits, leases, parties, properties
    from tenants.storage import DocumentStore

    number = next(_numbers)
    prop = properties.create_property(
        name=f"{tag}-building",
        street="Calle Mayor 1",
        postal_code="28013",
        city="Madrid",
        province="Madrid",
    )
    unit = properties.add_unit(prop.id, label=f"{tag}-1A")
    renter = parties.create_party(name=f"{tag}-renter", tax_id=_valid_dni(10_000_000 + number))
    guarantor = parties.create_party(
        name=f"{tag}-guarantor", tax_id=_valid_dni(20_000_000 + number)
    )
    lease = leases.create_lease(
        leases.LeaseInput(
            unit_id=unit.id,
            renter_ids=[renter.id],
            guarantor_ids=[guarantor.id],
            start_date=date(2025, 1, 1),
            rent="700",
            payment_method="cash",
            extras=[("community", f"{tag}-community", "40")],
            deposit_region="madrid",
        )
    )
    charges.generate_rent_charges(date(2025, 1, 1))
    payments.record_payment(
        lease_id=lease.id, received_on=date(2025, 1, 3), amount="300", reference=f"{tag}-payment"
    )
    deposit = leases.deposit_of(lease.id)
    deposits.add_deduction(deposit.id, kind="damages", description=f"{tag}-damage", amount="10")
    update = RentUpdate(
        lease_id=lease.id,
        effective_on=date(2026, 1, 1),
        index="ipc",
        index_value=2,
        old_rent=700,
        new_rent=714,
    )
    statement = BankStatement(filename=f"{tag}.csv", sha256=f"{number:064d}")
    line = BankLine(booked_on=date(2025, 1, 3), amount=700, concept=f"{tag}-transfer")
    statement.lines.append(line)
    db.session.add_all([update, statement])
    client = parties.create_party(name=f"{tag}-client", is_business=True)
    invoice = invoices.create_invoice(
        invoices.InvoiceInput(
            party_id=client.id,
            number=f"{tag}-F{number}",
            issue_date=date(2025, 1, 1),
            due_date=date(2025, 1, 31),
            total="121",
        )
    )
    pdf = DocumentStore(current_app.config["DOCUMENTS_DIR"]).put(b"%PDF-1.4 " + tag.encode())
    invoices.attach_document(invoice.id, sha256=pdf, filename=f"{tag}.pdf")
    db.session.flush()
    return {
        "property_id": prop.id,
        "unit_id": unit.id,
        "party_id": renter.id,
        "lease_id": lease.id,
        "update_id": update.id,
        "statement_id": statement.id,
        "line_id": line.id,
        "invoice_id": invoice.id,
        **_make_collections(tag, lease.id),
    }


def _make_collections(tag: str, lease_id: int) -> dict[str, int]:
    """The renter's case (the overdue rent), one of its charges, and a certified demand of it
    posted and delivered: its PDF and its acknowledgement of receipt stored."""
    from decimal import Decimal

    from flask import current_app
    from sqlalchemy import select

    from jobs.rentals import today_in_spain
    from tenants import db
    from tenants.models import Case, Charge, Member, User
    from tenants.services.collections import cases, letters
    from tenants.storage import DocumentStore

    today = today_in_spain()
    store = DocumentStore(current_app.config["DOCUMENTS_DIR"])
    cases.take_in_overdue(today, "landlord")
    db.session.flush()
    charge = db.session.scalar(
        select(Charge).where(Charge.lease_id == lease_id, Charge.case_id.is_not(None))
    )
    case = db.session.get(Case, charge.case_id)
    step = next(s for s in case.ladder.steps if s.kind == "certified_demand")
    [letter] = letters.record_step_letters(case, step, [])
    letters.mark_rendered(
        letter,
        pdf_sha256=store.put(b"%PDF-1.4 letter " + tag.encode()),
        content_sha256=None,
        context={},
        total=Decimal("440"),
    )
    # The workspace's owner approves (approving is the owner's: tenants/permissions.py).
    owner = db.session.scalars(
        select(User)
        .join(Member, Member.user_id == User.id)
        .where(Member.role == "owner")
        .order_by(Member.id)
    ).first()
    letters.approve(letter.id, owner)
    letters.mark_posted(
        [letter.id], posted_on=today, tracking={letter.id: f"{tag}-track"}, actor=owner, today=today
    )
    letters.record_acknowledgement(
        letter.id,
        sha256=store.put(b"%PDF-1.4 acknowledgement " + tag.encode()),
        delivered_on=today,
        actor=owner,
        today=today,
    )
    db.session.flush()
    # The debtor's instalment proposal on the case (tenants/services/collections/instalments.py).
    from datetime import timedelta

    from tenants.services.collections import instalments

    first_plan = instalments.propose(
        case, count=3, first_due_on=today + timedelta(days=5), amount_each=None, today=today
    )
    # An earlier plan, agreed and then ended by the owner: its schedule stays on the case.
    instalments.decide(first_plan.id, decision="accept", actor=owner, today=today)
    instalments.cancel(first_plan.id, actor=owner, today=today, reason=f"{tag} ended")
    plan = instalments.propose(
        case, count=3, first_due_on=today + timedelta(days=5), amount_each=None, today=today
    )
    # The creditor's Stripe account, and 10 € the debtor paid by card through it, booked as
    # the checkout webhook books it (tenants/services/portal/card.py); Stripe is not called.
    from tenants.models.card_payments import CardPayment, StripeAccount
    from tenants.services.billing import connect
    from tenants.services.portal import card, tokens

    account = connect.workspace_account()  # one per workspace, however many objects are made
    if account is None:
        account = StripeAccount(tenant_id=case.tenant_id, account_id=f"acct_{tag}")
        db.session.add(account)
    connect.apply_account_state(
        account, {"details_submitted": True, "charges_enabled": True, "payouts_enabled": True}
    )
    paid = CardPayment(
        tenant_id=case.tenant_id,
        case_id=case.id,
        purpose=f"{tag} card",
        account_id=account.account_id,
        session_id=f"cs_test_{tag}",
        payment_intent_id=f"pi_{tag}",
        amount=Decimal("10.00"),
        received_on=today,
        paid_at=db.utcnow(),
        extra={},
    )
    db.session.add(paid)
    db.session.flush()
    card._follow_stripe(paid, today)
    # A portal link replaced by a new one (the old one shows the "withdrawn" page).
    tokens.renew(case.id, actor=owner)
    # What the debtor told through the portal, with a document (tenants/services/portal).
    from tenants.services.portal import telling

    told = telling.explain(
        case.id,
        reason="other",
        text=f"{tag} told",
        uploads=[telling.Upload(f"{tag}.pdf", b"%PDF-1.4 told " + tag.encode())],
        today=today,
        store=store,
    )
    # The badge (issue 13): the workspace's (one per workspace, however many objects are
    # made), an invoice's own, and a day of views of it.
    from tenants.models import Badge, BadgeView
    from tenants.services.badge import issuance

    if issuance.workspace_badge() is None:
        db.session.add(Badge(token=issuance.new_token()))
    invoice = db.session.scalars(
        select(Charge).where(Charge.kind == "invoice").order_by(Charge.id.desc())
    ).first()
    invoice_badge = issuance.register_invoice(invoice.id)
    db.session.add(BadgeView(token=invoice_badge.token, day=today, views=3))
    # Every invoice with a PDF has a stamped copy, so its stamped.pdf route answers.
    attached = select(Charge).where(Charge.kind == "invoice", Charge.attachment_sha256.is_not(None))
    for stamped in db.session.scalars(attached):
        registered = issuance.register_invoice(stamped.id)
        registered.stamped_sha256 = stamped.attachment_sha256
    db.session.flush()
    escalation = _make_escalation(tag, case, owner)
    from tenants.models import EscalationDocument

    document = db.session.scalar(
        select(EscalationDocument).where(EscalationDocument.escalation_id == escalation.id)
    )
    return {
        "escalation_id": escalation.id,
        "deadline_id": _deadline_id(escalation.id),
        "document_id": document.id,
        "case_id": case.id,
        "charge_id": charge.id,
        "letter_id": letter.id,
        "plan_id": plan.id,
        "attachment_id": told.attachments[0].id,
    }


def _make_escalation(tag: str, case, owner):
    """The case escalated to a law firm of its own, with a row in every escalation table."""
    from datetime import date, timedelta
    from decimal import Decimal

    from flask import current_app

    from tenants import db
    from tenants.models import (
        Escalation,
        EscalationAccess,
        EscalationDeadline,
        EscalationDocument,
        EscalationEvent,
        EscalationMessage,
        EscalationOffer,
        LawFirm,
        Workspace,
        WorkspaceKind,
    )
    from tenants.storage import DocumentStore

    firm = Workspace(slug=f"{tag}-firm", name=f"{tag} Abogados", kind=WorkspaceKind.LAW_FIRM)
    db.session.add(firm)
    db.session.flush()
    db.session.add(LawFirm(workspace_id=firm.id, provinces=["Madrid"], case_types=["monitorio"]))
    now = db.utcnow()
    escalation = Escalation(
        case_id=case.id,
        firm_id=firm.id,
        case_type="monitorio",
        status="accepted",
        claimed_amount=Decimal("440.00"),
        flat_fee=Decimal("150.00"),
        terms_accepted_at=now,
        escalated_by_id=owner.id,
        # A built dossier, so the dossier's download routes answer for their own workspace.
        dossier_state="ready",
        dossier_pdf_sha256=DocumentStore(current_app.config["DOCUMENTS_DIR"]).put(
            b"%PDF-1.4 dossier " + tag.encode()
        ),
    )
    db.session.add(escalation)
    db.session.flush()
    message = EscalationMessage(
        escalation_id=escalation.id, side="firm", kind="request", text=f"{tag} request"
    )
    db.session.add(message)
    db.session.flush()
    db.session.add_all(
        [
            EscalationOffer(
                escalation_id=escalation.id,
                firm_id=firm.id,
                expires_at=now + timedelta(hours=48),
                answer="accepted",
                answered_at=now,
                no_conflict=True,
            ),
            EscalationEvent(escalation_id=escalation.id, kind="status", side="firm", detail={}),
            EscalationDeadline(escalation_id=escalation.id, due_on=date(2027, 1, 15), label=tag),
            EscalationAccess(escalation_id=escalation.id, firm_id=firm.id, action="viewed"),
            EscalationDocument(
                escalation_id=escalation.id,
                request_id=message.id,
                side="creditor",
                filename=f"{tag}.pdf",
                content_type="application/pdf",
                size=10,
                sha256=DocumentStore(current_app.config["DOCUMENTS_DIR"]).put(
                    b"%PDF-1.4 escalation " + tag.encode()
                ),
            ),
        ]
    )
    db.session.flush()
    return escalation


def _deadline_id(escalation_id: int) -> int:
    from tenants import db
    from tenants.models import EscalationDeadline

    return db.session.scalar(
        select(EscalationDeadline.id).where(EscalationDeadline.escalation_id == escalation_id)
    )


@pytest.fixture
def make_objects(app, create_user):
    """Create, in `tenant`, one object for each id a /w/<slug>/ route can take.

    Returns {"member_id": ..., "invitation_id": ..., "token_id": ..., "run_id": ...}: the keys
    are the URL argument names the isolation walk maps (and "email_id", an email it sent).
    """
    from tenants import db
    from tenants.db import tenant_context
    from tenants.models import JobRun, Member, Workspace
    from tenants.services.platform import workspaces as ws_service
    from tenants.services.platform.accounts import find_user_by_email
    from tenants.services.platform.mail import record_email

    def make(tenant, tag: str | None = None) -> dict[str, int]:
        tag = tag or f"obj{next(_numbers)}"
        user_id = create_user(email=f"{tag}-member@example.com", name=f"{tag} member")
        with app.app_context(), tenant_context(tenant.id):
            workspace = db.session.get(Workspace, tenant.id)
            owner = find_user_by_email(tenant.email)
            member = Member(user_id=user_id, role=workspace.roles[1])
            db.session.add(member)
            invitation = ws_service.invite_member(
                workspace, owner, f"{tag}-invitee@example.com", workspace.roles[-1]
            )
            token, _secret = ws_service.create_api_token(owner, f"{tag}-token")
            run = JobRun(kind="invitations", total=3, done=1, message=f"{tag}-run")
            db.session.add(run)
            rent_book = _make_rent_book(tag)
            email = record_email(
                key=f"{tag}-email", to=f"{tag}-debtor@example.com", subject=tag, text=tag
            )
            db.session.commit()
            return {
                "member_id": member.id,
                "invitation_id": invitation.id,
                "token_id": token.id,
                "run_id": run.id,
                "email_id": email.id,
                **rent_book,
            }

    return make


@pytest.fixture
def snapshot(admin_engine):
    """Every row a workspace owns (and its own row), read as the owner role: no RLS, no ORM."""
    from tenants.db import Base

    def take(tenant_id: int) -> dict[str, list]:
        metadata = Base.metadata
        state = {}
        with admin_engine.connect() as conn:
            for name in [*tenant_tables(), "emails"]:
                table = metadata.tables[name]
                rows = conn.execute(
                    select(table).where(table.c.tenant_id == tenant_id).order_by(table.c.id)
                )
                state[name] = [tuple(r) for r in rows]
            workspaces = metadata.tables["workspaces"]
            state["workspaces"] = [
                tuple(r)
                for r in conn.execute(select(workspaces).where(workspaces.c.id == tenant_id))
            ]
            members, users = metadata.tables["members"], metadata.tables["users"]
            state["users"] = [
                tuple(r)
                for r in conn.execute(
                    select(users)
                    .where(
                        users.c.id.in_(
                            select(members.c.user_id).where(members.c.tenant_id == tenant_id)
                        )
                    )
                    .order_by(users.c.id)
                )
            ]
        return state

    return take
