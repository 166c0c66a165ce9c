"""Account operations: each runs inside the caller's transaction and raises AccountError on refusal."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update

from app.accounts.passwords import DUMMY_HASH, hash_password, needs_rehash, password_problem, verify_password
from app.clock import utcnow
from app.extensions import db
from app.models.accounts import (
    NO_PASSWORD,
    ROLE_PATIENT,
    ROLE_PRACTITIONER,
    User,
    UserSession,
    find_user_by_email,
    normalise_email,
)
from app.scheduling.profiles import create_profile

RESET_MAX_AGE = timedelta(hours=1)


class AccountError(Exception):
    """A refusal, with a message per form field (all problems at once, not one per attempt)."""

    def __init__(self, message: str, field: str, *, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or {field: message}


def register_patient(*, email: str, full_name: str, password: str, timezone: str, consent: bool) -> User:
    email = normalise_email(email)
    errors = {}
    if find_user_by_email(email):
        errors["email"] = "An account with this email already exists. Log in, or reset your password."
    problem = password_problem(password, email=email, full_name=full_name)
    if problem:
        errors["password"] = problem
    if not consent:
        errors["consent"] = "We can only keep your health information with your explicit consent."
    if errors:
        first = next(iter(errors))
        raise AccountError(errors[first], first, errors=errors)
    user = User(email=email, full_name=full_name.strip(), password_hash=hash_password(password),
                role=ROLE_PATIENT, timezone=timezone, health_data_consent_at=utcnow())
    db.session.add(user)
    db.session.flush()
    return user


def register_patient_by_email(*, email: str, full_name: str, timezone: str, now: datetime) -> User:
    """A patient who proved her address with an emailed code while booking: no password yet (she can set
    one from her account, or keep signing in with emailed codes). The caller checked the code and consent."""
    user = User(email=normalise_email(email), full_name=full_name.strip(), password_hash=NO_PASSWORD,
                role=ROLE_PATIENT, timezone=timezone, health_data_consent_at=now, email_verified_at=now)
    db.session.add(user)
    db.session.flush()
    return user


def create_user(*, email: str, full_name: str, password: str, timezone: str, role: str) -> User:
    problem = password_problem(password, email=email, full_name=full_name)
    if problem:
        raise AccountError(problem, "password")
    if find_user_by_email(email):
        raise AccountError("An account with this email already exists.", "email")
    # Made by the practice (or the command line), not by typing an address into a public form: verified.
    user = User(email=normalise_email(email), full_name=full_name.strip(), password_hash=hash_password(password),
                role=role, timezone=timezone, email_verified_at=utcnow())
    db.session.add(user)
    db.session.flush()
    if role == ROLE_PRACTITIONER:
        create_profile(user)  # her practice profile comes with her account: no page has to make it
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    if user is None or not user.has_password:
        verify_password(DUMMY_HASH, password)  # same cost as a real check: no timing oracle
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def change_password(user: User, current: str, new: str, *, keep_session: str | None = None) -> None:
    if not verify_password(user.password_hash, current):
        raise AccountError("Your current password is not correct.", "current_password")
    set_password(user, new, keep_session=keep_session)


def set_password(user: User, new: str, *, keep_session: str | None = None) -> None:
    problem = password_problem(new, email=user.email, full_name=user.full_name)
    if problem:
        raise AccountError(problem, "password")
    user.password_hash = hash_password(new)
    revoke_sessions(user, except_token=keep_session)


def revoke_sessions(user: User, *, except_token: str | None = None) -> None:
    statement = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if except_token:
        statement = statement.where(UserSession.token != session_digest(except_token))
    db.session.execute(statement.values(revoked_at=utcnow()))


def session_digest(token: str) -> str:
    """What the database keeps of a session token: its SHA-256 (hex). A copy of the table (a backup, a
    leaked dump) holds no cookie that signs anyone in; the token is random (256 bits), so no salt."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_session(user: User, ip: str | None) -> tuple[UserSession, str]:
    """A new session row and the token for the cookie (only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    row = UserSession(token=session_digest(token), user_id=user.id, ip=ip)
    db.session.add(row)
    return row, token


# Password reset tokens are signed and carry a fingerprint of the current password hash: once the
# password changes (the token is used), every earlier token stops working. No table needed.
def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def reset_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=int(RESET_MAX_AGE.total_seconds()))
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not secrets.compare_digest(str(data.get("f")), _fingerprint(user)):
        return None
    return user


def session_is_valid(row: UserSession | None, user_id: int, now: datetime) -> tuple[bool, str | None]:
    """(valid, reason) for a session row; reason is 'idle' or 'expired' when it just timed out."""
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return False, None
    config = current_app.config
    if now - row.created_at > config["PERMANENT_SESSION_LIFETIME"]:
        return False, "expired"
    if now - row.last_seen_at > config["SESSION_IDLE_TIMEOUT"]:
        return False, "idle"
    return True, None
