"""One-time codes that prove an email address belongs to whoever typed it.

`issue(purpose, email, now)` makes a 6-digit code for the address (any earlier unused code for the same
purpose and address stops working), stores only its HMAC-SHA256 (keyed by SECRET_KEY, so a copy of the
table does not give codes away even by trying all million), and returns it for the caller to email.
`check(purpose, email, code, now)` accepts it once, within CODE_LIFETIME, and counts every try: after
MAX_ATTEMPTS wrong ones the code is dead and a new one must be asked for (which is rate limited where it is
emailed). Both run in the caller's transaction; the caller commits (a wrong try is counted, so commit
after a refusal too).

Purposes keep codes apart: SIGN_UP (an account made with a password), BOOKING (booking with name, email
and code) and SIGN_IN (signing in with a code)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app.database import serialised_write
from app.extensions import db
from app.models.accounts import VerificationCode, normalise_email
from app.refusals import Refusal

SIGN_UP = "sign_up"
BOOKING = "booking"  # booking with name, email and code (app/web/book_by_email.py)
SIGN_IN = "sign_in"  # signing in with an emailed code instead of a password (the same module)
CODE_LIFETIME = timedelta(minutes=30)
MAX_ATTEMPTS = 5
DIGITS = 6


class CodeRefused(Refusal):
    """The code was not accepted; `message` says why and what to do, `status` is for the HTTP answer."""


class TooManyTries(CodeRefused):
    status = 429


def _digest(purpose: str, email: str, code: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"{purpose}\n{email}\n{code}".encode(), hashlib.sha256).hexdigest()


def issue(purpose: str, email: str, now: datetime) -> str:
    address = normalise_email(email)
    code = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
    db.session.execute(update(VerificationCode).where(
        VerificationCode.purpose == purpose, VerificationCode.email == address,
        VerificationCode.used_at.is_(None)).values(used_at=now))
    db.session.add(VerificationCode(purpose=purpose, email=address, code_hash=_digest(purpose, address, code),
                                    created_at=now, expires_at=now + CODE_LIFETIME, attempts=0))
    return code


def check(purpose: str, email: str, code: str, now: datetime) -> None:
    """Accept `code` (marking it used) or raise CodeRefused / TooManyTries."""
    address = normalise_email(email)
    typed = "".join(ch for ch in (code or "") if not ch.isspace())
    query = (select(VerificationCode).where(VerificationCode.purpose == purpose, VerificationCode.email == address,
                                            VerificationCode.used_at.is_(None))
             .order_by(VerificationCode.id.desc()).limit(1))
    with serialised_write(query.with_for_update()):  # two tries at once cannot both use the last attempt
        row = db.session.scalars(query).first()
        if row is None or row.expires_at <= now:
            raise CodeRefused("This code has expired or was replaced by a newer one. Ask for a new code.")
        if row.attempts >= MAX_ATTEMPTS:
            raise TooManyTries("Too many wrong codes. Ask for a new code; the old one no longer works.")
        row.attempts += 1
        if not (typed.isdigit() and hmac.compare_digest(row.code_hash, _digest(purpose, address, typed))):
            left = MAX_ATTEMPTS - row.attempts
            if left == 0:
                raise TooManyTries("That code is not right, and that was the last try. Ask for a new code.")
            raise CodeRefused(f"That code is not right. Check the latest email and try again ({left} "
                              f"{'try' if left == 1 else 'tries'} left).")
        row.used_at = now
