"""`flask send-reminders` and `flask send-daily-agenda` under frozen time, through a real SMTP server:
each reminder once, at its moment, never for a cancelled or moved-away time, and once only when
two runs race."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.clock import utcnow
from app.extensions import db
from app.models.intake import COMPLETED, IntakeResponse
from app.models.notify import OutboxMessage, SentReminder
from app.scheduling import booking
from tests.conftest import DEFAULT_PASSWORD
from tests.support.notifications import html_of, subjects
from tests.support.notifications import text as text_of
from tests.support.web import post_form

UTC = timezone.utc
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday
THURSDAY_10 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in New York
ADA = "ada@example.com"


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def practice(make_practice):
    return make_practice(intake_required=False)


@pytest.fixture
def ada(make_user):
    return make_user(ADA, full_name="Ada Lovelace", timezone="Europe/London")


def run(app, command: str = "send-reminders") -> str:
    result = app.test_cli_runner().invoke(args=[command])
    assert result.exit_code == 0, result.output
    return result.output


def reminders_to(mailbox, address=ADA) -> list:
    return [m for m in mailbox.to(address) if not str(m["Subject"]).startswith("Booked")]


def test_appointment_reminder_is_sent_once_at_its_lead_time(app, frozen, practice, ada, mailbox, book_appointment):
    _, _, ct = practice
    book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True)
    frozen.move_to(THURSDAY_10 - timedelta(hours=24, minutes=1))
    run(app)
    assert reminders_to(mailbox) == []
    frozen.move_to(THURSDAY_10 - timedelta(hours=23, minutes=58))
    assert "queued 1 reminder(s), sent 1" in run(app)
    for _ in range(3):
        frozen.shift(timedelta(minutes=5))
        assert "queued 0" in run(app)
    [reminder] = reminders_to(mailbox)
    assert reminder["Subject"] == "Reminder: Initial consultation"
    text = text_of(reminder)
    assert "Thursday 3 December 2026, 15:00 GMT" in text
    assert "Join here at the time: https://meet.example.com/room" in text
    assert 'href="https://meet.example.com/room"' in html_of(reminder)


def test_the_lead_time_is_the_consultation_types(app, frozen, practice, ada, mailbox, book_appointment):
    _, _, ct = practice
    ct.reminder_lead_minutes = 48 * 60
    db.session.commit()
    book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True)
    frozen.move_to(THURSDAY_10 - timedelta(hours=48, minutes=1))
    run(app)
    assert reminders_to(mailbox) == []
    frozen.move_to(THURSDAY_10 - timedelta(hours=47, minutes=59))
    run(app)
    assert subjects(reminders_to(mailbox)) == ["Reminder: Initial consultation"]


def test_the_reminder_recaps_the_visit_sensitivities(app, frozen, practice, ada, mailbox, monkeypatch,
                                                     book_appointment):
    from app.notify import reminders

    monkeypatch.setattr(reminders, "visit_sensitivities", lambda appointment: ["A fragrance-free room"])
    _, _, ct = practice
    book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True)
    frozen.move_to(THURSDAY_10 - timedelta(hours=23))
    run(app)
    [reminder] = reminders_to(mailbox)
    assert "You asked us to prepare for your visit:\n  - A fragrance-free room" in text_of(reminder)
    assert "<li>A fragrance-free room</li>" in html_of(reminder)


def test_no_reminder_for_a_cancelled_appointment(app, frozen, practice, ada, mailbox, book_appointment):
    _, _, ct = practice
    appointment = book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True)
    booking.cancel(appointment, by=ada, now=utcnow())
    db.session.commit()
    frozen.move_to(THURSDAY_10 - timedelta(hours=2))
    run(app)
    assert reminders_to(mailbox) == [] and db.session.scalar(select(func.count()).select_from(SentReminder)) == 0


def test_a_moved_appointment_is_reminded_of_its_new_time_only(app, frozen, practice, ada, mailbox, book_appointment):
    _, _, ct = practice
    appointment = book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True)
    frozen.move_to(THURSDAY_10 - timedelta(hours=30))
    next_monday = THURSDAY_10 + timedelta(days=4)
    booking.reschedule(appointment, next_monday, by=ada, now=utcnow())
    db.session.commit()
    frozen.move_to(THURSDAY_10 - timedelta(hours=1))  # the old time's reminder moment has passed
    run(app)
    assert reminders_to(mailbox) == []
    frozen.move_to(next_monday - timedelta(hours=20))
    run(app)
    run(app)
    [reminder] = reminders_to(mailbox)
    assert "Monday 7 December 2026, 15:00 GMT" in text_of(reminder)


def test_booked_inside_the_lead_time_the_confirmation_says_it_is_soon_and_no_reminder_follows(
        app, frozen, practice, ada, mailbox, book_appointment):
    _, _, ct = practice
    ct.min_notice_minutes = 60
    db.session.commit()
    # Monday 15:00 UTC, 10:00 in New York
    book_appointment(ada, ct, starts_at=NOW + timedelta(hours=3), send_confirmation=True)
    [confirmation] = mailbox.to(ADA)
    assert "It is soon, so there will be no separate reminder" in text_of(confirmation)
    frozen.shift(timedelta(hours=1))
    assert "queued 0" in run(app)
    assert reminders_to(mailbox) == []


def test_intake_reminders_go_72_and_24_hours_before_while_the_intake_is_incomplete(
        app, frozen, make_practice, ada, mailbox, book_appointment):
    _, _, ct = make_practice(intake_required=True, reminder_lead_minutes=48 * 60)
    appointment = book_appointment(ada, ct, starts_at=THURSDAY_10 + timedelta(days=7), send_confirmation=True)
    start = appointment.starts_at
    for moment in (start - timedelta(hours=72), start - timedelta(hours=48), start - timedelta(hours=24)):
        frozen.move_to(moment + timedelta(minutes=2))
        run(app)
        run(app)
    assert subjects(reminders_to(mailbox)) == [
        "Before your Initial consultation: your health questionnaire",  # 72 h
        "Reminder: Initial consultation",  # 48 h, with the intake nudge inside
        "Before your Initial consultation: your health questionnaire",  # 24 h
    ]
    first, reminder, _ = reminders_to(mailbox)
    assert f"http://localhost/account/intake/{appointment.id}" in text_of(first)
    assert "Your health questionnaire is not complete yet" in text_of(reminder)


def test_when_both_are_due_the_appointment_reminder_carries_the_intake_nudge(app, frozen, make_practice, ada, mailbox,
                                                                             book_appointment):
    _, _, ct = make_practice(intake_required=True)  # reminder 24 h before: the intake's second moment
    appointment = book_appointment(ada, ct, starts_at=THURSDAY_10 + timedelta(days=7), send_confirmation=True)
    frozen.move_to(appointment.starts_at - timedelta(hours=23))
    run(app)
    [reminder] = reminders_to(mailbox)
    assert reminder["Subject"] == "Reminder: Initial consultation"
    assert f"/account/intake/{appointment.id}" in text_of(reminder)


def test_no_intake_reminder_once_the_intake_is_complete(app, frozen, make_practice, ada, mailbox, book_appointment):
    _, _, ct = make_practice(intake_required=True, reminder_lead_minutes=60)
    appointment = book_appointment(ada, ct, starts_at=THURSDAY_10 + timedelta(days=7), send_confirmation=True)
    db.session.add(IntakeResponse(patient_id=ada.id, appointment_id=appointment.id, questionnaire_version="1",
                                  answers={}, status=COMPLETED, completed_at=utcnow()))
    db.session.commit()
    for hours in (72, 24):
        frozen.move_to(appointment.starts_at - timedelta(hours=hours - 1))
        run(app)
    assert reminders_to(mailbox) == []


def test_a_bug_in_the_intake_code_is_not_taken_for_a_complete_intake(app, frozen, make_practice, ada, monkeypatch,
                                                                     book_appointment):
    """Issue 14: an error there used to be swallowed and read as "complete", so no reminder was sent."""
    from app.intake import service
    from app.notify import intake

    _, _, ct = make_practice(intake_required=True)
    appointment = book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the intake code")

    monkeypatch.setattr(service, "needs_intake", broken)
    with pytest.raises(RuntimeError, match="a bug in the intake code"):
        intake.intake_is_complete(appointment)


def test_smtp_down_keeps_the_reminder_and_it_is_delivered_once_later(app, frozen, practice, ada, mailbox,
                                                                     book_appointment):
    _, _, ct = practice
    book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True)
    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1
    frozen.move_to(THURSDAY_10 - timedelta(hours=23))
    assert "queued 1 reminder(s), sent 0" in run(app)
    app.config["MAIL_PORT"] = working_port
    assert "queued 0" in run(app)  # recorded as sent: the outbox owns the delivery now
    frozen.shift(timedelta(minutes=10))
    assert "sent 1, failed 0" in run(app, "send-outbox")
    assert "sent 0, failed 0" in run(app, "send-outbox")
    assert subjects(reminders_to(mailbox)) == ["Reminder: Initial consultation"]


def test_two_runs_at_once_send_each_reminder_once(app, frozen, make_practice, make_user, mailbox, monkeypatch,
                                                  book_appointment):
    from app.notify import reminders
    from app.notify.mail import deliver_committed
    from app.notify.reminders import send_reminders

    locked_counts = []
    if db.engine.dialect.name == "postgresql":
        # Hold each run's row locks until both have asked for them, so the second one has to skip.
        real_locked, both_locked = reminders._locked, threading.Barrier(2)

        def locked(ids):
            rows = real_locked(ids)
            locked_counts.append(len(rows))
            both_locked.wait(10)
            return rows

        monkeypatch.setattr(reminders, "_locked", locked)

    _, _, ct = make_practice(intake_required=False)
    patients = [make_user(f"p{n}@example.com", timezone="Europe/London") for n in range(6)]
    for n, patient in enumerate(patients):
        book_appointment(patient, ct, starts_at=THURSDAY_10 + timedelta(hours=n), send_confirmation=True)
    frozen.move_to(THURSDAY_10 - timedelta(hours=18))  # all six inside their 24 h lead
    db.session.commit()
    barrier = threading.Barrier(2)
    queued, errors = [], []

    def host():
        try:
            with app.app_context():
                barrier.wait()
                queued.append(send_reminders(utcnow()))
                deliver_committed()
                db.session.remove()
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=host) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and sum(queued) == 6
    if locked_counts:
        assert sorted(locked_counts) == [0, 6]  # FOR UPDATE SKIP LOCKED: the second run took none
    for patient in patients:
        assert subjects(reminders_to(mailbox, patient.email)) == ["Reminder: Initial consultation"]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.kind == "appointment_reminder",
                                    OutboxMessage.sent_at.is_not(None))) == 6


def test_daily_agenda_goes_at_seven_her_time_once_when_asked_for(app, frozen, practice, ada, mailbox, book_appointment):
    user, profile, ct = practice
    profile.daily_agenda_email = True
    db.session.commit()
    book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True)  # Thursday 10:00 New York
    mailbox.clear()
    frozen.move_to(datetime(2026, 12, 3, 11, 55, tzinfo=UTC))  # 06:55 in New York
    assert "queued 0" in run(app, "send-daily-agenda")
    frozen.move_to(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))  # 07:00
    assert "queued 1" in run(app, "send-daily-agenda")
    frozen.shift(timedelta(minutes=15))
    assert "queued 0" in run(app, "send-daily-agenda")
    [agenda] = mailbox.to(user.email)
    assert agenda["Subject"] == "Today: 1 appointment (Thursday 3 December)"
    text = text_of(agenda)
    assert "10:00-11:00  Initial consultation – AL" in text and "Lovelace" not in text


def test_daily_agenda_is_off_unless_she_turns_it_on(app, frozen, practice, ada, mailbox, book_appointment):
    user, _, ct = practice
    book_appointment(ada, ct, starts_at=THURSDAY_10, send_confirmation=True)
    frozen.move_to(datetime(2026, 12, 3, 12, 5, tzinfo=UTC))
    assert "queued 0" in run(app, "send-daily-agenda")
    dr = app.test_client()
    post_form(dr, "/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    post_form(dr, "/practice/notifications", {"action": "agenda", "daily_agenda_email": "y"})
    assert "queued 1" in run(app, "send-daily-agenda")
