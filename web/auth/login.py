"""Flask-Login on top of server-side sessions: the cookie holds a session key, not a user id."""

from __future__ import annotations

from flask import request
from flask_login import UserMixin, login_user, logout_user

from tenants.models import User
from tenants.services.platform import accounts
from web.extensions import login_manager


class LoggedInUser(UserMixin):
    """The user of this request, with the key of the browser session they logged in with."""

    def __init__(self, user: User, session_key: str):
        self.user = user
        self.session_key = session_key

    def get_id(self) -> str:
        return self.session_key

    def __getattr__(self, name):
        return getattr(self.user, name)


@login_manager.user_loader
def load_user(session_key: str) -> LoggedInUser | None:
    user = accounts.user_for_session_key(session_key)
    return LoggedInUser(user, session_key) if user else None


login_manager.login_view = "auth.login"
login_manager.login_message = None  # the login page explains itself


def start_session(user: User) -> None:
    key = accounts.open_session(user, request.headers.get("User-Agent", ""))
    login_user(LoggedInUser(user, key))


def end_session(current) -> None:
    accounts.revoke_session(current.session_key)
    logout_user()
