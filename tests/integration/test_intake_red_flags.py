"""The red-flag (anaphylaxis) screen on the booking path: it comes before any time is held, a "yes" stops
booking with emergency advice, and the answers are kept nowhere — not in the database, the session, the
logs or a URL."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from app.extensions import db
from app.intake import red_flags
from app.intake.red_flags import QUESTIONS
from app.models.scheduling import Appointment
from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import csrf_token, post_form

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
START = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
REVIEW = f"/book/initial/review?start={START.isoformat()}&tz=Europe/London"
ALL_NO = {q.field: "no" for q in QUESTIONS}
# What Flask-WTF and the login keep in the session; the screen may add only its "passed at" flag.
SESSION_PLUMBING = {"csrf_token", "_fresh", "_id", "_user_id", "sid", "_permanent", "_flashes"}


pytestmark = pytest.mark.frozen_at(NOW)


def session_of(app, client) -> dict:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return app.session_interface.get_signing_serializer(app).loads(cookie.value) if cookie else {}


def row_counts() -> dict[str, int]:
    db.session.commit()
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def confirm(client):
    return post_form(client, "/book/initial/confirm", {"start": START.isoformat(), "tz": "Europe/London"},
                     token_from="/account")


def appointments() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(Appointment))


def book_api(client, **body):
    token = csrf_token(client, "/account")
    return client.post("/api/v1/bookings", json={"type": "initial", "start": START.isoformat(), **body},
                       headers={"X-CSRFToken": token})


def test_choosing_a_consultation_leads_to_the_screen_before_any_times(client, practice):
    response = client.get("/book/initial?tz=Europe/London")
    assert response.status_code == 303
    assert response.headers["Location"] == "/book/safety?next=/book/initial?tz%3DEurope/London"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    for q in QUESTIONS:  # every sign is listed, under one question
        assert f"<li>{escape(q.text)}</li>" in page
    assert page.count("<legend>") == 1 and 'method="post"' in page


def test_all_no_returns_to_the_booking_and_keeps_only_a_passed_flag(app, client, practice, patient):
    response = post_form(client, "/book/safety", {**ALL_NO, "next": "/book/initial?tz=Europe/London"},
                         token_from="/book/safety")
    assert response.status_code == 303 and response.headers["Location"] == "/book/initial?tz=Europe/London"
    session = session_of(app, client)
    assert session["booking_intent"] == {"safety_screen_passed_at": int(NOW.timestamp())}
    assert set(session) - SESSION_PLUMBING == {"booking_intent"}
    assert client.get("/book/initial?tz=Europe/London").status_code == 200
    assert confirm(client).status_code == 303 and appointments() == 1


def test_a_yes_stops_booking_with_emergency_advice_and_stores_nothing(app, client, practice, patient, caplog):
    caplog.set_level(logging.DEBUG)
    post_form(client, "/book/safety", ALL_NO)  # an earlier pass no longer counts after a yes
    before = row_counts()
    response = post_form(client, "/book/safety", {**ALL_NO, "red_flag_breathing": "yes"})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    alert = page[page.index('role="alert"'):page.index("</div>", page.index('role="alert"'))]
    positions = [alert.index(escape(step)) for step in red_flags.EMERGENCY_STEPS]
    assert positions == sorted(positions)  # the auto-injector first, then the call, and so on
    assert "World Allergy Organization anaphylaxis guidance 2020" in page and "NHS: Anaphylaxis" in page
    assert "Resuscitation Council UK" in page
    assert 'role="alert"' in page
    assert row_counts() == before
    session = session_of(app, client)
    assert set(session) <= SESSION_PLUMBING
    assert "red_flag" not in repr(session) and "yes" not in session.values()
    assert "red_flag" not in caplog.text and "breathing" not in caplog.text

    assert confirm(client).headers["Location"].startswith("/book/safety?next=")
    assert appointments() == 0


@pytest.mark.parametrize("form", [{}, {"red_flag_throat": "no"}, {"screen": "maybe"}])
def test_an_unanswered_screen_is_asked_again_with_422(client, practice, form):
    response = post_form(client, "/book/safety", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.count(str(escape(red_flags.CHOOSE_ONE))) == 2  # summary and field
    assert 'aria-describedby="warning-signs screen-error"' in page


# Issue 21 point 4: one answer for the whole list ("None of these right now" / "Yes, at least one"), as NHS 111
# online asks; "yes" asks which, and the ticked signs route exactly as the per-question answers always have.
@pytest.mark.parametrize(("ticked", "outcome"), [
    (None, "booked"),  # "None of these right now"
    ((), "tick one"),
    (("throat",), "emergency"),
    (("faint",), "emergency"),
    (("hives", "gut"), "emergency"),  # skin with severe gut signs: WAO 2020 criterion 1
    (("chest_pain",), "chest pain"),
    (("chest_pain", "hives"), "emergency"),  # chest pain with a skin sign: adrenaline first
    (("hives",), "watch"),
    (("doom",), "watch"),
    (("recent_reaction",), "recent"),
])
def test_one_answer_for_the_list_then_which_routes_as_before(client, practice, patient, ticked, outcome):
    screen = client.get("/book/safety").get_data(as_text=True)
    assert escape(red_flags.NONE_ANSWER) in screen and escape(red_flags.SOME_ANSWER) in screen
    if ticked is None:
        response = post_form(client, "/book/safety", {"screen": "none", "next": "/book/initial"})
    else:
        which = post_form(client, "/book/safety", {"screen": "some"})
        assert which.status_code == 200 and escape(red_flags.WHICH_PROMPT) in which.get_data(as_text=True)
        response = post_form(client, "/book/safety", {"step": "which", **{f"red_flag_{k}": "yes" for k in ticked}})
    page = response.get_data(as_text=True)
    found = {"booked": response.status_code == 303 and response.headers["Location"] == "/book/initial",
             "tick one": response.status_code == 422 and str(escape(red_flags.TICK_ONE)) in page,
             "emergency": "<title>Get emergency help now" in page and red_flags.EMERGENCY_TITLE in page,
             "chest pain": "<title>Get emergency help now" in page and red_flags.CHEST_PAIN_TITLE in page,
             "watch": red_flags.WATCH_TITLE in page,
             "recent": red_flags.RECENT_TITLE in page}
    assert [name for name, seen in found.items() if seen] == [outcome]


def test_confirming_without_the_screen_holds_nothing_and_sends_the_patient_to_it(client, practice, patient):
    response = confirm(client)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/book/safety?next=/book/initial/review")
    assert appointments() == 0


def test_a_screen_passed_more_than_two_hours_ago_must_be_answered_again(client, auth, practice, patient, frozen):
    post_form(client, "/book/safety", ALL_NO)
    frozen.move_to(NOW + timedelta(hours=2, minutes=1))
    auth.login("ada@example.com", DEFAULT_PASSWORD)  # the screen's flag survives logging in
    assert confirm(client).headers["Location"].startswith("/book/safety")
    assert appointments() == 0


def test_the_screen_passed_before_logging_in_still_counts_after(client, auth, practice, make_user, frozen):
    make_user("ada@example.com")
    post_form(client, "/book/safety", ALL_NO)
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    assert confirm(client).status_code == 303 and appointments() == 1


@pytest.mark.parametrize(("body", "code"), [
    ({}, "safety_screen_required"),
    ({"safety_screen": "no"}, "safety_screen_required"),
    ({"safety_screen": {"throat": False}}, "safety_screen_required"),
    ({"safety_screen": {"all_no": False}}, "emergency"),
    ({"safety_screen": {**{q.key: False for q in QUESTIONS}, "chest_pain": True}}, "emergency"),
])
def test_the_api_refuses_a_booking_without_a_clear_screen(client, practice, patient, body, code):
    response = book_api(client, **body)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == code
    assert appointments() == 0


def test_the_api_gives_emergency_advice_for_a_yes(client, practice, patient):
    error = book_api(client, safety_screen={"breathing": True}).get_json()["error"]
    assert error["code"] == "emergency"
    assert error["advice"] == list(red_flags.EMERGENCY_STEPS)
    assert error["advice"][0].startswith("Use your adrenaline (epinephrine) auto-injector now, without delay")


def test_the_api_asks_for_acknowledged_advice_on_a_single_sign(client, practice, patient):
    screen = {**{q.key: False for q in QUESTIONS}, "doom": True}
    error = book_api(client, safety_screen=screen).get_json()["error"]
    assert error["code"] == "watch" and '"acknowledged": "watch"' in error["message"]
    assert appointments() == 0
    assert book_api(client, safety_screen={**screen, "acknowledged": "watch"}).status_code == 201


@pytest.mark.parametrize("screen", [{"all_no": True}, {q.key: False for q in QUESTIONS}])
def test_the_api_books_when_every_answer_is_no(client, practice, patient, screen):
    assert book_api(client, safety_screen=screen).status_code == 201


def test_the_screen_page_says_what_it_is_based_on_and_is_posted_not_linked(client, practice):
    page = client.get("/book/safety").get_data(as_text=True)
    assert "World Allergy Organization anaphylaxis guidance 2020" in page and "NHS" in page
    assert "red_flag_throat=" not in page  # answers never travel in a link


def test_chest_pain_alone_calls_for_help_without_the_auto_injector_step(client, practice, patient):
    page = post_form(client, "/book/safety", {**ALL_NO, "red_flag_chest_pain": "yes"}).get_data(as_text=True)
    alert = page[page.index('role="alert"'):page.index("</div>", page.index('role="alert"'))]
    assert escape(red_flags.CHEST_PAIN_TITLE) in alert
    assert escape(red_flags.CHEST_PAIN_STEPS[0]) in alert
    assert escape(red_flags.EMERGENCY_STEPS[0]) not in alert
    assert "Lie down while you wait, unless breathing is hard" in alert and "Sit down" not in alert
    assert confirm(client).headers["Location"].startswith("/book/safety")


@pytest.mark.parametrize("other", ["hives", "gut", "doom"])
def test_chest_pain_with_a_skin_gut_or_dread_sign_gets_adrenaline_first(client, practice, patient, other):
    """Issue 23: hives + chest pain routed to "sit down and rest" with no auto-injector step."""
    page = post_form(client, "/book/safety", {**ALL_NO, "red_flag_chest_pain": "yes",
                                              f"red_flag_{other}": "yes"}).get_data(as_text=True)
    alert = page[page.index('role="alert"'):page.index("</div>", page.index('role="alert"'))]
    assert escape(red_flags.EMERGENCY_TITLE) in alert
    positions = [alert.index(escape(step)) for step in red_flags.EMERGENCY_STEPS]
    assert positions == sorted(positions)
    assert escape(red_flags.CHEST_PAIN_TITLE) not in alert
    assert confirm(client).headers["Location"].startswith("/book/safety") and appointments() == 0


@pytest.mark.parametrize("sign", ["hives", "gut", "doom"])
def test_a_single_chronic_sign_shows_what_to_watch_for_and_lets_her_book(app, client, practice, patient, sign):
    answers = {**ALL_NO, f"red_flag_{sign}": "yes"}
    response = post_form(client, "/book/safety", answers)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert escape(red_flags.WATCH_TITLE) in page and escape(red_flags.EMERGENCY_TITLE) in page
    assert "This may be anaphylaxis: get emergency help now</h1>" not in page
    assert set(session_of(app, client)) <= SESSION_PLUMBING  # nothing kept while she reads
    assert confirm(client).headers["Location"].startswith("/book/safety")
    response = post_form(client, "/book/safety", {**answers, "acknowledged": "watch"})
    assert response.status_code == 303
    assert confirm(client).status_code == 303 and appointments() == 1


def test_a_reaction_in_the_last_day_needs_a_check_up_confirmed_before_booking(client, practice, patient):
    answers = {**ALL_NO, "red_flag_recent_reaction": "yes"}
    page = post_form(client, "/book/safety", answers).get_data(as_text=True)
    assert escape(red_flags.RECENT_TITLE) in page and "biphasic" in page
    refused = post_form(client, "/book/safety", {**answers, "acknowledged": "recent_reaction"})
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.get_data(as_text=True)
    assert confirm(client).headers["Location"].startswith("/book/safety") and appointments() == 0
    passed = post_form(client, "/book/safety", {**answers, "acknowledged": "recent_reaction", "checked_since": "yes"})
    assert passed.status_code == 303
    assert confirm(client).status_code == 303 and appointments() == 1


def test_the_screen_asks_about_a_change_not_about_usual_symptoms(client, practice):
    page = client.get("/book/safety").get_data(as_text=True)
    assert str(escape("new, sudden, or much worse than usual; answer “no” if you have it most days")) in page
    assert escape(red_flags.RECENT_QUESTION.text) in page


def _fieldset(page: str, key: str) -> str:
    """The checkbox of one sign on the "which" page, with its hint."""
    start = page.index(f'id="red_flag_{key}"')
    return page[start:page.index('<div class="checkbox">', start) if key != QUESTIONS[-1].key else None]


@pytest.mark.parametrize(("key", "hint"), [
    # Issue 23 point 8: "answer no for your usual symptoms" must not cover airway or circulation signs.
    ("throat", "Answer “yes” if you have this now"),
    ("breathing", "Answer “yes” if you have this now"),
    ("voice", "Answer “yes” if you have this now"),
    ("faint", "Answer “yes” if you have this now"),
    ("hives", "answer “no” if you have it most days at its usual level"),
    ("gut", "answer “no” if you have it most days at its usual level"),
    ("doom", "answer “no” if you have it most days at its usual level"),
    ("chest_pain", "different from or worse than chest pain a doctor has already checked"),
])
def test_each_question_says_how_to_answer_it(client, practice, key, hint):
    screen = client.get("/book/safety").get_data(as_text=True)  # the list, grouped under how to answer
    group = screen[screen.index(str(escape(hint))):]
    assert str(escape(next(q.text for q in QUESTIONS if q.key == key))) in group[:group.index("</ul>")]
    fieldset = _fieldset(post_form(client, "/book/safety", {"screen": "some"}).get_data(as_text=True), key)
    assert escape(hint) in fieldset
    assert f'aria-describedby="red_flag_{key}-hint"' in fieldset
    if key in ("throat", "breathing", "voice", "faint"):
        assert "usual level" not in fieldset


@pytest.mark.parametrize("sign", [
    # The NHS anaphylaxis page's signs (issue 23, low): each is on the screen and in the warning signs.
    "a cough that will not stop", "suddenly feeling very sleepy", "blue, grey or pale skin or lips"])
def test_the_screen_asks_the_nhs_signs(client, practice, patient, sign):
    assert sign in client.get("/book/safety").get_data(as_text=True)
    page = post_form(client, "/book/safety", {**ALL_NO, "red_flag_doom": "yes"}).get_data(as_text=True)
    warning = page[page.index("<h2>Warning signs</h2>"):]
    assert sign in warning[:warning.index("</ul>")]


@pytest.mark.parametrize(("line", "present"), [
    # Issue 23 point 9: a severe reaction treated without adrenaline is told to be seen today, and the
    # warning signs the advice refers to are listed on the page.
    ("If you had a severe reaction without using adrenaline and no one has examined you since, contact a "
     "doctor or NHS 111 today.", True),
    ("call the emergency number now: everyone who needs adrenaline should be seen in hospital", True),
    ("rarely up to 3 days later", True),
    ("If any of the warning signs listed on this page comes back", True),
])
def test_the_recent_reaction_page_says_to_be_seen_and_lists_the_warning_signs(client, practice, patient, line,
                                                                               present):
    page = post_form(client, "/book/safety", {**ALL_NO, "red_flag_recent_reaction": "yes"}).get_data(as_text=True)
    assert (str(escape(line)) in page) is present
    assert "<h2>Warning signs</h2>" in page
    for sign in red_flags.WARNING_SIGNS:
        assert str(escape(sign)) in page


def test_the_api_sends_the_warning_signs_its_recent_reaction_advice_refers_to(client, practice, patient):
    screen = {**{q.key: False for q in QUESTIONS}, "recent_reaction": True}
    error = book_api(client, safety_screen=screen).get_json()["error"]
    assert error["code"] == "recent_reaction"
    assert any("NHS 111 today" in step for step in error["advice"])
    assert error["warning_signs"] == list(red_flags.WARNING_SIGNS)
    assert appointments() == 0


def test_a_reaction_30_hours_ago_is_inside_the_question_window(client, practice):
    """Biphasic reactions can come back up to 72 hours later: the question covers 3 days, not 24 hours."""
    page = client.get("/book/safety").get_data(as_text=True)
    assert "In the last 3 days (72 hours), have you used an adrenaline" in page
    assert "In the last 24 hours" not in page and "In the last 3 days:" in page
