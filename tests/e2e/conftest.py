"""Browser tests: the app served on 127.0.0.1 in a thread, Debian's chromium driven by Playwright.
Every page's requests are recorded, and a test fails if any goes to another host."""
from __future__ import annotations

import os
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from app.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]


class WorkerTurn:
    """After each page, the worker's turn: the tasks the request queued (its emails, refunds) run before
    the browser sees the answer, as a worker would run them a moment later (the same convention as the
    test client's, tests/conftest.py). The request itself never sends mail or calls Stripe; a real
    consumer, thread and process, is tested in tests/integration/test_worker.py."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        from tests.support.worker import run_pending

        answer = self.wsgi_app(environ, start_response)
        try:
            chunks = list(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        if not environ.get("PATH_INFO", "").startswith("/static/"):
            with self.lock:
                run_pending()
        return chunks


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, WorkerTurn(app), threaded=True)
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app.config["BASE_URL"]
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); "
                    "browser tests never download a browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class OffsiteRequests(list):
    def check(self) -> None:
        assert not self, f"pages requested other hosts: {sorted(set(self))}"


@pytest.fixture
def browser_context_options() -> dict:
    return {"timezone_id": "Europe/London", "locale": "en-GB"}


@pytest.fixture
def allowed_hosts() -> set[str]:
    """Other hosts a test explicitly stands in for a third party with (override it, e.g. with the
    fake Stripe server's host for its hosted checkout page). Empty: pages may request only the app."""
    return set()


@pytest.fixture
def page(browser, live_server, browser_context_options, allowed_hosts):
    context = browser.new_context(base_url=live_server, **browser_context_options)
    context.set_default_timeout(10_000)
    offsite = OffsiteRequests()
    allowed = urlsplit(live_server).netloc

    def _record(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != allowed and parts.netloc not in allowed_hosts:
            offsite.append(request.url)

    context.on("request", _record)
    page = context.new_page()
    page.offsite_requests = offsite
    yield page
    context.close()
    offsite.check()


@pytest.fixture
def seeded(live_server):
    """The demo practice with patients A and B (tests/support/seeded.py), committed for the browser."""
    from tests.support.seeded import seed_two_patients

    s = seed_two_patients()
    db.session.commit()  # the browser's requests read and write next
    return s
