"""Registration, login, passwords and reset — as a patient would meet them."""
from __future__ import annotations

import re

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models.accounts import User
from tests.conftest import DEFAULT_PASSWORD
from tests.support.mailbox import text_of
from tests.support.verification import verify_email
from tests.support.web import post_form


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_register_creates_patient_signed_in_with_consent_recorded(client, auth, mailbox):
    response = auth.register("  Ada@Example.COM ", timezone="Australia/Lord_Howe")
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/verify"  # the emailed code first (issue 20)
    assert verify_email(client, mailbox, "ada@example.com").headers["Location"] == "/account"
    user = db.session.scalar(select(User))
    assert user.email == "ada@example.com"
    assert user.role == "patient"
    assert user.timezone == "Australia/Lord_Howe"
    assert user.health_data_consent_at is not None
    assert "Hello, Ada Patient" in client.get("/account").get_data(as_text=True)


def test_passwords_are_stored_only_as_argon2_hashes(auth):
    auth.register("ada@example.com", password="a long unusual passphrase")
    user = db.session.scalar(select(User))
    assert user.password_hash.startswith("$argon2id$")
    assert "a long unusual passphrase" not in user.password_hash


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password": "short1"}, "Use at least 10 characters"),
        ({"password": "password123"}, "too common"),
        ({"password": "qwertyuiop"}, "too common"),
        ({"password": "x" * 129}, "at most 128 characters"),
        ({"email": "not-an-email"}, "Enter an email address like name@example.com"),
        ({"full_name": ""}, "Enter your name"),
        ({"timezone": "Mars/Olympus_Mons"}, "Choose a time zone from the list"),
        ({"consent": False}, "explicit consent"),
    ],
)
def test_registration_refuses_bad_input_with_a_clear_message(auth, overrides, message):
    args = {"email": "ada@example.com", "password": DEFAULT_PASSWORD, "full_name": "Ada Patient",
            "timezone": "Europe/London", "consent": True}
    args.update(overrides)
    email = args.pop("email")
    response = auth.register(email, **args)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(User) == 0


def test_email_is_unique_case_insensitively(auth, make_user):
    make_user("ada@example.com")
    response = auth.register("ADA@example.com")
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert count(User) == 1


def test_login_and_logout(client, auth, make_user):
    make_user("ada@example.com")
    response = auth.login("ADA@example.com", DEFAULT_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    auth.logout()
    response = client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def test_wrong_password_and_unknown_email_get_the_same_answer(auth, make_user):
    make_user("ada@example.com")
    wrong = auth.login("ada@example.com", "not the password at all")
    unknown = auth.login("nobody@example.com", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "Email or password is incorrect." in wrong.get_data(as_text=True)
    strip = lambda html: re.sub(r'content="[^"]+"|value="[^"]*"', "", html)  # noqa: E731
    assert strip(wrong.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))


def test_practitioner_lands_on_the_practice_area(auth, make_user):
    make_user("dr@example.com", role="practitioner")
    response = auth.login("dr@example.com", DEFAULT_PASSWORD)
    assert response.headers["Location"] == "/practice"


def test_patient_cannot_enter_the_practice_area(client, auth, make_user):
    make_user("ada@example.com")
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    assert client.get("/practice").status_code == 403


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_unsafe_next_is_ignored(client, make_user, target):
    make_user("ada@example.com")
    response = post_form(client, f"/auth/login?next={target}",
                         {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/account"


def test_local_next_is_followed(client, make_user):
    make_user("ada@example.com")
    response = post_form(client, "/auth/login?next=/account/profile",
                         {"email": "ada@example.com", "password": DEFAULT_PASSWORD})
    assert response.headers["Location"] == "/account/profile"


def test_change_password_requires_the_current_one(client, auth, make_user):
    make_user("ada@example.com")
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    response = post_form(client, "/account/password", {"current_password": "wrong wrong wrong",
                                                       "password": "a brand new passphrase"})
    assert response.status_code == 422
    assert "current password is not correct" in response.get_data(as_text=True)
    response = post_form(client, "/account/password", {"current_password": DEFAULT_PASSWORD,
                                                       "password": "a brand new passphrase"})
    assert response.status_code == 303
    auth.logout()
    assert auth.login("ada@example.com", DEFAULT_PASSWORD).status_code == 401
    assert auth.login("ada@example.com", "a brand new passphrase").status_code == 303


def test_profile_changes_time_zone(client, auth, make_user):
    user = make_user("ada@example.com")
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    response = post_form(client, "/account/profile", {"full_name": "Ada L.", "timezone": "Asia/Kolkata"})
    assert response.status_code == 303
    db.session.refresh(user)
    assert (user.full_name, user.timezone) == ("Ada L.", "Asia/Kolkata")


def _reset_link(mailbox, email: str) -> str:
    messages = mailbox.wait_for(email)
    assert len(messages) == 1
    match = re.search(r"http://localhost(/auth/reset/\S+)", text_of(messages[0]))
    assert match, "reset email has no link"
    return match.group(1)


def test_forgot_password_emails_a_link_that_works_once(client, auth, make_user, mailbox):
    make_user("ada@example.com")
    response = post_form(client, "/auth/forgot-password", {"email": "ada@example.com"})
    assert response.status_code == 200
    link = _reset_link(mailbox, "ada@example.com")
    response = post_form(client, link, {"password": "my fresh new passphrase"})
    assert response.status_code == 303
    assert auth.login("ada@example.com", "my fresh new passphrase").status_code == 303
    auth.logout()
    again = post_form(client, link, {"password": "another new passphrase"}, token_from="/")
    assert again.status_code == 400
    assert "expired or was already used" in again.get_data(as_text=True)


def test_reset_link_expires_after_an_hour(client, make_user, mailbox):
    make_user("ada@example.com")
    with time_machine.travel("2026-11-29 10:00:00+00:00", tick=False) as traveller:
        post_form(client, "/auth/forgot-password", {"email": "ada@example.com"})
        link = _reset_link(mailbox, "ada@example.com")
        traveller.shift(3601)
        assert client.get(link).status_code == 400


def test_forgot_password_does_not_reveal_whether_an_account_exists(client, make_user, mailbox):
    make_user("ada@example.com")
    known = post_form(client, "/auth/forgot-password", {"email": "ada@example.com"})
    unknown = post_form(client, "/auth/forgot-password", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda html: re.sub(r'content="[^"]+"', "", html)  # noqa: E731
    assert strip(known.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))
    assert mailbox.wait_for("ada@example.com") and not mailbox.to("nobody@example.com")


def test_tampered_reset_token_is_refused(client):
    assert client.get("/auth/reset/not-a-real-token").status_code == 400
