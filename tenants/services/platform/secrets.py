"""Passwords (argon2id), random keys kept only as hashes, and signed expiring links."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 "low memory" defaults


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# A hash to verify against when the account does not exist, so timing does not reveal it.
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def new_key(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class LinkInvalid(Exception):
    """A signed link was tampered with or made for another purpose."""


class LinkExpired(LinkInvalid):
    """A signed link was genuine but is too old."""


def sign_link(secret_key: str, purpose: str, payload: dict) -> str:
    return URLSafeTimedSerializer(secret_key, salt=f"amparo.{purpose}").dumps(payload)


def read_link(secret_key: str, purpose: str, token: str, max_age: int) -> dict:
    serializer = URLSafeTimedSerializer(secret_key, salt=f"amparo.{purpose}")
    try:
        return serializer.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired(purpose) from exc
    except BadSignature as exc:
        raise LinkInvalid(purpose) from exc
