"""Blueprints and the request-wide web policies (sessions, headers, errors)."""
from flask import Flask
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest value of the integer primary keys (PostgreSQL `integer`)


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route: a number the database's id columns can hold, else no match (404), rather
    than an overflow inside the query (a 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def register_web(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseId  # before any route is added
    from app.intake import red_flags
    from app.web import (
        account,
        api,
        auth,
        billing,
        booking,
        calendar_feed,
        course_editor,
        courses,
        errors,
        intake,
        intake_practice,
        intake_safety,
        practice,
        practice_schedule,
        practice_settings,
        practice_visit,
        public,
        security,
        sessions,
        timefmt,
        waitlist,
    )

    # The one source of the emergency steps, for every page (and the course disclaimer) that shows them.
    # A module, not a function (add_template_global is for callables): set straight on the Jinja globals.
    app.jinja_env.globals["red_flags"] = red_flags
    sessions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    timefmt.init_app(app)
    for module in (public, auth, account, booking, billing, practice, practice_schedule, practice_visit,
                   practice_settings, api, calendar_feed, courses, course_editor, intake_safety, intake,
                   intake_practice, waitlist):
        app.register_blueprint(module.bp)
    from app.web import privacy

    app.register_blueprint(privacy.bp)
    from app.web import diary, diary_practice

    app.register_blueprint(diary.bp)
    app.register_blueprint(diary_practice.bp)
    from app.web import calendars

    app.register_blueprint(calendars.bp)
    from app.web import book_by_email, retained, verify

    app.register_blueprint(retained.bp)

    app.register_blueprint(verify.bp)
    app.register_blueprint(book_by_email.bp)
    verify.init_app(app)
    from app.web import limits

    limits.init_app()
    limits.init_forms(app)
