"""Issue 20, point 1: one account must not be able to hold every open time for free. A per-patient cap
on unpaid holds (HOLDS_PER_TYPE, HOLDS_TOTAL), rate limits on asking for bookings (per account and per
IP address), answered 409/429 with a clear message on the API and on the booking pages."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.intake.red_flags import QUESTIONS
from app.models.scheduling import PENDING_PAYMENT, Appointment, ConsultationType
from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import csrf_token, post_form

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = date(2026, 12, 3)  # a Thursday, 09:00-17:00 in New York: eight 60-minute times


# Payments on (fake Stripe): a booking is a 35-minute hold with a Checkout Session.
pytestmark = [pytest.mark.frozen_at(NOW, tick=True), pytest.mark.payments]


@pytest.fixture
def practice(make_practice):
    user, profile, initial = make_practice(granularity_minutes=60)
    for slug, name in (("follow-up", "Follow-up consultation"), ("review", "Medication review")):
        db.session.add(ConsultationType(practitioner_id=profile.id, slug=slug, name=name, duration_minutes=60,
                                        granularity_minutes=60, price_minor=15000, currency="usd",
                                        location="https://meet.example.com/r"))
    db.session.commit()
    return profile


@pytest.fixture
def squatter(make_user, auth, frozen):
    user = make_user("fresh@example.com")
    auth.login("fresh@example.com", DEFAULT_PASSWORD)
    return user


def open_times(client, slug: str = "initial") -> list[str]:
    response = client.get(f"/api/v1/slots?type={slug}&start={DAY}&end={DAY}&tz=UTC")
    assert response.status_code == 200
    return [slot["start"] for slot in response.get_json()["slots"]]


def post_booking(client, slug: str, start: str, **kwargs):
    token = csrf_token(client, "/account")
    return client.post("/api/v1/bookings", json={"type": slug, "start": start, "safety_screen": {"all_no": True}},
                       headers={"X-CSRFToken": token}, **kwargs)


def held() -> int:
    return db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.status == PENDING_PAYMENT))


def test_the_squatting_script_ends_with_her_extra_holds_refused_and_the_other_times_open(
        client, practice, squatter):
    times = open_times(client)
    assert len(times) == 8
    # The script: one fresh account POSTs a booking for every open time of the day, as fast as it can,
    # across the consultation types.
    slugs = ["initial", "follow-up", "initial", "review"] + ["review"] * (len(times) - 4)
    answers = [post_booking(client, slug, start) for slug, start in zip(slugs, times, strict=False)]
    statuses = [answer.status_code for answer in answers]

    assert statuses[:2] == [201, 201]
    assert all(answer.get_json()["payment"]["checkout_url"] for answer in answers[:2])
    first_extra, second_extra = answers[2].get_json()["error"], answers[3].get_json()["error"]
    assert statuses[2:4] == [409, 409]
    assert first_extra["code"] == second_extra["code"] == "hold_limit"
    assert "already have a time held for initial consultation" in first_extra["message"]
    assert "2 times held waiting for payment, the most at once" in second_extra["message"]
    # The rest are refused: the cap first, then the per-account rate limit (5 a minute) with its own message.
    assert statuses[4] == 409 and set(statuses[5:]) == {429}
    limited = answers[5].get_json()["error"]
    assert limited["code"] == "rate_limited" and "too often" in limited["message"]

    assert held() == 2
    still_open = open_times(client)
    assert still_open == [t for t in times if t not in times[:2]] and len(still_open) == 6


def test_a_lapsed_hold_no_longer_counts(client, auth, practice, squatter, frozen):
    first, second, third = open_times(client)[:3]
    assert post_booking(client, "initial", first).status_code == 201
    assert post_booking(client, "initial", second).status_code == 409
    frozen.shift(timedelta(minutes=36))  # the first hold ran out unpaid (and her session went idle)
    auth.login("fresh@example.com", DEFAULT_PASSWORD)
    assert post_booking(client, "initial", third).status_code == 201


def test_the_cap_is_a_setting(app, client, practice, squatter):
    app.config.update(HOLDS_PER_TYPE=2, HOLDS_TOTAL=3)
    times = open_times(client)
    assert [post_booking(client, "initial", t).status_code for t in times[:3]] == [201, 201, 409]


def test_the_booking_page_refuses_an_extra_hold_with_409_and_says_why(client, practice, squatter):
    first, second = open_times(client)[:2]
    post_form(client, "/book/safety", {q.field: "no" for q in QUESTIONS})
    assert post_form(client, "/book/initial/confirm", {"start": first, "tz": "UTC"},
                     token_from="/account").status_code == 303
    page = post_form(client, "/book/initial/confirm", {"start": second, "tz": "UTC"},
                     token_from="/account")
    assert page.status_code == 409
    assert "already have a time held for initial consultation" in page.get_data(as_text=True)
    assert second in open_times(client)


def test_one_account_is_limited_whatever_address_it_comes_from(client, practice, squatter, app):
    times = open_times(client)
    # Each request from a new IP address: the per-account limit still applies (5 a minute).
    statuses = [post_booking(client, "initial", t, environ_base={"REMOTE_ADDR": f"203.0.113.{n}"}).status_code
                for n, t in enumerate(times[:7])]
    assert statuses[:5] == [201, 409, 409, 409, 409] and statuses[5:] == [429, 429]


def test_many_fresh_accounts_from_one_address_are_limited(app, practice, make_user, frozen):
    app.config.update(BOOKING_RATE_LIMIT_IP="3 per hour")
    times = open_times(app.test_client())
    statuses = []
    for n, start in enumerate(times[:4]):
        client = app.test_client()
        make_user(f"sock{n}@example.com")
        post_form(client, "/auth/login", {"email": f"sock{n}@example.com", "password": DEFAULT_PASSWORD})
        statuses.append(post_booking(client, "initial", start).status_code)
    assert statuses == [201, 201, 201, 429]
    assert held() == 3
