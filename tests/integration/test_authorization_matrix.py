"""Who may open what: every route of the URL map, for an anonymous visitor, patient A, patient B and the
practitioner, with the real ids of A's records in every id parameter.

Each (endpoint, method) has a row in EXPECTED; a route without one fails the test, so a new route must be
classified before it ships. Outcomes:
  OK     GET: 200. POST: allowed (200, 201, 303, or 409/422 when the minimal data sent is refused after
         the access check). Never 400: every POST carries a valid CSRF token.
  LOGIN  a redirect to the login page.
  403 / 404 / 401  refused (a 404 for another patient's records: no probing).
  "→/path"   a redirect to /path ("→/path*": to a path starting with it).
Zero leaks: no response to B or to the anonymous visitor carries any of A's records (her name, email,
appointment note, intake answers, file name, payment, course progress, check-ins).
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable
from urllib.parse import urlsplit

import pytest

from app.clock import utcnow
from tests.support.fakestripe import FakeStripe
from tests.support.seeded import A_NOTE, SeededPractice, seed_two_patients, url_values
from tests.support.visitors import Visitor

OK, LOGIN, FORBIDDEN, MISSING, UNAUTHORIZED = "ok", "login", "403", "404", "401"
BAD_SIGNATURE = "bad_signature"  # the webhook's own 400 (no Stripe signature), never a CSRF failure
ALLOWED_POST = {200, 201, 303, 409, 422}
ROLES = ("anon", "a", "b", "p")
COURSE = "/courses/histamine-intolerance"


@dataclass(frozen=True)
class Row:
    anon: str
    a: str
    b: str
    p: str
    data: dict = field(default_factory=dict)  # form fields for a POST (the CSRF token is added)
    json: dict | None = None  # a JSON body instead (the token goes in X-CSRFToken)
    query: dict | Callable | None = None
    ends_session: bool = False


def public(**kw) -> Row:
    return Row(OK, OK, OK, OK, **kw)


def own_record(**kw) -> Row:
    """A's record on a patient's route: B gets 404, the practitioner's area is elsewhere (403)."""
    return Row(LOGIN, OK, MISSING, FORBIDDEN, **kw)


def own_pages(**kw) -> Row:
    """A patient's own list or form: each patient sees hers only."""
    return Row(LOGIN, OK, OK, FORBIDDEN, **kw)


def signed_in(**kw) -> Row:
    return Row(LOGIN, OK, OK, OK, **kw)


def practice(**kw) -> Row:
    return Row(LOGIN, FORBIDDEN, FORBIDDEN, OK, **kw)


def guests(**kw) -> Row:
    """Log in and register: a signed-in person is sent to her account."""
    return Row(OK, "→/account", "→/account", "→/account", **kw)


def _slots_query(s: SeededPractice) -> dict:
    today = utcnow().date()
    return {"type": s.initial_type.slug, "start": today.isoformat(), "end": (today + timedelta(days=30)).isoformat()}


