"""The portal link of a case (`/p/<token>`): found across workspaces, withdrawn and replaced by
the creditor, and closed a set time after the case closes.

The token is the case's `portal_token` (a random 32-character secret, nothing derived from ids).
A replaced token is kept in `portal_old_tokens`: the letters already sent print it, and it
opens the "withdrawn" page, never the case. The letters not yet sent are written again with the
new link.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from tenants.db import across_tenants, session, utcnow
from tenants.models import Case, Letter, PortalOldToken, User
from tenants.services.collections import letters as letter_service
from tenants.services.collections.cases import get_case, record_event
from tenants.services.errors import NotFound, ServiceError

MAX_TOKEN_LENGTH = 64
OK, REVOKED, EXPIRED = "ok", "revoked", "expired"
# Letters whose PDF is written but that have not left: written again with the new link.
REWRITTEN_STATUSES = ("awaiting_approval", "to_post")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def tenant_of(token: str) -> int | None:
    """The workspace whose case a link names, current or replaced (platform code: the debtor
    has no account, the secret token is the key). None for an unknown token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    with across_tenants("debtor portal: a case found by its secret token"):
        tenant_id = session.scalar(select(Case.tenant_id).where(Case.portal_token == token))
        if tenant_id is None:
            tenant_id = session.scalar(
                select(PortalOldToken.tenant_id).where(PortalOldToken.token == token)
            )
    return tenant_id


def open_case(token: str, *, now: datetime, days_after_close: int) -> tuple[Case, str]:
    """In the workspace `tenant_of` gave: the case and whether its page opens (OK), was
    withdrawn (REVOKED: a replaced link, or the current one withdrawn) or is closed for good
    (EXPIRED: `days_after_close` days after the case closed)."""
    case = session.scalar(select(Case).where(Case.portal_token == token))
    if case is None:
        old = session.scalar(select(PortalOldToken).where(PortalOldToken.token == token))
        if old is None:
            raise NotFound(token)
        return get_case(old.case_id), REVOKED
    if case.portal_revoked_at is not None:
        return case, REVOKED
    if is_expired(case, now=now, days_after_close=days_after_close):
        return case, EXPIRED
    return case, OK


def is_expired(case: Case, *, now: datetime, days_after_close: int) -> bool:
    return (
        case.status == "closed"
        and case.closed_at is not None
        and now >= case.closed_at + timedelta(days=days_after_close)
    )


def revoke(case_id: int, *, actor: User | None) -> Case:
    """Withdraw the case's link: it shows the "withdrawn" page until a new one is issued."""
    case = get_case(case_id)
    if case.portal_revoked_at is not None:
        raise ServiceError("portal_already_revoked")
    case.portal_revoked_at = utcnow()
    record_event(case, "portal_revoked", actor=actor)
    session.flush()
    return case


def renew(case_id: int, *, actor: User | None) -> Case:
    """A new link for the case. The old one shows the "withdrawn" page; letters already sent
    keep it, those not yet sent are written again with the new one."""
    case = get_case(case_id)
    session.add(PortalOldToken(case_id=case.id, token=case.portal_token))
    case.portal_token = new_token()
    case.portal_revoked_at = None
    rewritten = 0
    for letter in session.scalars(
        select(Letter).where(
            Letter.case_id == case.id,
            Letter.copy_of_id.is_(None),  # a guarantor's copy carries no portal link
            Letter.status.in_(REWRITTEN_STATUSES),
        )
    ):
        letter_service.write_again(letter)
        rewritten += 1
    record_event(case, "portal_renewed", actor=actor, rewritten=rewritten)
    session.flush()
    return case
