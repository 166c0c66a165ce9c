"""Who may enter which area. Patients' own objects are scoped in the queries themselves."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


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
