"""Error pages for people and JSON errors for /api/: the same status codes, clear messages."""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from app.extensions import db, login_manager
from app.refusals import Refusal

log = logging.getLogger("homeostasis.errors")

MESSAGES = {
    400: ("Bad request", "We couldn't understand that request. Please go back and try again."),
    403: ("Not allowed", "You don't have access to this page."),
    404: ("Not found", "We couldn't find that page. It may have moved, or the link may be incomplete."),
    405: ("Not allowed", "That action isn't available here."),
    409: ("Conflict", "That couldn't be done because something changed in the meantime."),
    413: ("Too large", "That upload is too large."),
    422: ("Check your answers", "Some of what you entered needs another look."),
    429: ("Too many attempts", "Too many attempts in a short time. Please wait a minute and try again."),
    500: ("Something went wrong",
          "Something went wrong on our side. Nothing you entered was half-saved; please try again."),
    503: ("Temporarily unavailable", "We can't reach our database right now. Please try again in a minute."),
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 422: "invalid", 429: "rate_limited", 500: "server_error",
         503: "unavailable"}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, *, code: str | None = None, extra: dict | None = None,
                   as_visitor: bool = False):
    title, default = MESSAGES.get(status, ("Error", "Something went wrong."))
    message = message or default
    if as_visitor:
        g.database_unavailable = True  # the user loader (app/web/sessions.py) won't try the database again
    if wants_json():
        body = {"error": {"code": code or CODES.get(status, "error"), "message": message}}
        if extra:
            body["error"].update(extra)
        return jsonify(body), status
    # as_visitor renders the page as for nobody signed in: a template variable passed here wins over
    # Flask-Login's context processor, so the page never asks the database who is signed in.
    visitor = {"current_user": login_manager.anonymous_user()} if as_visitor else {}
    return render_template("errors/error.html", status=status, title=title, message=message, **visitor), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        db.session.rollback()
        return error_response(
            400, "This form has expired or did not come from this site. Reload the page and try again.",
            code="csrf_failed")

    @app.errorhandler(Refusal)
    def _refused(error: Refusal):
        # A service refused and the view did not catch it (a view catches one only to show its form
        # again): nothing of the attempt is kept, and the person is told why, with the refusal's status.
        db.session.rollback()
        return error_response(error.status, error.message, code=error.code)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        status = error.code or 500
        description = None
        if error.description and error.description != type(error).description:
            description = error.description  # our own message, raised with abort(status, message)
        if status == 429:
            db.session.rollback()
        response, status = error_response(status, description)
        valid_methods = getattr(error, "valid_methods", None)  # a MethodNotAllowed's
        if status == 405 and valid_methods:
            response = app.make_response((response, status))
            response.headers["Allow"] = ", ".join(valid_methods)
        return response, status

    @app.errorhandler(OperationalError)
    def _database_down(error):
        _rollback_quietly()
        log.error("database unavailable: %s", error.__class__.__name__)
        return error_response(503, as_visitor=True)

    @app.errorhandler(DataError)
    def _unstorable_input(error):
        # The database refused a value a form let through (PostgreSQL: a NUL byte in text, text longer
        # than its column): the input's fault, so a 4xx, with nothing written.
        _rollback_quietly()
        log.warning("input refused by the database on %s %s: %s", request.method, request.path,
                    getattr(error.orig, "sqlstate", None) or error.orig.__class__.__name__)
        return error_response(422, "Some of what you sent can't be stored: remove any invisible control "
                                   "characters and shorten very long answers, then try again.")

    @app.errorhandler(Exception)
    def _unexpected(error):
        _rollback_quietly()
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return error_response(503, as_visitor=True)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)


def _rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection itself may be gone
        log.warning("rollback failed after an error")
