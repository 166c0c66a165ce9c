"""Who may enter which area. Patients' own objects are scoped in the queries themselves."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from app.extensions import db
from app.models.accounts import User


def practitioner_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_practitioner:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def patient_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_patient:
            abort(403, "This page is for patients. Practitioners work from the practice area.")
        return view(*args, **kwargs)

    return wrapped


def signed_in_user() -> User:
    """The signed-in account itself, not the `current_user` proxy (to hand to services that keep it).
    The user loader put it in the session's identity map, so this runs no query."""
    user = db.session.get(User, current_user.id) if current_user.is_authenticated else None
    if user is None:
        abort(401)
    return user
