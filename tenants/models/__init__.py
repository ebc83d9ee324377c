"""All models, imported here so that `Base.metadata` knows every table."""

from tenants.models.accounts import RecoveryCode, User, UserSession
from tenants.models.activity import ActivityEvent
from tenants.models.badges import Badge, BadgeView, InvoiceBadge
from tenants.models.bank import BankLine, BankStatement
from tenants.models.card_payments import CardBooking, CardPayment, StripeAccount
from tenants.models.collections import Case, CaseEvent, Ladder, LadderStep, Letter
from tenants.models.deposits import Deposit, DepositDeduction
from tenants.models.escalations import (
    Escalation,
    EscalationAccess,
    EscalationDeadline,
    EscalationDocument,
    EscalationEvent,
    EscalationMessage,
    EscalationOffer,
    LawFirm,
)
from tenants.models.instalments import Instalment, InstalmentPlan
from tenants.models.jobs import JobRun
from tenants.models.leases import Lease, LeaseExtra, LeaseParty
from tenants.models.ledger import Allocation, Charge, ChargeLine, Payment
from tenants.models.mail import Email
from tenants.models.outbox import OutboxItem
from tenants.models.parties import Party
from tenants.models.plans import Plan, Subscription
from tenants.models.portal import DebtorAttachment, DebtorMessage, PortalOldToken
from tenants.models.properties import Property, Unit
from tenants.models.rates import InterestRate, RentIndexValue, RentUpdate
from tenants.models.stripe_records import StripeEvent, StripeRequest
from tenants.models.workspaces import (
    ApiToken,
    Invitation,
    Member,
    Workspace,
    WorkspaceKind,
)

__all__ = [
    "ActivityEvent",
    "Badge",
    "BadgeView",
    "InvoiceBadge",
    "Allocation",
    "BankLine",
    "BankStatement",
    "CardBooking",
    "CardPayment",
    "StripeAccount",
    "Case",
    "CaseEvent",
    "Ladder",
    "LadderStep",
    "Letter",
    "Charge",
    "ChargeLine",
    "Deposit",
    "Escalation",
    "EscalationAccess",
    "EscalationDeadline",
    "EscalationDocument",
    "EscalationEvent",
    "EscalationMessage",
    "EscalationOffer",
    "LawFirm",
    "RecoveryCode",
    "DepositDeduction",
    "Instalment",
    "InstalmentPlan",
    "InterestRate",
    "Lease",
    "LeaseExtra",
    "LeaseParty",
    "Party",
    "Payment",
    "Plan",
    "PortalOldToken",
    "DebtorAttachment",
    "DebtorMessage",
    "Property",
    "RentIndexValue",
    "RentUpdate",
    "StripeEvent",
    "StripeRequest",
    "Subscription",
    "Unit",
    "ApiToken",
    "Email",
    "Invitation",
    "JobRun",
    "Member",
    "OutboxItem",
    "User",
    "UserSession",
    "Workspace",
    "WorkspaceKind",
]
