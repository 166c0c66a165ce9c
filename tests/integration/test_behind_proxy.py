"""Behind a reverse proxy (issue 12): with TRUSTED_PROXIES=1 the client's own address, from the
proxy's X-Forwarded-For, is what rate limits, audit rows and sessions use; with 0 the header is ignored."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db, limiter
from app.models.accounts import UserSession
from app.models.audit import AuditEvent
from app.web.auth import FAILED_PER_IP
from tests.conftest import DEFAULT_PASSWORD, IsolatedClient
from tests.support.web import csrf_token

# Each attempt is a wrong password: the per-IP limit of failed sign-ins is the first to apply.
PER_IP_COUNT = int(FAILED_PER_IP.split()[0])  # "10 per minute;..."


_made: list = []


@pytest.fixture(autouse=True)
def _close_made_apps():
    """Each extra app has its own engine: close its connections (PostgreSQL would see them leak)."""
    yield
    while _made:
        with _made.pop().app_context():
            db.engine.dispose()


def make(app_config, hops: int):
    app_ = create_app({**app_config, "TRUSTED_PROXIES": hops})
    app_.test_client_class = IsolatedClient
    limiter.reset()
    _made.append(app_)
    return app_


def attempt(client, n: int, forwarded_for: str | None, email: str | None = None, password: str = "wrong password!"):
    """One login POST as the proxy passes it on (each to its own address: only the per-IP limit applies)."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    token = csrf_token(client, "/auth/login")
    return client.post("/auth/login", headers=headers, data={
        "csrf_token": token, "email": email or f"someone{n}@example.com", "password": password})


@pytest.fixture
def proxied(app, app_config):
    return make(app_config, 1)


def test_distinct_clients_behind_one_proxy_are_limited_separately(proxied):
    client = proxied.test_client()
    statuses = [attempt(client, n, f"203.0.113.{n}").status_code for n in range(1, PER_IP_COUNT + 2)]
    assert 429 not in statuses and len(statuses) == PER_IP_COUNT + 1


def test_one_client_behind_the_proxy_is_refused_after_the_documented_count(proxied):
    client = proxied.test_client()
    statuses = [attempt(client, n, "203.0.113.7").status_code for n in range(1, PER_IP_COUNT + 2)]
    assert 429 not in statuses[:PER_IP_COUNT]
    assert statuses[PER_IP_COUNT] == 429  # attempt PER_IP_COUNT + 1


def test_the_audit_row_and_the_session_show_the_clients_address(proxied, make_user):
    make_user("ada@example.com")
    client = proxied.test_client()
    assert attempt(client, 0, "198.51.100.23", "ada@example.com", DEFAULT_PASSWORD).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(AuditEvent.ip).where(AuditEvent.action == "login")) == "198.51.100.23"
    assert db.session.scalar(select(UserSession.ip)) == "198.51.100.23"


def test_without_trusted_proxies_a_forged_header_is_ignored(app, app_config, make_user):
    direct = make(app_config, 0)
    make_user("ada@example.com")
    client = direct.test_client()
    assert attempt(client, 0, "198.51.100.23", "ada@example.com", DEFAULT_PASSWORD).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(AuditEvent.ip).where(AuditEvent.action == "login")) == "127.0.0.1"
    # and forging a new address per attempt does not escape the per-IP limit
    statuses = [attempt(direct.test_client(), n, f"203.0.113.{n}").status_code for n in range(1, PER_IP_COUNT + 2)]
    assert statuses[-1] == 429
