"""Signed-in sessions: a random token in the signed cookie, checked against user_sessions on each
request. Gives a new identifier at every login, real logout, 30-minute idle and 12-hour absolute expiry."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, flash, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import update

from app.accounts.service import new_session, session_digest, session_is_valid
from app.clock import utcnow
from app.database import lock_for_writing
from app.extensions import db, login_manager
from app.models.accounts import User, UserSession
from app.web.security import has_session_cookie

TOUCH_EVERY = timedelta(seconds=60)  # write last_seen at most once a minute


def start_session(user: User) -> None:
    """Call inside the login transaction. Drops everything from the anonymous session (fixation)."""
    keep = {key: session[key] for key in ("booking_intent",) if key in session}
    session.clear()
    session.update(keep)
    _, token = new_session(user, request.remote_addr)
    session["sid"] = token  # the cookie holds the token; the database only its digest
    session.permanent = True
    login_user(user)


def end_session() -> None:
    token = session.get("sid")
    if token:
        row = db.session.get(UserSession, session_digest(token))
        if row and row.revoked_at is None:
            row.revoked_at = utcnow()
    logout_user()
    session.clear()


def current_session_token() -> str | None:
    return session.get("sid")


def _load_user(user_id: str) -> User | None:
    token = session.get("sid")
    if not token or not str(user_id).isdigit() or g.get("database_unavailable"):
        return None
    row = db.session.get(UserSession, session_digest(token))
    now = utcnow()
    valid, reason = session_is_valid(row, int(user_id), now)
    if not valid or row is None:  # a missing row is never valid: this only tells mypy so
        if reason and row is not None:
            _write_session(row.token, revoked_at=now)
            g.session_timed_out = reason
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        _write_session(row.token, last_seen_at=now)
    return db.session.get(User, int(user_id))


def _write_session(token_digest: str, **values) -> None:
    """Update the session row in a transaction of its own that holds the write lock (on SQLite a page
    view otherwise only reads; app/database.py), committed before the page goes on."""
    lock_for_writing()
    db.session.execute(update(UserSession).where(UserSession.token == token_digest).values(**values))
    db.session.commit()


def init_app(app: Flask) -> None:
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @app.before_request
    def _announce_timeout():
        from flask_login import current_user

        # Touch current_user so the loader runs, then tell the person why they are signed out. Only a
        # login puts _user_id in the session: without it there is nobody to load or time out.
        if not has_session_cookie() or "_user_id" not in session:
            return
        if not current_user.is_authenticated and g.get("session_timed_out"):
            session.clear()
            flash("You were signed out after 30 minutes without activity, to protect your health information."
                  if g.session_timed_out == "idle" else
                  "Your session ended after 12 hours. Please log in again.", "info")