EXPECTED: dict[tuple[str, str], Row] = {
    # --- public pages, files and the health check
    ("public.home", "GET"): public(),
    ("public.healthz", "GET"): public(),
    ("public.ready", "GET"): Row("503", "503", "503", "503"),  # the same for all: no worker has run here
    ("public.privacy_notice", "GET"): public(),
    ("public.practitioner_photo", "GET"): Row(MISSING, MISSING, MISSING, MISSING),  # public, but none uploaded
    ("static", "GET"): public(),
    ("billing.stripe_webhook", "POST"): Row(BAD_SIGNATURE, BAD_SIGNATURE, BAD_SIGNATURE, BAD_SIGNATURE,
                                            data={"type": "checkout.session.completed"}),
    # --- signing in
    ("auth.login", "GET"): guests(),
    ("auth.login", "POST"): guests(),
    ("auth.register", "GET"): guests(),
    ("auth.register", "POST"): guests(),
    ("auth.logout", "POST"): Row("→/", "→/", "→/", "→/", ends_session=True),
    ("auth.forgot_password", "GET"): public(),
    ("auth.forgot_password", "POST"): public(),
    # The reset link is a capability: whoever holds A's (unexpired) token may use it.
    ("auth.reset_password", "GET"): public(),
    ("auth.reset_password", "POST"): public(),
    # the code emailed at sign-up: a verified patient is sent on to her account
    ("verify.enter", "GET"): Row(LOGIN, "→/account", "→/account", FORBIDDEN),
    ("verify.enter", "POST"): Row(LOGIN, "→/account", "→/account", FORBIDDEN, data={"code": "000000"}),
    ("verify.resend", "POST"): Row(LOGIN, "→/auth/verify", "→/auth/verify", FORBIDDEN),
    # --- the patient's account
    ("account.home", "GET"): Row(LOGIN, OK, OK, "→/practice"),
    ("account.appointment", "GET"): own_record(),
    ("account.cancel", "POST"): own_record(),
    ("account.reschedule", "GET"): own_record(),
    ("account.reschedule", "POST"): own_record(),
    ("account.profile", "GET"): signed_in(),
    ("account.profile", "POST"): signed_in(),
    ("account.change_password", "GET"): signed_in(),
    ("account.change_password", "POST"): signed_in(),
    ("calendar_feed.appointment_ics", "GET"): own_record(),
    ("intake.overview", "GET"): own_record(),
    ("intake.step", "GET"): own_record(),
    ("intake.step", "POST"): own_record(),
    ("intake.symptoms", "GET"): own_pages(),
    ("intake.check_in", "GET"): own_pages(),
    ("intake.check_in", "POST"): own_pages(),
    ("intake.lab_results", "GET"): own_pages(),
    ("intake.upload_lab_result", "POST"): own_pages(),
    ("intake.lab_file", "GET"): own_record(),
    ("intake.delete_lab_file", "POST"): own_record(),
    # --- between visits: the diary, flares and medicines (A's records: B gets 404, never a glimpse)
    ("diary.home", "GET"): own_pages(),
    ("diary.exposure", "GET"): own_pages(),
    ("diary.exposure", "POST"): own_pages(),
    ("diary.symptoms", "GET"): own_pages(),
    ("diary.symptoms", "POST"): own_pages(),
    ("diary.edit", "GET"): own_record(),
    ("diary.edit", "POST"): own_record(),
    ("diary.set_reminder", "POST"): own_pages(),
    ("diary.start_flare", "POST"): own_pages(),
    ("diary.flare", "GET"): own_record(),
    ("diary.check_flare", "POST"): own_record(),
    ("diary.end_flare", "POST"): own_record(),
    ("diary.add_tryptase", "POST"): own_record(),
    ("diary.delete_flare", "GET"): own_record(),
    ("diary.delete_flare", "POST"): own_record(),  # unconfirmed: 422, nothing deleted
    ("diary.medicines", "GET"): own_pages(),
    ("diary.log_dose", "POST"): own_record(),
    ("diary.medicine_answers", "POST"): own_pages(),
    # --- booking
    ("booking.choose_type", "GET"): public(),
    ("booking.month", "GET"): public(),
    ("booking.day", "GET"): Row(*["→/book/*"] * 4),  # the old day page: the one screen on that day
    # Booking with name and email: a visitor's form (a signed-in patient is sent back to the review).
    ("book_email.details", "POST"): Row(OK, "→/book/*", "→/book/*", "→/book/*",
                                        data={"start": "2030-01-01T10:00:00Z"}),
    ("book_email.code", "GET"): Row(*["→/book/*"] * 4),  # nothing pending: back to the times
    ("book_email.code", "POST"): Row(*["→/book/*"] * 4),
    ("book_email.resend", "POST"): Row(*["→/book/*"] * 4),
    ("book_email.sign_in", "GET"): guests(),
    ("book_email.sign_in", "POST"): guests(),
    ("book_email.sign_in_code", "GET"): Row(*["→/book/sign-in"] * 4),  # nothing asked for yet
    ("book_email.sign_in_code", "POST"): Row(*["→/book/sign-in"] * 4),
    ("booking.review", "GET"): public(query=lambda s: {"start": s.appointment.starts_at.isoformat()}),
    ("booking.confirm", "POST"): Row(LOGIN, OK, OK, FORBIDDEN),
    ("safety.screen", "GET"): public(),
    ("safety.answer", "POST"): public(),
    ("booking.pay", "GET"): own_record(),  # A's hold waiting for payment
    ("booking.pay_now", "POST"): own_record(),
    ("booking.release", "POST"): own_record(),
    # --- payments
    ("billing.checkout_return", "GET"): Row(LOGIN, "→" + COURSE, MISSING, MISSING,
                                            query=lambda s: {"session_id": s.course_payment.checkout_session_id}),
    ("billing.checkout_cancelled", "GET"): Row(LOGIN, "→" + COURSE, MISSING, MISSING),  # A's course payment
    ("billing.payments", "GET"): practice(),
    # --- the course (A is enrolled and has finished it; B is not enrolled)
    ("courses.catalogue", "GET"): public(),
    ("courses.landing", "GET"): public(),
    ("courses.buy", "POST"): Row(LOGIN, OK, OK, FORBIDDEN),
    ("courses.learn", "GET"): Row(LOGIN, f"→{COURSE}/learn/*", "→" + COURSE, f"→{COURSE}/learn/*"),
    ("courses.lesson", "GET"): Row(LOGIN, OK, "→" + COURSE, OK),
    ("courses.answer_quiz", "POST"): Row(LOGIN, OK, "→" + COURSE, OK, data={"q1": "0"}),
    ("courses.complete", "POST"): Row(LOGIN, OK, FORBIDDEN, FORBIDDEN),
    ("courses.resource", "GET"): Row(LOGIN, OK, "→" + COURSE, OK),
    ("courses.certificate", "GET"): Row(LOGIN, OK, FORBIDDEN, FORBIDDEN),
    # --- the JSON API
    ("api.openapi", "GET"): public(),
    ("api.consultation_types", "GET"): public(),
    ("api.slots", "GET"): public(query=_slots_query),
    ("api.create_booking", "POST"): Row(UNAUTHORIZED, OK, OK, FORBIDDEN, json={}),
    ("api.get_booking", "GET"): Row(MISSING, OK, MISSING, OK),
    ("api.cancel_booking", "POST"): Row(MISSING, OK, MISSING, OK, json={}),
    ("api.intake_questionnaire", "GET"): public(),
    ("api.intake_response", "GET"): Row(MISSING, OK, MISSING, OK),
    # --- the practitioner's area
    ("practice.agenda", "GET"): practice(),
    ("schedule.index", "GET"): practice(),
    ("practice.appointment", "GET"): practice(),
    ("waitlist.join", "GET"): own_pages(),
    ("waitlist.join", "POST"): own_pages(data={"first_day": "2030-01-01", "last_day": "2030-01-02"}),
    ("waitlist.mine", "GET"): own_pages(),
    ("waitlist.leave", "POST"): own_record(),
    ("waitlist.offer", "GET"): own_record(),
    ("waitlist.accept", "POST"): own_record(),
    ("waitlist.decline", "POST"): own_record(),
    ("waitlist.leave_by_link", "GET"): public(),
    ("waitlist.leave_by_link", "POST"): public(),
    ("practice.reschedule", "GET"): practice(),
    ("practice.reschedule", "POST"): practice(),
    ("practice.cancel", "POST"): practice(),
    ("notes.save_note", "POST"): practice(data={"section-0": "Reviewed.", "action": "sign"}),
    ("notes.add_addendum", "POST"): practice(data={"text": "Later."}),
    ("notes.note_template", "GET"): practice(),
    ("notes.note_template", "POST"): practice(data={"sections": "Subjective\nPlan"}),
    ("practice.outcome", "POST"): practice(),
    ("practice.record_payment", "POST"): practice(),
    ("practice.refund", "POST"): practice(),
    ("practice.mail", "GET"): practice(),
    ("practice.mail_retry", "POST"): Row(LOGIN, FORBIDDEN, FORBIDDEN, "404"),  # no such email in the seed
    ("practice.book_for_patient", "GET"): practice(),
    ("practice.book_for_patient", "POST"): practice(),
    # The subscription address is a capability too: the token is the credential.
    ("calendar_feed.practitioner_feed", "GET"): public(),
    ("calendar_feed.notifications", "GET"): practice(),
    ("calendar_feed.notifications", "POST"): practice(),
    ("patients.index", "GET"): practice(),
    ("patients.patient", "GET"): practice(),
    ("patients.version", "GET"): practice(),
    ("patients.lab_file", "GET"): practice(),
    ("diary_practice.settings", "GET"): practice(),
    ("diary_practice.settings", "POST"): practice(),
    ("diary_practice.medicines", "GET"): practice(),
    ("diary_practice.add_plan", "POST"): practice(),
    ("diary_practice.stop_plan", "POST"): practice(),
    ("practice_settings.hours", "GET"): practice(),
    # A time that is not a time: refused (422) rather than replacing the weekly hours.
    ("practice_settings.hours", "POST"): practice(data={"day-0-0-start": "nonsense", "day-0-0-end": "17:00"}),
    ("practice_settings.overrides", "GET"): practice(),
    ("practice_settings.overrides", "POST"): practice(),
    ("practice_settings.delete_override", "POST"): practice(),
    ("practice_settings.time_off", "GET"): practice(),
    ("practice_settings.time_off", "POST"): practice(),
    ("practice_settings.delete_time_off", "POST"): practice(),
    ("practice_settings.types", "GET"): practice(),
    ("practice_settings.new_type", "GET"): practice(),
    ("practice_settings.new_type", "POST"): practice(),
    ("practice_settings.edit_type", "GET"): practice(),
    ("practice_settings.edit_type", "POST"): practice(),
    ("practice_settings.policy", "GET"): practice(),
    ("practice_settings.policy", "POST"): practice(),
    ("practice_settings.upload_photo", "POST"): practice(),  # no file: 422 after the access check
    ("practice_settings.delete_photo", "POST"): practice(),
    # Her own calendars: the calendar is a form field; none given is refused (404) after the access check.
    ("calendars.index", "GET"): practice(),
    ("calendars.add", "POST"): practice(),  # nothing filled in: 422
    ("calendars.remove", "POST"): Row(LOGIN, FORBIDDEN, FORBIDDEN, MISSING),
    ("calendars.titles", "POST"): Row(LOGIN, FORBIDDEN, FORBIDDEN, MISSING),
    ("calendars.sync_now", "POST"): Row(LOGIN, FORBIDDEN, FORBIDDEN, MISSING),
    ("course_editor.courses", "GET"): practice(),
    ("course_editor.new_course", "GET"): practice(),
    ("course_editor.new_course", "POST"): practice(),
    ("course_editor.edit_course", "GET"): practice(),
    ("course_editor.edit_course", "POST"): practice(),
    ("course_editor.publish", "POST"): practice(data={"published": "1"}),
    ("course_editor.new_module", "GET"): practice(),
    ("course_editor.new_module", "POST"): practice(),
    ("course_editor.edit_module", "GET"): practice(),
    ("course_editor.edit_module", "POST"): practice(),
    ("course_editor.move_module", "POST"): practice(),
    ("course_editor.delete_module", "POST"): practice(),
    ("course_editor.new_lesson", "GET"): practice(),
    ("course_editor.new_lesson", "POST"): practice(),
    ("course_editor.edit_lesson", "GET"): practice(),
    ("course_editor.edit_lesson", "POST"): practice(),
    ("course_editor.move_lesson", "POST"): practice(),
    ("course_editor.delete_lesson", "POST"): practice(),
    ("course_editor.new_resource", "GET"): practice(),
    ("course_editor.new_resource", "POST"): practice(),
    ("course_editor.edit_resource", "GET"): practice(),
    ("course_editor.edit_resource", "POST"): practice(),
    ("course_editor.delete_resource", "POST"): practice(),
    ("course_editor.enrolments", "GET"): practice(),
    ("course_editor.enrolments", "POST"): practice(),
    ("course_editor.enrolment", "GET"): practice(),
    # --- privacy: the audit log, and a patient's export and erasure of her own data
    ("privacy.audit", "GET"): practice(),
    ("privacy.export_page", "GET"): own_pages(),
    ("privacy.export_download", "POST"): own_pages(),  # each patient's archive holds her own data only
    ("privacy.delete_account", "GET"): own_pages(),
    ("privacy.delete_account", "POST"): own_pages(),  # no password: refused (422), nothing erased
    ("privacy.account_deleted", "GET"): Row(OK, "→/account", "→/account", "→/account"),
    # --- deleted patients' clinical records, kept for the practitioner only
    ("retained.index", "GET"): practice(),
    ("retained.settings", "POST"): practice(),  # no years: refused (422), nothing changed
    ("retained.show", "GET"): practice(),
    # A's live upload is not under the retained record: the record's files only (404)
    ("retained.lab_file", "GET"): Row(LOGIN, FORBIDDEN, FORBIDDEN, MISSING),
    ("retained.erase", "POST"): practice(),  # no reason: refused (422), nothing erased
}

