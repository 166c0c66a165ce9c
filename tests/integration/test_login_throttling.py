"""Issue 20, point 4: wrong passwords for her email must not lock the owner out. Throttling per IP and per
account with growing waits; a browser that signed in to the account before (a signed device cookie,
OWASP) is not held by the account's lockout."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.web.devices import COOKIE
from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import csrf_token

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


pytestmark = pytest.mark.frozen_at(NOW, tick=True)


def attempt(client, password: str, email: str = "owner@example.com", ip: str = "127.0.0.1") -> int:
    token = csrf_token(client)
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": ip}).status_code


def test_an_attackers_wrong_passwords_do_not_lock_out_the_owners_device(app, make_user, frozen):
    make_user("owner@example.com")
    owner, attacker, stranger = app.test_client(), app.test_client(), app.test_client()
    assert attempt(owner, DEFAULT_PASSWORD) == 303  # she signed in on this device before
    assert owner.get_cookie(COOKIE, path="/auth/") is not None
    owner.post("/auth/logout", data={"csrf_token": csrf_token(owner, "/")})

    statuses = [attempt(attacker, f"guess number {n}", ip="198.51.100.7") for n in range(6)]
    assert statuses == [401] * 5 + [429]
    # The account is locked for browsers she never signed in on, right password or not...
    assert attempt(stranger, DEFAULT_PASSWORD, ip="198.51.100.8") == 429
    # ...but not for her own device.
    assert attempt(owner, DEFAULT_PASSWORD) == 303


def test_a_device_cookie_for_another_account_does_not_help(app, make_user, frozen):
    make_user("owner@example.com")
    make_user("attacker@example.com")
    attacker = app.test_client()
    assert attempt(attacker, DEFAULT_PASSWORD, email="attacker@example.com") == 303
    attacker.post("/auth/logout", data={"csrf_token": csrf_token(attacker, "/")})
    statuses = [attempt(attacker, f"guess number {n}") for n in range(6)]
    assert statuses == [401] * 5 + [429]


def test_a_forged_device_cookie_is_not_trusted(app, make_user, frozen):
    owner_user = make_user("owner@example.com")
    attacker = app.test_client()
    attacker.set_cookie(COOKIE, f"[{owner_user.id}, \"nonce\"]", path="/auth/")
    statuses = [attempt(attacker, f"guess number {n}") for n in range(6)]
    assert statuses == [401] * 5 + [429]


def test_the_waits_grow_a_minute_then_an_hour(app, make_user, frozen):
    make_user("owner@example.com")
    attacker = app.test_client()
    assert [attempt(attacker, f"guess {n} first") for n in range(6)] == [401] * 5 + [429]
    frozen.shift(timedelta(seconds=61))
    assert [attempt(attacker, f"guess {n} second") for n in range(6)] == [401] * 5 + [429]
    frozen.shift(timedelta(seconds=61))  # a minute is no longer enough: ten in an hour
    assert attempt(attacker, "guess after two minutes") == 429
    frozen.shift(timedelta(hours=1))
    assert attempt(attacker, "guess after an hour") == 401


def test_one_address_guessing_many_accounts_is_slowed_down(app, make_user, frozen):
    for n in range(12):
        make_user(f"patient{n}@example.com")
    attacker = app.test_client()
    statuses = [attempt(attacker, "a common password", email=f"patient{n}@example.com", ip="198.51.100.7")
                for n in range(12)]
    assert statuses == [401] * 10 + [429, 429]
    # Someone else, elsewhere, signs in as usual.
    assert attempt(app.test_client(), DEFAULT_PASSWORD, email="patient11@example.com", ip="203.0.113.5") == 303
