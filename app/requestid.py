"""A request id on every log line, in the X-Request-ID response header and on the 500 page.

The id comes from the proxy's X-Request-ID when the proxy is trusted (TRUSTED_PROXIES > 0) and the
value looks like an id; otherwise it is generated here, so a client cannot write into the log.
"""
from __future__ import annotations

import logging
import re
import traceback
import uuid

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-ID"
_SAFE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request), for FORMAT."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class DatabaseDetailFilter(logging.Filter):
    """Drops the database server's own error DETAIL lines from logged tracebacks.

    `hide_parameters` keeps SQLAlchemy from printing bound values, but PostgreSQL's error message repeats
    them itself ("DETAIL:  Failing row contains (...)", "Key (email)=(...) already exists"), which would
    put intake answers in the log. The statement and the error's first line stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = "\n".join(line for line in text.splitlines()
                                        if not line.lstrip().startswith(("DETAIL:", "Failing row contains")))
        return True


# Every logger of the app (a filter on a logger does not see its children's records), and Huey's.
EXCEPTION_LOGGERS = ("homeostasis", "homeostasis.billing", "homeostasis.errors", "homeostasis.mail",
                     "homeostasis.storage", "homeostasis.tasks", "huey")


def init_app(app: Flask) -> None:
    detail_filter = DatabaseDetailFilter()
    for logger in (app.logger, *map(logging.getLogger, EXCEPTION_LOGGERS)):
        if not any(isinstance(f, DatabaseDetailFilter) for f in logger.filters):
            logger.addFilter(detail_filter)
    trusted = int(app.config.get("TRUSTED_PROXIES") or 0) > 0

    @app.before_request
    def _assign_request_id():
        given = request.headers.get(HEADER, "") if trusted else ""
        g.request_id = given if _SAFE.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def _send_request_id(response):
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response
