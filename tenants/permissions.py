"""Who may do what in a workspace: one table, asked by the routes and by the services.

Every state-changing action is a row: the kinds of workspace it exists in and the roles that
may do it. What moves money or decides what debtors receive (the payee IBAN, the ladder and
its approval ticks, approving or skipping the letters that wait for approval), and who is in
the workspace (members, API tokens), is the owner's. One exception is delegated: an owner can
grant a manager "may approve demands" (Member.may_approve_demands), which covers approving
and skipping the letters waiting for approval, nothing else: not the IBAN, not the ladder.

A route that changes something names its action (web/permissions.py refuses one that does
not); a service that changes a money-moving setting calls `check` itself, so a job, the demo
or a future route cannot skip the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tenants.db import session
from tenants.models.accounts import User
from tenants.models.workspaces import GRANTEE_ROLE, Member, WorkspaceKind

LANDLORD, BUSINESS = WorkspaceKind.LANDLORD, WorkspaceKind.BUSINESS
CREDITORS = frozenset({LANDLORD, BUSINESS})
EVERY_KIND = frozenset(WorkspaceKind)


@dataclass(frozen=True)
class Action:
    kinds: frozenset[WorkspaceKind]
    roles: frozenset[str]
    grantable: bool = False  # a manager granted "may approve demands" may do it too


def _action(kinds, *roles: str, grantable: bool = False) -> Action:
    return Action(frozenset(kinds), frozenset(roles), grantable)


# The table. Order is the order of the matrix on the members page.
ACTIONS: dict[str, Action] = {
    "rent_book.write": _action({LANDLORD}, "owner", "manager"),
    "rent_book.archive": _action({LANDLORD}, "owner", "manager"),
    "parties.write": _action(CREDITORS, "owner", "manager"),
    "parties.archive": _action(CREDITORS, "owner", "manager"),
    "invoices.write": _action({BUSINESS}, "owner", "manager"),
    "cases.work": _action(CREDITORS, "owner", "manager"),
    "letters.approve": _action(CREDITORS, "owner", grantable=True),
    "letterhead.edit": _action(CREDITORS, "owner", "manager"),
    "payee.edit": _action(CREDITORS, "owner"),
    "ladder.edit": _action(CREDITORS, "owner"),
    "members.manage": _action(EVERY_KIND, "owner", "partner"),
    "tokens.manage": _action(CREDITORS, "owner"),
    # Issue 12: the debtor portal, instalment plans, Stripe and the plan.
    "portal.manage": _action(CREDITORS, "owner", "manager"),  # revoke / renew a portal link
    "instalments.decide": _action(CREDITORS, "owner", "manager"),  # accept, reject, offer
    "stripe_account.manage": _action(CREDITORS, "owner"),  # Connect onboarding, platform fee
    "plan.manage": _action(CREDITORS, "owner"),  # subscribe, change plan, Customer Portal
    "badge.stamp": _action(CREDITORS, "owner", "manager"),  # stamp an invoice, re-check badge
    "workspace.close": _action(CREDITORS, "owner"),  # close the workspace: revokes the badge
    # Issue 14: hand a case to a law firm or withdraw it: it commits the workspace to the
    # firm's fees. Writing to the firm and answering its requests for documents is work.
    "escalations.escalate": _action(CREDITORS, "owner"),
    "escalations.correspond": _action(CREDITORS, "owner", "manager"),
    # Issue 14: the law firm's inbox. Answer an offer (accept with the no-conflict declaration,
    # decline with a reason); work an accepted escalation (status, thread, requests, deadlines,
    # files, the outcome). Every member of the firm does both.
    "inbox.answer": _action({WorkspaceKind.LAW_FIRM}, "partner", "lawyer"),
    "inbox.work": _action({WorkspaceKind.LAW_FIRM}, "partner", "lawyer"),
    # Issue 14: a partner accepts the data-processing agreement (docs/law.md#gdpr-28-law-firms).
    "firm.dpa": _action({WorkspaceKind.LAW_FIRM}, "partner"),
}


class NotAllowed(Exception):
    """The member's role does not allow `action` here: the caller answers 403, nothing changes."""

    def __init__(self, action: str):
        super().__init__(action)
        self.action = action


def role_may(role: str, action: str, *, granted: bool = False) -> bool:
    """What the table says for a role (and a manager's grant). An unknown action: no one."""
    rule = ACTIONS.get(action)
    if rule is None:
        return False
    return role in rule.roles or (granted and rule.grantable and role == GRANTEE_ROLE)


def may(member: Member | None, action: str) -> bool:
    return member is not None and role_may(member.role, action, granted=member.may_approve_demands)


def actions_of(kind: WorkspaceKind) -> list[str]:
    """The actions a workspace of this kind has, in table order (for the matrix)."""
    return [name for name, rule in ACTIONS.items() if kind in rule.kinds]


def check(actor: User | Member | None, action: str) -> Member:
    """The actor's membership of the current workspace if it may do `action`; else NotAllowed.

    A service that changes a money-moving setting calls this with the user it was given, so
    the table holds whoever calls it. No actor (a job, a script) is refused too: such changes
    always have a person behind them."""
    member = actor
    if isinstance(actor, User):
        member = session.scalar(select(Member).where(Member.user_id == actor.id))
    if not may(member, action):
        raise NotAllowed(action)
    return member
