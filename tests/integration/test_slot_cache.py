"""The per-process answer behind GET /api/v1/slots (app/scheduling/cache.py): exact to this
process's own changes at once, and at most SLOTS_REVALIDATE_SECONDS behind a change made by another
worker, which is modelled here as a second app over the same database with its own caches."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models.accounts import User
from app.models.scheduling import Appointment, ConsultationType
from app.scheduling import cache
from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import csrf_token

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
THURSDAY_10 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in New York
PATH = "/api/v1/slots?type=initial&start=2026-12-03&end=2026-12-03&tz=UTC"


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def clock(monkeypatch):
    """The revalidation clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(cache, "monotonic", lambda: now[0])
    return now


def open_starts(client, path: str = PATH) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [slot["start"] for slot in response.get_json()["slots"]]


def book_elsewhere(app_config, practice, patient_email: str) -> None:
    """Another gunicorn worker (its own app and caches, the same database) books Thursday 10:00."""
    _, profile, ct = practice
    # Ids are read here, in this app: inside the other app's context, this app's expired objects would
    # reload through the other app's engine.
    practitioner_id, type_id = profile.id, ct.id
    other = create_app(app_config)
    with other.app_context():
        patient = db.session.scalar(select(User).where(User.email == patient_email))
        db.session.add(Appointment(
            patient_id=patient.id, practitioner_id=practitioner_id, consultation_type_id=type_id, starts_at=THURSDAY_10,
            ends_at=THURSDAY_10 + timedelta(hours=1), blocked_start=THURSDAY_10,
            blocked_end=THURSDAY_10 + timedelta(hours=1), status="confirmed", payment_status="paid",
            price_minor=1, currency="usd", patient_timezone="UTC"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_a_booking_made_in_this_process_leaves_the_next_answer_at_once(client, auth, practice, make_user, frozen,
                                                                      clock):
    make_user("ada@example.com", timezone="Europe/London")
    assert THURSDAY_10.isoformat() in open_starts(client)
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    token = csrf_token(client, "/account")
    booked = client.post("/api/v1/bookings", json={"type": "initial", "start": THURSDAY_10.isoformat(),
                                                    "safety_screen": {"all_no": True}}, headers={"X-CSRFToken": token})
    assert booked.status_code == 201
    assert THURSDAY_10.isoformat() not in open_starts(client)  # the clock has not moved


def test_another_workers_booking_shows_here_within_the_revalidation_interval(app, app_config, client, practice,
                                                                           make_user, frozen, clock):
    make_user("bea@example.com")
    assert THURSDAY_10.isoformat() in open_starts(client)
    book_elsewhere(app_config, practice, "bea@example.com")
    clock[0] += app.config["SLOTS_REVALIDATE_SECONDS"] / 2
    assert THURSDAY_10.isoformat() in open_starts(client), "inside the interval this worker has not looked again"
    clock[0] += app.config["SLOTS_REVALIDATE_SECONDS"] / 2
    assert THURSDAY_10.isoformat() not in open_starts(client)


def test_a_shown_time_taken_elsewhere_is_refused_with_409_not_double_booked(app, app_config, client, auth, practice,
                                                                          make_user, frozen, clock):
    make_user("ada@example.com")
    make_user("bea@example.com")
    assert THURSDAY_10.isoformat() in open_starts(client)
    book_elsewhere(app_config, practice, "bea@example.com")
    assert THURSDAY_10.isoformat() in open_starts(client)  # still shown here, for at most the interval
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    token = csrf_token(client, "/account")
    refused = client.post("/api/v1/bookings", json={"type": "initial", "start": THURSDAY_10.isoformat(),
                                                    "safety_screen": {"all_no": True}}, headers={"X-CSRFToken": token})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["nearest"]


def test_a_type_switched_off_in_this_process_is_unknown_at_once(client, practice, frozen, clock):
    _, _, ct = practice
    assert open_starts(client)
    ct.active = False
    db.session.commit()
    response = client.get(PATH)
    assert response.status_code == 422
    assert response.get_json()["error"]["param"] == "type"


def test_a_new_type_made_by_another_worker_is_offered_at_once(app_config, client, practice, frozen, clock):
    _, profile, _ = practice
    practitioner_id = profile.id  # read in this app (see book_elsewhere)
    assert client.get(PATH.replace("initial", "follow-up")).status_code == 422
    other = create_app(app_config)
    with other.app_context():
        db.session.add(ConsultationType(practitioner_id=practitioner_id, slug="follow-up", name="Follow-up",
                                        duration_minutes=30, price_minor=10000, currency="usd",
                                        location="https://meet.example.com/room"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    assert open_starts(client, PATH.replace("initial", "follow-up"))  # unknown slugs are never remembered


def test_notice_is_applied_to_the_cached_answer_as_time_passes(client, practice, frozen, clock):
    # 24 h notice: at Wednesday 14:59 UTC Thursday 10:00 New York (15:00 UTC) is still bookable...
    frozen.move_to(THURSDAY_10 - timedelta(hours=24, minutes=1))
    assert THURSDAY_10.isoformat() in open_starts(client)
    # ...two minutes later the same cached answer no longer offers it.
    frozen.move_to(THURSDAY_10 - timedelta(hours=23, minutes=59))
    assert THURSDAY_10.isoformat() not in open_starts(client)


def test_rendered_answers_stay_within_their_memory_budget(app, client, practice, frozen, clock, monkeypatch):
    monkeypatch.setattr(cache, "BODY_BYTES", 20_000)
    day = datetime(2026, 12, 2)
    sizes = []
    for offset in range(40):  # forty different windows, as a scraper walking the calendar would ask
        start = (day + timedelta(days=offset)).date()
        response = client.get(f"/api/v1/slots?type=initial&start={start}&end={start + timedelta(days=6)}&tz=UTC")
        assert response.status_code == 200
        sizes.append(len(response.data))
    store = app.extensions["slot_bodies"]
    assert store["bytes"] == sum(len(b) for b in store["entries"].values())
    assert store["bytes"] <= 20_000
    assert len(store["entries"]) < 40
    # an evicted answer is rendered again, the same as before
    again = client.get(f"/api/v1/slots?type=initial&start={day.date()}&end={(day + timedelta(days=6)).date()}&tz=UTC")
    assert len(again.data) == sizes[0]


def test_slots_are_public_for_a_second_with_a_strong_etag(client, practice, frozen, clock):
    response = client.get(PATH)
    assert response.status_code == 200
    assert response.cache_control.public and response.cache_control.max_age == 1
    etag, weak = response.get_etag()
    assert etag and not weak


def test_a_client_holding_the_current_answer_gets_a_bodiless_304(client, practice, frozen, clock):
    etag = client.get(PATH).get_etag()[0]
    again = client.get(PATH, headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.get_etag()[0] == etag


def test_the_same_answer_in_another_query_order_has_the_same_etag(client, practice, frozen, clock):
    reordered = "/api/v1/slots?tz=UTC&end=2026-12-03&type=initial&start=2026-12-03"
    assert client.get(PATH).get_etag()[0] == client.get(reordered).get_etag()[0]
    other_zone = client.get(PATH.replace("tz=UTC", "tz=Europe/London"))
    assert other_zone.get_etag()[0] != client.get(PATH).get_etag()[0]


def test_a_booking_changes_the_etag_so_the_old_copy_is_not_revalidated(client, auth, practice, make_user,
                                                                        frozen, clock):
    etag = client.get(PATH).get_etag()[0]
    make_user("pat@example.com", timezone="Europe/London")
    auth.login("pat@example.com", DEFAULT_PASSWORD)
    booked = client.post("/api/v1/bookings", json={"type": "initial", "start": THURSDAY_10.isoformat(),
                                                    "safety_screen": {"all_no": True}},
                         headers={"X-CSRFToken": csrf_token(client, "/account")})
    assert booked.status_code == 201, booked.get_data(as_text=True)
    again = client.get(PATH, headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 200 and again.get_etag()[0] != etag
    assert THURSDAY_10.isoformat() not in [slot["start"] for slot in again.get_json()["slots"]]
