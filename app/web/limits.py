"""Rate limits shared by several views (Flask-Limiter, counted in RATELIMIT_STORAGE_URI): asking for a
booking or a hold, and every action that emails an address someone typed. Each limit is counted per
account (or per typed address) and per IP address, so neither a fresh account nor a fresh address
gets round it; the numbers are settings (config.py). Mail limits count only requests that queued an
email (an outbox row flushed during the request)."""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, abort, current_app, g, has_request_context, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import event

from app.extensions import db, limiter
from app.models.accounts import normalise_email
from app.models.notify import OutboxMessage

BOOKING_TOO_OFTEN = ("You have asked for bookings too often in a short time. Please wait and try again later, "
                     "or contact the practice.")
MAIL_TOO_OFTEN = ("Too many emails have been asked for in a short time. Please wait and try again later.")


def account_key() -> str:
    """The signed-in account, or the IP address for a visitor."""
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return "ip:" + get_remote_address()


def typed_email_key() -> str:
    """The email address typed into the form (normalised), so one address is not mailed without end."""
    return "email:" + normalise_email(request.form.get("email", ""))


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def booking_limits(view: Callable) -> Callable:
    """Creating a booking or a hold: per account and per IP address (BOOKING_RATE_LIMIT_*)."""
    view = limiter.shared_limit(_setting("BOOKING_RATE_LIMIT_IP"), "booking-ip", methods=["POST"],
                                error_message=BOOKING_TOO_OFTEN)(view)
    view = limiter.shared_limit(_setting("BOOKING_RATE_LIMIT_PATIENT"), "booking-account", key_func=account_key,
                                methods=["POST"], error_message=BOOKING_TOO_OFTEN)(view)
    return view


def _note_mail(session, flush_context) -> None:
    if has_request_context() and any(isinstance(obj, OutboxMessage) for obj in session.new):
        g.mail_queued = True


def _mail_was_queued(response) -> bool:
    """Mail limits count the requests that queued an email (a refused form or a redirect costs nothing)."""
    return bool(g.get("mail_queued"))


_listening = False


def init_app() -> None:
    global _listening
    if not _listening:  # session events are global: register once per process
        event.listen(db.session, "after_flush", _note_mail)
        _listening = True


def mail_limits(*, typed_address: bool = False) -> Callable[[Callable], Callable]:
    """An action that queues an email: counted together over every such action, per IP address and per
    account (MAIL_RATE_LIMIT_*), and per typed address when the form has one."""
    def decorate(view: Callable) -> Callable:
        view = limiter.shared_limit(_setting("MAIL_RATE_LIMIT_IP"), "mail-ip", methods=["POST"],
                                    error_message=MAIL_TOO_OFTEN, deduct_when=_mail_was_queued)(view)
        view = limiter.shared_limit(_setting("MAIL_RATE_LIMIT_ACCOUNT"), "mail-account", key_func=account_key,
                                    methods=["POST"], error_message=MAIL_TOO_OFTEN, deduct_when=_mail_was_queued,
                                    exempt_when=lambda: not current_user.is_authenticated)(view)
        if typed_address:
            view = limiter.shared_limit(_setting("MAIL_RATE_LIMIT_ADDRESS"), "mail-address",
                                        key_func=typed_email_key, methods=["POST"],
                                        error_message=MAIL_TOO_OFTEN, deduct_when=_mail_was_queued)(view)
        return view
    return decorate


FORM_TOO_BIG = "That form holds more than any page here sends. Go back, check what you entered and try again."


def _guard_url_encoded_forms() -> None:
    """MAX_FORM_PARTS and MAX_FORM_MEMORY_SIZE for url-encoded posts too: werkzeug applies them only to
    multipart bodies, so an ordinary form could carry thousands of fields (issue 20: a 477 KB post made an
    intake step render a row per key). Refused with 413 before the view runs."""
    if request.method not in ("POST", "PUT", "PATCH") or request.mimetype != "application/x-www-form-urlencoded":
        return
    limit = current_app.config["MAX_FORM_MEMORY_SIZE"]
    if limit is not None and request.content_length is not None and request.content_length > limit:
        abort(413, FORM_TOO_BIG)
    parts = current_app.config["MAX_FORM_PARTS"]
    if parts is not None and sum(len(values) for _, values in request.form.lists()) > parts:
        abort(413, FORM_TOO_BIG)


def init_forms(app: Flask) -> None:
    app.before_request(_guard_url_encoded_forms)
