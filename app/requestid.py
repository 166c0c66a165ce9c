"""A request id on every log line, in the X-Request-ID response header and on the 500 page.

The id comes from the proxy's X-Request-ID when the proxy is trusted (TRUSTED_PROXIES > 0) and the
value looks like an id; otherwise it is generated here, so a client cannot write into the log.
"""
from __future__ import annotations

import logging
import re
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


def init_app(app: Flask) -> None:
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
