"""Users, passwords and tokens."""

from __future__ import annotations

import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from ..campaigns.models import City
from ..core.models import utcnow
from ..extensions import db
from .models import ROLES, ApiToken, User

TOKEN_PREFIX = "imp_"
MINIMUM_PASSWORD_LENGTH = 12
#: argon2 hashes whatever it is given: a bound keeps one login attempt from costing megabytes of hashing
MAXIMUM_PASSWORD_LENGTH = 1000
#: what User.get_id gives: "<user id>:<session version>"
_SESSION_ID = re.compile(r"([0-9]{1,9}):([0-9]{1,9})")
hasher = PasswordHasher()
#: verified against when the user is unknown, so that both failures take the same time
_DUMMY_HASH = hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """A user or token operation that cannot be carried out; the message says why, in one line."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(email: str, password: str, role: str, city: City | None) -> User:
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError(f"{email!r} is not an e-mail address")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    if (role == "admin") != (city is None):
        raise AccountError("admins belong to no city; every other role needs --city")
    check_password(password)
    if db.session.scalar(select(User.id).filter_by(email=email)) is not None:
        raise AccountError(f"a user {email} exists already")
    user = User(email=email, password_hash=hasher.hash(password), role=role, city=city)
    db.session.add(user)
    db.session.flush()
    return user


def check_password(password: str) -> None:
    if len(password) < MINIMUM_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MINIMUM_PASSWORD_LENGTH} characters")
    if len(password) > MAXIMUM_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at most {MAXIMUM_PASSWORD_LENGTH:,} characters")


def change_password(user: User, new_password: str) -> None:
    """Set a new password and end every session of the user: a cookie taken with the old password stops working."""
    check_password(new_password)
    user.password_hash = hasher.hash(new_password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """End every session of the user, on every device: their cookies carry the session version this replaces."""
    user.session_version = User.session_version + 1  # in SQL: the stored version moves on, however stale this copy
    db.session.flush()


def authenticate(email: str, password: str) -> User | None:
    """The user with these credentials, or None; an unknown user costs the same hash as a wrong password."""
    user = db.session.scalar(select(User).filter_by(email=normalise_email(email)))
    try:
        hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_enabled:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def load_session_user(session_id: str) -> User | None:
    # ASCII digits, few enough for an integer column: str.isdigit accepts "²", and int() refuses 5,000 digits
    match = _SESSION_ID.fullmatch(session_id) if isinstance(session_id, str) else None
    if match is None:
        return None
    user_id, version = (int(number) for number in match.groups())
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.is_enabled:
        return None
    return user


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User, label: str = "token") -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_hash(token), label=label[:64], created_on=utcnow().date()))
    db.session.flush()
    return token


def user_for_token(token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    api_token = db.session.scalar(select(ApiToken).filter_by(token_hash=_hash(token), is_revoked=False))
    if api_token is None or not api_token.user.is_enabled:
        return None
    return api_token.user


def revoke_token(user: User, token_id: int) -> None:
    api_token = db.session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user.id:
        raise AccountError("no such token")
    api_token.is_revoked = True
