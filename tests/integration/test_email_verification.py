"""Issue 20, point 5: the mail server cannot be aimed at anyone. A new account proves its address with a
code emailed at sign-up before it can book or open health-data pages; every action that emails someone
is rate limited (per IP address, per account, per typed address)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models.accounts import User
from app.models.notify import OutboxMessage
from app.models.waitlist import WAITING, WaitlistEntry
from tests.conftest import DEFAULT_PASSWORD
from tests.support.verification import emailed_code, register_and_verify, verify_email
from tests.support.web import csrf_token, post_form


def emails_to(address: str) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.to == address))


def book_api(client):
    return client.post("/api/v1/bookings", json={"type": "initial", "start": "2030-01-01T10:00:00Z"},
                       headers={"X-CSRFToken": csrf_token(client, "/account")})


def test_a_new_account_is_asked_for_the_emailed_code_and_cannot_book_until_then(client, auth, mailbox,
                                                                                make_practice):
    make_practice()
    response = auth.register("ada@example.com")
    assert response.status_code == 303 and response.headers["Location"].startswith("/auth/verify")
    assert "We emailed a 6-digit code to" in client.get("/auth/verify").get_data(as_text=True)
    code = emailed_code(mailbox, "ada@example.com")
    assert len(code) == 6

    refused = book_api(client)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "email_unverified"
    for page in ("/account/symptoms", "/account/lab-results", "/account/diary"):
        answer = client.get(page)
        assert answer.status_code == 303 and answer.headers["Location"].startswith("/auth/verify"), page
    assert post_form(client, "/book/initial/waitlist", {"first_day": "2030-01-01", "last_day": "2030-01-02"},
                     token_from="/account").headers["Location"].startswith("/auth/verify")

    assert verify_email(client, mailbox, "ada@example.com").status_code == 303
    assert db.session.scalar(select(User.email_verified_at)) is not None
    assert client.get("/account/symptoms").status_code == 200
    assert book_api(client).status_code != 403


def test_a_wrong_code_is_refused_and_five_wrong_ones_end_it(client, auth, mailbox):
    auth.register("ada@example.com")
    code = emailed_code(mailbox, "ada@example.com")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    first = post_form(client, "/auth/verify", {"code": wrong})
    assert first.status_code == 422 and "4 tries left" in first.get_data(as_text=True)
    statuses = [post_form(client, "/auth/verify", {"code": wrong}).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    late = post_form(client, "/auth/verify", {"code": code})  # even the right code: it is dead now
    assert late.status_code == 429 and "Ask for a new code" in late.get_data(as_text=True)
    assert db.session.scalar(select(User.email_verified_at)) is None

    post_form(client, "/auth/verify/resend", {}, token_from="/auth/verify")
    new_code = emailed_code(mailbox, "ada@example.com")
    assert post_form(client, "/auth/verify", {"code": new_code}).status_code == 303


def test_a_new_code_replaces_the_old_one(client, auth, mailbox):
    auth.register("ada@example.com")
    old = emailed_code(mailbox, "ada@example.com")
    mailbox.clear()
    post_form(client, "/auth/verify/resend", {}, token_from="/auth/verify")
    new = emailed_code(mailbox, "ada@example.com")
    if old != new:  # (one chance in a million that the two random codes are the same)
        assert post_form(client, "/auth/verify", {"code": old}).status_code == 422
    assert post_form(client, "/auth/verify", {"code": new}).status_code == 303


def test_a_code_expires_after_30_minutes(client, auth, mailbox):
    with time_machine.travel("2026-12-01 12:00Z", tick=True) as clock:
        auth.register("ada@example.com")
        code = emailed_code(mailbox, "ada@example.com")
        clock.shift(timedelta(minutes=20))
        client.get("/auth/verify")  # still signed in (30 minutes idle ends a session)
        clock.shift(timedelta(minutes=11))
        answer = post_form(client, "/auth/verify", {"code": code})
        assert answer.status_code == 422 and "expired" in answer.get_data(as_text=True)


def test_the_code_is_stored_only_as_a_keyed_hash(client, auth, mailbox):
    from app.models.accounts import VerificationCode

    auth.register("ada@example.com")
    code = emailed_code(mailbox, "ada@example.com")
    stored = db.session.scalar(select(VerificationCode.code_hash))
    assert code not in stored and len(stored) == 64


def test_the_shared_helper_signs_up_and_verifies(client, auth, mailbox):
    assert register_and_verify(auth, mailbox, "bea@example.com").status_code == 303
    assert client.get("/account/symptoms").status_code == 200


# --- limits on everything that emails someone --------------------------------------------------------

def test_waitlist_join_and_leave_cannot_mail_an_address_without_end(client, auth, make_practice, make_user):
    make_practice()
    make_user("victim@example.com")  # an account whose address is hers; someone signed in as her plays with it
    auth.login("victim@example.com", DEFAULT_PASSWORD)
    first, last = (datetime.now(timezone.utc).date() + timedelta(days=n) for n in (3, 4))
    statuses = []
    for _ in range(8):  # join (an email each time), leave, join again...
        joined = post_form(client, "/book/initial/waitlist", {"first_day": first.isoformat(),
                                                              "last_day": last.isoformat()}, token_from="/account")
        statuses.append(joined.status_code)
        for entry_id in db.session.scalars(select(WaitlistEntry.id).where(WaitlistEntry.status == WAITING)):
            post_form(client, f"/account/waitlist/{entry_id}/leave", {}, token_from="/account/waitlist")
    assert statuses == [303] * 5 + [429] * 3  # MAIL_RATE_LIMIT_ACCOUNT: 5 a minute
    assert emails_to("victim@example.com") == 5


def test_forgot_password_mails_one_address_at_most_three_times_a_minute(client, make_user):
    make_user("ada@example.com")
    statuses = [post_form(client, "/auth/forgot-password", {"email": "ada@example.com"},
                          environ_base={"REMOTE_ADDR": f"198.51.100.{n}"}).status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert emails_to("ada@example.com") == 3


def test_one_address_cannot_send_mail_to_many_typed_addresses(client, make_user):
    for n in range(12):
        make_user(f"person{n}@example.com")
    statuses = [post_form(client, "/auth/forgot-password", {"email": f"person{n}@example.com"}).status_code
                for n in range(12)]
    assert statuses == [200] * 10 + [429] * 2  # MAIL_RATE_LIMIT_IP: 10 a minute


def test_resending_codes_is_limited(client, auth, mailbox):
    auth.register("ada@example.com")
    statuses = [post_form(client, "/auth/verify/resend", {}, token_from="/auth/verify").status_code
                for _ in range(6)]
    assert statuses == [303] * 5 + [429]  # MAIL_RATE_LIMIT_ACCOUNT: 5 a minute
    assert emails_to("ada@example.com") == 1 + 5
