"""A request id (issue 12): on every log line of the request, in X-Request-ID, and on the 500 page."""
from __future__ import annotations

import io
import logging
import sys

from app import create_app
from app.extensions import db
from tests.conftest import IsolatedClient


def _log_stream() -> io.StringIO:
    [handler] = logging.getLogger("homeostasis").handlers
    stream = io.StringIO()
    handler.setStream(stream)
    return stream


def _with_failing_page(app_):
    @app_.get("/_boom")
    def _boom():
        logging.getLogger("homeostasis.test").info("about to fail")
        raise RuntimeError("boom")
    return app_


def test_the_500_page_the_header_and_every_log_line_share_one_reference(app):
    _with_failing_page(app)
    stream = _log_stream()
    try:
        response = app.test_client().get("/_boom")
    finally:
        logging.getLogger("homeostasis").handlers[0].setStream(sys.stderr)
    reference = response.headers["X-Request-ID"]
    assert response.status_code == 500 and len(reference) == 32
    assert f"quote this reference: <code>{reference}</code>" in response.get_data(as_text=True)
    lines = [line for line in stream.getvalue().splitlines() if line and not line.startswith(("Traceback", " "))]
    assert any("about to fail" in line for line in lines) and any("unhandled error" in line for line in lines)
    for line in lines:
        if "about to fail" in line or "unhandled error" in line:
            assert f"[{reference}]" in line
    assert app.test_client().get("/").headers["X-Request-ID"] != reference  # each request its own


def test_the_proxys_request_id_is_used_only_when_the_proxy_is_trusted(app, app_config):
    forged = {"X-Request-ID": "chosen-by-the-client"}
    assert app.test_client().get("/", headers=forged).headers["X-Request-ID"] != "chosen-by-the-client"
    proxied = create_app({**app_config, "TRUSTED_PROXIES": 1})
    proxied.test_client_class = IsolatedClient
    try:
        assert proxied.test_client().get("/", headers=forged).headers["X-Request-ID"] == "chosen-by-the-client"
        odd = {"X-Request-ID": "two words; <script>"}
        assert proxied.test_client().get("/", headers=odd).headers["X-Request-ID"] != odd["X-Request-ID"]
    finally:
        with proxied.app_context():
            db.engine.dispose()


def test_every_logger_of_the_app_drops_database_error_details():
    """A new logger must be listed, or the database's DETAIL lines could reach the log through it."""
    import pathlib
    import re as re_

    from app.requestid import EXCEPTION_LOGGERS

    root = pathlib.Path(__file__).resolve().parents[2] / "app"
    used = {m for p in root.rglob("*.py") for m in re_.findall(r'getLogger\("([^"]+)"\)', p.read_text())}
    assert used <= set(EXCEPTION_LOGGERS)
