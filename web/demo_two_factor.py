"""The demo law firm's members sign in with two-factor like any firm's (issue 14, point 7).

Each member is enrolled with a fixed base32 secret, so the demo is the same on every machine
and a newcomer can sign in with or without an authenticator app: `flask demo seed` prints the
demo lawyer's secret (add it to an app by hand) and `flask demo totp` prints the code of now.

The secrets are public on purpose; they are demo accounts on the reserved .test domain:
- lawyer@demo.amparo.test (Laura Abogada): AMPARODEMOLAWYERTOTPSECRETKEY234
- any other member of demo-lawfirm: the first 20 bytes of SHA-256("amparo demo totp <email>"),
  in base32 (`demo_secret`).
"""

from __future__ import annotations

import base64
import hashlib

from sqlalchemy import select

from tenants.db import session
from tenants.models import Member, User
from tenants.services.platform import two_factor

DEMO_LAWYER = "lawyer@demo.amparo.test"
FIXED = {DEMO_LAWYER: "AMPARODEMOLAWYERTOTPSECRETKEY234"}


def demo_secret(email: str) -> str:
    if email in FIXED:
        return FIXED[email]
    digest = hashlib.sha256(f"amparo demo totp {email}".encode()).digest()[:20]
    return base64.b32encode(digest).decode()


def enrol_members() -> None:
    """Enrol every member of the current (demo law firm) workspace not yet enrolled; a member
    who enrolled with a secret of their own keeps it."""
    for member in session.scalars(select(Member)):
        user = session.get(User, member.user_id)
        if not two_factor.is_enabled(user):
            two_factor.enrol_with_secret(user, demo_secret(user.email))


def secret_line(user: User) -> str:
    """The seed's line for a member: who, and the base32 secret in force."""
    return f"{'':15} {user.name} ({user.email}): TOTP secret {user.totp_secret}"
