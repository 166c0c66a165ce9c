"""The security baseline: CSRF, rate limits, headers, cookies and sessions."""
from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models.accounts import User, UserSession
from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import csrf_token, post_form


def test_post_without_csrf_token_is_refused_and_nothing_is_written(client):
    response = client.post("/auth/register", data={"email": "ada@example.com", "password": DEFAULT_PASSWORD,
                                                   "full_name": "Ada", "timezone": "UTC", "consent": "y"})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_sixth_rapid_failed_login_for_one_email_gets_429(client, make_user):
    make_user("ada@example.com")
    token = csrf_token(client)
    statuses = [client.post("/auth/login", data={"email": "ada@example.com", "password": f"wrong guess {i}",
                                                 "csrf_token": token}).status_code for i in range(6)]
    assert statuses == [401] * 5 + [429]
    page = client.post("/auth/login", data={"email": "ada@example.com", "password": DEFAULT_PASSWORD,
                                            "csrf_token": token})
    assert page.status_code == 429
    assert "Too many attempts" in page.get_data(as_text=True)


def test_failed_logins_for_one_email_do_not_lock_out_another(client, make_user):
    make_user("ada@example.com")
    make_user("bea@example.com")
    token = csrf_token(client)
    for i in range(6):
        client.post("/auth/login", data={"email": "ada@example.com", "password": f"wrong {i} guess",
                                         "csrf_token": token})
    response = client.post("/auth/login", data={"email": "bea@example.com", "password": DEFAULT_PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 303


@pytest.mark.parametrize("path", ["/", "/auth/login", "/auth/register", "/healthz", "/does-not-exist",
                                  "/api/v1/openapi.json", "/static/css/app.css"])
def test_security_headers_on_every_response(client, path):
    with client.get(path) as response:
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_signed_in_pages_are_not_stored(client, auth, make_user):
    make_user("ada@example.com")
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    for path in ("/account", "/account/profile", "/"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    make_user("ada@example.com")
    response = post_form(client, "/auth/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_and_hsts_is_sent(app_config, mailbox):
    from app import create_app
    from config import ProductionConfig

    config = {**app_config, "SESSION_COOKIE_SECURE": ProductionConfig.SESSION_COOKIE_SECURE,
              "HSTS": ProductionConfig.HSTS}
    prod = create_app(config)
    response = prod.test_client().get("/auth/login")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    import importlib

    import config as config_module

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("HOMEOSTASIS_ENV", "production")
    reloaded = importlib.reload(config_module)
    try:
        from app import create_app

        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(reloaded.ProductionConfig)
    finally:
        monkeypatch.undo()
        importlib.reload(config_module)


def test_session_identifier_changes_at_login(client, make_user):
    make_user("ada@example.com")
    tokens = []
    for _ in range(2):
        post_form(client, "/auth/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
        with client.session_transaction() as session:
            tokens.append(session["sid"])
        post_form(client, "/auth/logout", {}, token_from="/")
    assert tokens[0] != tokens[1]


def test_pre_login_session_data_does_not_survive_login(client, make_user):
    make_user("ada@example.com")
    anonymous_token = csrf_token(client)
    post_form(client, "/auth/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    assert csrf_token(client, "/account") != anonymous_token


def test_logout_really_ends_the_session_even_for_a_copied_cookie(app, client, make_user):
    make_user("ada@example.com")
    post_form(client, "/auth/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    with client.session_transaction() as session:
        stolen = dict(session)
    post_form(client, "/auth/logout", {}, token_from="/")
    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(stolen)
    response = thief.get("/account")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_idle_session_expires_after_30_minutes(client, make_user):
    make_user("ada@example.com")
    with time_machine.travel("2026-11-29 09:00:00+00:00", tick=False) as traveller:
        post_form(client, "/auth/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
        traveller.shift(29 * 60)
        assert client.get("/account").status_code == 200  # activity resets the idle clock
        traveller.shift(29 * 60)
        assert client.get("/account").status_code == 200
        traveller.shift(31 * 60)
        response = client.get("/account")
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "signed out after 30 minutes without activity" in page
    assert db.session.scalar(select(UserSession.revoked_at)) is not None


def test_session_ends_after_12_hours_even_when_active(client, make_user):
    make_user("ada@example.com")
    with time_machine.travel("2026-11-29 06:00:00+00:00", tick=False) as traveller:
        post_form(client, "/auth/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
        for _ in range(29):  # active every 25 minutes, for just over 12 hours
            traveller.shift(25 * 60)
            client.get("/account")
        assert client.get("/account").status_code == 302


def test_changing_password_signs_out_other_devices(app, client, auth, make_user):
    make_user("ada@example.com")
    other = app.test_client()
    post_form(other, "/auth/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    post_form(client, "/account/password", {"current_password": DEFAULT_PASSWORD,
                                            "password": "a different passphrase"})
    assert client.get("/account").status_code == 200
    assert other.get("/account").status_code == 302


def test_a_new_secret_key_signs_everyone_out(app, client, auth, make_user):
    make_user("ada@example.com")
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    assert client.get("/account").status_code == 200
    app.secret_key = "rotated-after-a-leak"  # the session signer is kept per key, never across keys
    response = client.get("/account")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_an_old_key_kept_as_a_fallback_still_reads_sessions(app, client, auth, make_user):
    make_user("ada@example.com")
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    app.config["SECRET_KEY_FALLBACKS"] = [app.secret_key]
    app.secret_key = "the-new-key"
    assert client.get("/account").status_code == 200


def test_a_page_that_sets_the_session_cookie_is_never_stored(client):
    # An anonymous page with a form puts a CSRF token in a new session: if a cache kept that response,
    # the next visitor would receive the same session cookie.
    response = client.get("/auth/login")
    assert "Set-Cookie" in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_the_database_keeps_only_a_digest_of_the_session_token(app, client, make_user):
    """Issue 12: a copy of user_sessions (a backup, a dump) must not hold a cookie that signs anyone in."""
    import hashlib

    make_user("ada@example.com")
    post_form(client, "/auth/login", {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    token = app.session_interface.get_signing_serializer(app).loads(cookie.value)["sid"]
    stored = db.session.scalars(select(UserSession.token)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in stored
    # The stored value pasted into a cookie signs nobody in.
    forged = app.test_client()
    with forged.session_transaction() as session:
        session.update({"sid": stored[0], "_user_id": str(find_user_id(app, "ada@example.com"))})
    assert forged.get("/account").status_code == 302
    assert client.get("/account").status_code == 200  # the real cookie still works


def find_user_id(app, email):
    from app.models.accounts import find_user_by_email

    return find_user_by_email(email).id
