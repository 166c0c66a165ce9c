"""Headers on every response, no-store for signed-in pages, and safe redirects."""
from __future__ import annotations

from typing import TypeGuard
from urllib.parse import urlsplit

from flask import Flask, current_app, request, session
from flask_login import current_user


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """Only a local path: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not any(ord(ch) < 32 for ch in target)


def safe_next(target: str | None, default: str) -> str:
    return target if is_safe_next(target) else default


def content_security_policy() -> str:
    form_action = ["'self'"]
    checkout_origin = current_app.config.get("STRIPE_CHECKOUT_ORIGIN")
    if checkout_origin:
        form_action.append(checkout_origin)
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        f"form-action {' '.join(form_action)}",
        "frame-ancestors 'none'",
    ])


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        for name, value in _fixed_headers(app):
            response.headers.setdefault(name, value)  # a view that set its own keeps it
        if _is_private(response):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response


def _fixed_headers(app: Flask) -> tuple[tuple[str, str], ...]:
    """The headers every response carries, built once per app (they depend on configuration only)."""
    headers = app.extensions.get("fixed_headers")
    if headers is None:
        headers = app.extensions["fixed_headers"] = (
            ("Content-Security-Policy", content_security_policy()),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
            ("X-Frame-Options", "DENY"),
            ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
        ) + ((("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),)
             if app.config.get("HSTS") else ())
    return headers


def has_session_cookie() -> bool:
    """Whether the request carries a session at all. Without one nobody is signed in, and neither
    the session nor the user loader (a query) need be touched."""
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies


def _is_private(response) -> bool:
    if request.endpoint == "static":
        return False
    # A response that sets a cookie must not be cached and handed to someone else. Flask writes the
    # session cookie after these hooks, so a session about to be saved counts too (an anonymous page
    # that just put a CSRF token in it, say).
    if response.headers.get("Set-Cookie") is not None or session.modified:
        return True
    try:
        return has_session_cookie() and "_user_id" in session and bool(current_user and current_user.is_authenticated)
    except Exception:  # outside a request with a login manager, e.g. a failed app start
        return False
