"""Device cookies (OWASP, "Slow down online guessing attacks with device cookies"): a successful sign-in
gives the browser a signed cookie naming the account. The lockout of an account after wrong passwords
(app/web/auth.py) applies only to browsers without such a cookie for that account, so an attacker guessing
her password cannot lock the owner out of the devices she has signed in on before. A trusted device
has a lockout of its own, keyed by the cookie, in case the cookie itself is stolen."""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.models.accounts import User, find_user_by_email

COOKIE = "homeostasis_device"
SALT = "device-cookie"
LIFETIME = timedelta(days=180)


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def remember(response: Response, user: User) -> None:
    """After a successful sign-in: this browser is now one of her devices."""
    token = _signer().dumps([user.id, secrets.token_urlsafe(16)])
    response.set_cookie(COOKIE, token, max_age=int(LIFETIME.total_seconds()), httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False), path="/auth/")


def forget(response: Response) -> None:
    """After the account is deleted: the browser's cookie for it goes too."""
    response.delete_cookie(COOKIE, path="/auth/", httponly=True, samesite="Lax",
                           secure=current_app.config.get("SESSION_COOKIE_SECURE", False))


def _claim() -> tuple[int, str] | None:
    """(account id, nonce) of a valid device cookie on this request, else None."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        user_id, nonce = _signer().loads(raw, max_age=int(LIFETIME.total_seconds()))
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(nonce, str):
        return None
    return user_id, nonce


def trusted_for_typed_email() -> bool:
    """True when this browser has signed in before to the account whose email is being typed."""
    claim = _claim()
    if claim is None:
        return False
    user = find_user_by_email(request.form.get("email", ""))
    return user is not None and user.id == claim[0]


def device_key() -> str:
    claim = _claim()
    return f"device:{claim[1]}" if claim else "device:none"