# --- the four people ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fake_stripe():
    with FakeStripe(webhook_secret="whsec_test_matrix") as fake:
        yield fake


pytestmark = pytest.mark.payments  # payments on, against this module's own fake Stripe server


def send(visitor: Visitor, method: str, path: str, row: Row, query: dict | None):
    if method == "GET":
        return visitor.client.get(path, query_string=query)
    if row.json is not None:
        return visitor.post_json(path, row.json, query_string=query)
    return visitor.post(path, row.data, query_string=query)


def mismatch(expected: str, method: str, response) -> str | None:
    status, location = response.status_code, urlsplit(response.headers.get("Location", "")).path
    if expected == OK:
        good = status == 200 if method == "GET" else status in ALLOWED_POST
    elif expected == LOGIN:
        good = status in (302, 303) and location == "/auth/login"
    elif expected == BAD_SIGNATURE:
        good = status == 400 and response.get_json()["error"]["code"] == "bad_signature"
    elif expected.startswith("→"):
        target = expected[1:]
        good = status in (302, 303) and (location.startswith(target[:-1]) if target.endswith("*")
                                         else location == target)
    else:
        good = status == int(expected)
    if good:
        return None
    return f"expected {expected}, got {status}" + (f" → {location}" if location else "")


# Capabilities: whoever holds the token may use it, so these answer B with what the token opens. B cannot
# come by them (A's reset link is emailed to A; the feed address is shown once to the practitioner), so
# they are left out of the leak scan, and a forged token opens nothing (checked below).
CAPABILITIES = {"auth.reset_password", "calendar_feed.practitioner_feed"}


