"""Blueprints and the request-wide web policies (sessions, headers, errors)."""
from flask import Flask


def register_web(app: Flask) -> None:
    from app.web import account, api, auth, billing, booking, calendar, course_editor, courses, errors, intake, intake_practice, intake_safety, practice, practice_settings, public, security, sessions, timefmt

    sessions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    timefmt.init_app(app)
    for module in (public, auth, account, booking, billing, practice, practice_settings, api, calendar, courses, course_editor, intake_safety, intake, intake_practice):
        app.register_blueprint(module.bp)
