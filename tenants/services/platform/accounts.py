"""Sign-up, log-in, email verification, passwords and server-side sessions."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select, update

from tenants.db import session, utcnow
from tenants.models import User, UserSession, WorkspaceKind
from tenants.services.errors import ServiceError
from tenants.services.platform import secrets as sec
from tenants.services.platform.workspaces import create_workspace

MIN_PASSWORD_LENGTH = 10
# The most used passwords that pass the length rule (from public breach lists); a real
# attacker tries these first.
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "123456789a",
        "qwertyuiop",
        "1q2w3e4r5t",
        "password12",
        "password123",
        "contraseña",
        "contrasena",
        "contraseña1",
        "contrasena1",
        "0987654321",
        "1111111111",
        "iloveyou12",
        "qwerty1234",
        "abcdefghij",
        "passw0rd12",
        "amparo1234",
        "asdfghjkl1",
        "1qaz2wsx3e",
        "superman12",
        "barcelona1",
        "realmadrid",
        "madrid1234",
    }
)


def normalise_email(raw: str) -> str:
    """A clean lower-case address, or ServiceError("email_invalid")."""
    try:
        info = validate_email(
            (raw or "").strip(), check_deliverability=False, test_environment=True
        )  # test_environment: accept the reserved .test domain of the demo and tests
    except EmailNotValidError as exc:
        raise ServiceError("email_invalid", "email") from exc
    return info.normalized.lower()


def check_password_strength(password: str, email: str = "") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError("password_short", "password", min=MIN_PASSWORD_LENGTH)
    lowered = password.lower()
    local_part = email.split("@")[0].lower()
    if (
        lowered in COMMON_PASSWORDS
        or len(set(password)) < 4
        or (len(local_part) >= 4 and local_part in lowered)
    ):
        raise ServiceError("password_weak", "password")


def find_user_by_email(email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def sign_up(
    *, name: str, email: str, password: str, workspace_name: str, kind: str, language: str = "es"
) -> User:
    """Create a user and their first workspace (landlord or business), owned by them."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("required", "name")
    email = normalise_email(email)
    if find_user_by_email(email):
        raise ServiceError("email_taken", "email")
    check_password_strength(password, email)
    if kind not in (WorkspaceKind.LANDLORD, WorkspaceKind.BUSINESS):
        raise ServiceError("kind_invalid", "kind")
    user = create_user(name=name, email=email, password=password, language=language)
    create_workspace(name=workspace_name or name, kind=WorkspaceKind(kind), owner=user)
    return user


def create_user(
    *, name: str, email: str, password: str, language: str = "es", verified: bool = False
) -> User:
    user = User(
        name=name.strip(),
        email=normalise_email(email),
        password_hash=sec.hash_password(password),
        language=language if language in ("es", "en") else "es",
        email_verified_at=utcnow() if verified else None,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the password is right, else None (same work either way)."""
    user = find_user_by_email(email or "")
    if user is None:
        sec.verify_password(sec.DUMMY_HASH, password or "")
        return None
    if not sec.verify_password(user.password_hash, password or ""):
        return None
    if sec.needs_rehash(user.password_hash):
        user.password_hash = sec.hash_password(password)
    return user


def mark_verified(user_id: int, email: str) -> User | None:
    """Verify the address a link was made for; None when the account changed since."""
    user = session.get(User, user_id)
    if user is None or user.email != email:
        return None
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def password_fingerprint(user: User) -> str:
    """Changes with every password change, so a reset link works once."""
    return sec.sha256(user.password_hash)[:16]


def set_password(user: User, new_password: str) -> None:
    """Change the password and end every session of the user."""
    check_password_strength(new_password, user.email)
    user.password_hash = sec.hash_password(new_password)
    revoke_all_sessions(user.id)


def check_password(user: User, password: str, field: str = "current_password") -> None:
    """The user's own password again, before something that must be them (ServiceError)."""
    if not sec.verify_password(user.password_hash, password or ""):
        raise ServiceError("password_wrong", field)


def change_password(user: User, current_password: str, new_password: str) -> None:
    check_password(user, current_password)
    set_password(user, new_password)


# --- server-side sessions -----------------------------------------------------------------


def open_session(user: User, user_agent: str = "") -> str:
    """Start a logged-in session; returns the key for the cookie (only its hash is stored)."""
    key = sec.new_key()
    session.add(UserSession(user_id=user.id, key_hash=sec.sha256(key), user_agent=user_agent[:255]))
    session.flush()
    return key


def user_for_session_key(key: str) -> User | None:
    row = session.scalar(
        select(UserSession).where(
            UserSession.key_hash == sec.sha256(key), UserSession.revoked_at.is_(None)
        )
    )
    return session.get(User, row.user_id) if row else None


def revoke_session(key: str) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.key_hash == sec.sha256(key), UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_all_sessions(user_id: int) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