def routes_of(app) -> list[tuple]:
    return [(rule, method) for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def test_every_route_has_a_row_in_the_table(app):
    routes = {(rule.endpoint, method) for rule, method in routes_of(app)}
    unclassified = sorted(routes - EXPECTED.keys())
    assert not unclassified, f"routes without a row in EXPECTED (classify them): {unclassified}"
    gone = sorted(EXPECTED.keys() - routes)
    assert not gone, f"rows for routes that no longer exist: {gone}"


def test_every_route_answers_each_person_as_the_table_says_and_nothing_of_a_reaches_b(app, fake_stripe):
    s = seed_two_patients(fake_stripe)
    visitors = {"anon": Visitor(app, None), "a": Visitor(app, s.a.email), "b": Visitor(app, s.b.email),
                "p": Visitor(app, s.practitioner.email)}
    adapter = app.url_map.bind("localhost")
    problems: list[str] = []
    answers: dict[str, list] = {role: [] for role in ROLES}
    checked = 0
    for rule, method in routes_of(app):
        row = EXPECTED.get((rule.endpoint, method))
        assert row is not None, f"{method} {rule.rule} ({rule.endpoint}) has no row in EXPECTED"
        for role in ROLES:
            path = adapter.build(rule.endpoint, url_values(s, rule), method=method)
            query = row.query(s) if callable(row.query) else row.query
            with send(visitors[role], method, path, row, query) as response:
                problem = mismatch(getattr(row, role), method, response)
                answers[role].append((rule.endpoint, f"{method} {path}", _text(response)))
            checked += 1
            if problem:
                problems.append(f"{method} {path} ({rule.endpoint}) as {role}: {problem}")
            if row.ends_session:
                visitors[role].start()
    assert not problems, f"{len(problems)} of {checked} answers differ from the table:\n" + "\n".join(problems)
    print(f"authorization matrix: {checked // len(ROLES)} routes x {len(ROLES)} people = {checked} requests")

    leaks = [f"{where} as {role}: {secret!r}"
             for role in ("anon", "b") for endpoint, where, text in answers[role] if endpoint not in CAPABILITIES
             for secret in (*s.a_secrets, "% complete") if secret in text]
    assert not leaks, "A's records reached someone else:\n" + "\n".join(leaks)
    # The scan means something only if each of those strings does appear where it belongs.
    shown_to_a_or_practitioner = "".join(text for role in ("a", "p") for *_, text in answers[role])
    assert [x for x in (*s.a_secrets, "100% complete") if x not in shown_to_a_or_practitioner] == []
    symptoms = {role: text for role in ("a", "b")
                for endpoint, _, text in answers[role] if endpoint == "intake.symptoms"}
    assert "No symptom ratings yet." in symptoms["b"] and "No symptom ratings yet." not in symptoms["a"]
    exports = {role: text for role in ("a", "b") for endpoint, _, text in answers[role]
               if endpoint == "privacy.export_download"}
    assert A_NOTE in exports["a"] and s.b.full_name in exports["b"]


def test_a_forged_capability_token_opens_nothing(app, fake_stripe):
    s = seed_two_patients(fake_stripe)
    client = app.test_client()
    assert client.get(f"/practice/calendar/{s.feed_token[:-3]}xyz.ics").status_code == 404
    assert client.get(f"/auth/reset/{s.reset_token[:-3]}xyz").status_code == 400


def _text(response) -> str:
    """What a response tells: its headers and body, and each file inside a ZIP archive (the export)."""
    if response.mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
            body = "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    else:
        body = response.get_data(as_text=True)
    return body + "\n" + str(response.headers)
