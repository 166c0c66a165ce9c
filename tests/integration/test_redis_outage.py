"""Redis, which holds the rate-limit counters in production, hangs, crashes and comes back (a real
redis-server of the test's own, frozen, killed and restarted). Signing in and everything else that is
rate-limited keeps working on per-process counters meanwhile (logged), the limits still hold, and once
Redis answers again the counters are in Redis again.

One test, in phases: the limiter is one object per process, and whether it is on its fallback is its
state, so a phase starts from where the one before left it (as in a real outage)."""
from __future__ import annotations

import io
import logging
import time
import zipfile

import pytest

from app.accounts import service
from app.extensions import db, limiter
from app.notify import feed
from app.scheduling.profiles import profile_for
from tests.support.mailbox import text_of
from tests.support.web import post_form

PASSWORD = "correct horse battery"


@pytest.fixture
def app_config(app_config, redis_server):
    """Rate-limit counters in this test's own redis-server, which the test freezes, kills and restarts."""
    return {**app_config, "RATELIMIT_STORAGE_URI": f"{redis_server.url}/0"}


@pytest.fixture
def operator_log(app):
    """What the app writes to its log (stderr under systemd) from Flask-Limiter, read as text."""
    handler = next(h for h in logging.getLogger("flask-limiter").handlers if isinstance(h, logging.StreamHandler))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def limit_keys(redis_server) -> dict[str, int]:
    client = redis_server.client()
    return {key.decode(): int(client.get(key) or 0) for key in client.keys("LIMITS:*")}


def counting_in_redis() -> bool:
    """Flask-Limiter's public view: the strategy in use counts in the configured storage (Redis), not
    in its in-memory fallback."""
    return limiter.limiter.storage is limiter.storage


def test_sign_in_and_every_rate_limited_page_survive_redis_hanging_crashing_and_coming_back(
        app, client, auth, make_user, make_practice, redis_server, mailbox, operator_log):
    ada = make_user("ada@example.com", password=PASSWORD)
    make_user("eve@example.com", password=PASSWORD)
    dr, profile, _ = make_practice()
    token = feed.rotate_token(profile_for(dr), actor=dr)
    db.session.commit()
    assert auth.login("ada@example.com", PASSWORD).status_code == 303  # Redis up: counted there
    assert limit_keys(redis_server) and counting_in_redis()
    auth.logout()

    # Hung: connections are taken but never answered. A sign-in waits for the 1 s timeout, not forever.
    redis_server.freeze()
    started = time.monotonic()
    assert auth.login("ada@example.com", PASSWORD).status_code == 303
    # Not a speed check: without the timeouts a frozen Redis holds the request for good. Two 0.5 s timeouts
    # (command, reconnection) take about 1 s; the bound is loose so a busy machine cannot make it fail.
    assert time.monotonic() - started < 10
    assert not counting_in_redis()
    assert "Rate limit storage unreachable - falling back to in-memory storage" in operator_log.getvalue()
    auth.logout()

    # Crashed: connections refused. Every rate-limited page works, at once.
    redis_server.stop()
    started = time.monotonic()
    assert auth.login("ada@example.com", PASSWORD).status_code == 303
    assert time.monotonic() - started < 10  # refused connections fail at once: no retries with pauses
    auth.logout()
    assert auth.login("ada@example.com", "wrong password!").status_code == 401
    assert auth.login("ada@example.com", PASSWORD).status_code == 303
    export = post_form(client, "/account/export", {})
    assert export.status_code == 200
    assert "data.json" in zipfile.ZipFile(io.BytesIO(export.data)).namelist()
    auth.logout()
    assert auth.register("bea@example.com").status_code == 303
    auth.logout()
    assert post_form(client, "/auth/forgot-password", {"email": "ada@example.com"}).status_code == 200
    assert "reset" in text_of(mailbox.wait_for("ada@example.com")[-1]).lower()
    reset = f"/auth/reset/{service.reset_token(ada)}"
    db.session.commit()
    assert post_form(client, reset, {"password": "a new long password"}).status_code == 303
    assert client.get(f"/practice/calendar/{token}.ics").status_code == 200

    # ... and the limits still hold, counted in this process: 5 wrong passwords a minute per email.
    wrong = [auth.login("eve@example.com", f"wrong password {n}").status_code for n in range(6)]
    assert wrong == [401] * 5 + [429]

    # Back (empty: nothing was saved). Flask-Limiter pings it again after 1, 2, 4 ... 32 s of outage
    # (its back-off), so within ~35 s of traffic the counters are in Redis again.
    redis_server.start()
    assert limit_keys(redis_server) == {}
    deadline = time.monotonic() + 40
    while not limit_keys(redis_server) and time.monotonic() < deadline:
        assert auth.login("ada@example.com", "wrong password!").status_code in (401, 429)
        time.sleep(0.5)
    before = limit_keys(redis_server)
    assert before, "the rate-limit counters never reached Redis again"
    assert counting_in_redis()
    assert "Rate limit storage recovered" in operator_log.getvalue()
    assert auth.login("eve@example.com", PASSWORD).status_code == 303  # a fresh count in Redis
    after = limit_keys(redis_server)
    assert sum(after.values()) > sum(before.values())
    assert "@example.com" not in operator_log.getvalue()  # the limiter's keys name people: not logged
