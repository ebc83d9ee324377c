"""TOTP two-factor sign-in (RFC 6238) and one-time recovery codes.

Mandatory for members of a law firm: they read debtors' files for creditors (issue 14), so a
stolen password alone must not open them. Anyone else may turn it on.

A secret is written at enrolment but is in force only once a first code from the person's app
confirmed it (`totp_enabled_at`). No code is accepted twice: the time step of each accepted
code is kept on the user (`totp_last_step`) and a code of that step or an earlier one is
refused, also inside the same 30 seconds (RFC 6238 section 5.2). The check and the write are
one UPDATE, so two sign-ins racing with the same code cannot both pass.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime

import pyotp
from pyotp.utils import strings_equal
from sqlalchemy import delete, func, or_, select, update

from tenants.db import across_tenants, session, utcnow
from tenants.models import Member, RecoveryCode, User, Workspace, WorkspaceKind
from tenants.services.errors import ServiceError
from tenants.services.platform.secrets import sha256

ISSUER = "Amparo"
VALID_WINDOW = 1  # one step either side: a phone clock 30 s off still signs in
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_RECOVERY_LENGTH = 10  # about 49 bits each, behind the sign-in rate limit


def requires_two_factor(user: User) -> bool:
    """True for a member of any law firm, and for anyone who turned two-factor on."""
    if user.totp_enabled_at is not None:
        return True
    return is_law_firm_member(user)


def is_law_firm_member(user: User) -> bool:
    with across_tenants("two-factor: is the user a law firm's member"):
        found = session.scalar(
            select(Member.id)
            .join(Workspace, Workspace.id == Member.tenant_id)
            .where(Member.user_id == user.id, Workspace.kind == WorkspaceKind.LAW_FIRM)
            .limit(1)
        )
    return found is not None


def is_enabled(user: User) -> bool:
    return user.totp_enabled_at is not None


# --- enrolment ----------------------------------------------------------------------------


def start_enrolment(user: User) -> str:
    """A new secret for the user's app, not in force until `confirm_enrolment`."""
    if is_enabled(user):
        raise ServiceError("two_factor_already_on")
    user.totp_secret = pyotp.random_base32()  # 32 characters: 160 bits, as RFC 4226 advises
    user.totp_last_step = None
    session.flush()
    return user.totp_secret


def pending_secret(user: User) -> str | None:
    """The secret waiting for its first code, if an enrolment was started."""
    return None if is_enabled(user) else user.totp_secret


def provisioning_uri(user: User) -> str:
    """The otpauth:// address the QR code holds: issuer "Amparo", the user's email."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def confirm_enrolment(user: User, code: str, *, at: float | None = None) -> list[str]:
    """Put the secret in force with a first code from the app; returns the recovery codes,
    which exist in clear only in this answer."""
    if is_enabled(user):
        raise ServiceError("two_factor_already_on")
    if not user.totp_secret:
        raise ServiceError("two_factor_not_started", "code")
    _accept_totp(user, code, at=at)
    user.totp_enabled_at = utcnow()
    return new_recovery_codes(user)


def enrol_with_secret(user: User, secret: str) -> None:
    """Put a given secret in force at once (the demo's fixed ones, printed by `flask demo
    seed`). No step is used up: the code the app shows right now still signs in."""
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = None
    new_recovery_codes(user)


def turn_off(user: User, code: str, *, at: float | None = None) -> None:
    """Two-factor off, after a code that proves it is the person; refused in a law firm."""
    if is_law_firm_member(user):
        raise ServiceError("two_factor_required_law_firm")
    if not is_enabled(user):
        raise ServiceError("two_factor_not_on")
    verify(user, code, at=at)
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()


# --- codes at sign-in ---------------------------------------------------------------------


def normalise(code: str) -> str:
    """What the person typed, without spaces and hyphens, lower-case."""
    return "".join(ch for ch in (code or "") if ch not in " -\t").lower()


def verify(user: User, code: str, *, at: float | None = None) -> str:
    """Accept a 6-digit TOTP code or a recovery code once; returns "totp" or "recovery".
    A wrong, reused or malformed code raises ServiceError on the field "code"."""
    if not is_enabled(user):
        raise ServiceError("two_factor_not_on", "code")
    typed = normalise(code)
    if typed.isdigit() and len(typed) == 6:
        _accept_totp(user, typed, at=at)
        return "totp"
    if len(typed) == _RECOVERY_LENGTH and typed.isalnum():
        _use_recovery_code(user, typed)
        return "recovery"
    raise ServiceError("two_factor_code_format", "code")


def _accept_totp(user: User, code: str, *, at: float | None) -> None:
    typed = normalise(code)
    if not (typed.isdigit() and len(typed) == 6):
        raise ServiceError("two_factor_code_format", "code")
    totp = pyotp.TOTP(user.totp_secret)
    try:
        step = totp.verify_and_get_timecode(
            typed, for_time=at if at is not None else time.time(), valid_window=VALID_WINDOW
        )
    except pyotp.exceptions.OTPVerificationError as exc:
        raise ServiceError("two_factor_code_wrong", "code") from exc
    taken = session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise ServiceError("two_factor_code_used", "code")
    user.totp_last_step = step  # what the UPDATE wrote, without reloading the user
    session.flush()


# --- recovery codes -----------------------------------------------------------------------


def _new_recovery_code() -> str:
    return "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))


def shown(code: str) -> str:
    """A recovery code as printed for people: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh recovery codes replacing any earlier ones; only their SHA-256 is kept."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=sha256(code)) for code in codes)
    session.flush()
    return [shown(code) for code in codes]


def regenerate_recovery_codes(user: User, code: str, *, at: float | None = None) -> list[str]:
    """New recovery codes after a TOTP code from the app: whoever holds only the session (a
    browser left open) cannot mint a way back in."""
    if not is_enabled(user):
        raise ServiceError("two_factor_not_on")
    _accept_totp(user, code, at=at)
    return new_recovery_codes(user)


def recovery_codes_left(user: User) -> int:
    return session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def _use_recovery_code(user: User, typed: str) -> None:
    digest = sha256(typed)
    unused = session.scalars(
        select(RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    if not any(strings_equal(digest, stored) for stored in unused):
        raise ServiceError("recovery_code_wrong", "code")
    used = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # another sign-in used it a moment ago
        raise ServiceError("recovery_code_wrong", "code")
    session.flush()


def current_code(user: User, at: datetime | float | None = None) -> str:
    """The code the user's app shows now (the demo's `flask demo totp`)."""
    return pyotp.TOTP(user.totp_secret).at(at if at is not None else time.time())
