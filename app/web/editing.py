"""What the practitioner's editors (schedule settings, courses) do with a submitted form: the values
to hand to a service, a refusal shown on the form, and a save that commits and says so."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm

from app.extensions import db
from app.validation import FieldErrors


def form_values(form: FlaskForm) -> dict:
    """The submitted fields, without the CSRF token, for a service to check (app/validation.py)."""
    return {name: value for name, value in form.data.items() if name != "csrf_token"}


def refused(form: FlaskForm, error: FieldErrors, template: str, **context):
    """Re-render with each message on its input; roll back so nothing of the attempt is written. A
    message for a field the form does not have goes on its first field."""
    fallback = next(f for f in form if f.name != "csrf_token")
    for name, message in error.errors.items():
        target = form[name] if name in form else fallback
        target.errors = [*target.errors, message]
    page = render_template(template, form=form, **context)
    db.session.rollback()
    return page, error.status


def saved(message: str, endpoint: str, **values):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values), 303)
