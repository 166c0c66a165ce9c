"""The demo practice with two patients, for tests that check who sees what.

Patient A is the demo patient (app.demo.seed): a confirmed initial consultation with a completed intake,
a follow-up, symptom check-ins. On top of that she gets a note on her appointment, a payment recorded by
the practice, a lab upload, the course (bought through the fake Stripe when one is given, else granted)
with every lesson complete, and — with Stripe — a hold waiting for payment. Patient B has an appointment
of her own and nothing else. A's records carry strings found nowhere else (`a_secrets`), so a test can
assert that none of them reaches B.

Factories (`fresh_*`) make one more object of the same kind, for requests that delete or cancel it.
"""
from __future__ import annotations

import functools
import io
import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, has_request_context
from sqlalchemy import select

from app import demo
from app.accounts.service import reset_token
from app.billing import consultations
from app.clock import utcnow
from app.courses import purchase
from app.courses import service as courses
from app.extensions import db
from app.intake import uploads
from app.models.accounts import User, find_user_by_email
from app.models.billing import Payment
from app.models.courses import SOURCE_GRANTED, Course, Enrollment, Lesson, LessonResource, Module
from app.models.intake import IntakeResponse, LabUpload
from app.models.retention import RetainedPatient
from app.models.scheduling import (
    CONFIRMED,
    PAY_AT_APPOINTMENT,
    PENDING_PAYMENT,
    UNPAID,
    Appointment,
    ConsultationType,
    DateOverride,
    TimeOff,
)
from app.models.waitlist import OFFER_OPEN, WAITING, WaitlistEntry, WaitlistOffer
from app.notify import feed
from app.scheduling import booking, schedule
from app.scheduling.profiles import profile_for
from tests.support.visitors import PASSWORD  # also given to the demo accounts here

A_NOTE = "Sentinel note: jasmine and the neighbours cat 7731"  # no character HTML would escape
A_FILE = "jordan-tryptase-7731.pdf"
A_PAID = 12345  # what the practice records as received from A: shown as 123.45, a sum no price has
A_PAID_TEXT = "123.45"
A_DIARY = "Sentinel diary tamarind chutney 7731"
A_FLARE = "Sentinel flare after the fireworks 7731"
A_MEDICINE = "Sentinel cromolyn 7731"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LESSON = "trigger-diary"  # not a preview, in a module open from the day of enrolment, with a resource


@dataclass
class SeededPractice:
    practitioner: User
    a: User
    b: User
    appointment: Appointment  # A's confirmed initial consultation (intake complete, paid at the practice)
    follow_up: Appointment  # A's follow-up (a check-in instead of the intake)
    b_appointment: Appointment
    intake: IntakeResponse
    payment: Payment  # A's manual payment for `appointment`
    upload: LabUpload
    course: Course
    lesson: Lesson
    resource: LessonResource
    enrollment: Enrollment
    time_off: TimeOff
    override: DateOverride
    feed_token: str
    reset_token: str
    course_payment: Payment | None = None  # A's Stripe payment for the course (with Stripe only)
    held: Appointment | None = None  # A's hold waiting for payment (with Stripe only)
    a_secrets: tuple[str, ...] = field(default=())
    diary: dict = field(default_factory=dict)  # A's diary entry, flare and medication plan

    @property
    def initial_type(self) -> ConsultationType:
        return self.appointment.consultation_type


def in_request(make):
    """Emails and Stripe return addresses are built with url_for, as inside a request."""
    @functools.wraps(make)
    def wrapped(*args, **kwargs):
        if has_request_context():
            return make(*args, **kwargs)
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            return make(*args, **kwargs)

    return wrapped


@in_request
def seed_two_patients(fake_stripe=None) -> SeededPractice:
    return _seed(fake_stripe)


def _seed(fake_stripe) -> SeededPractice:
    demo.seed()
    db.session.commit()
    practitioner = find_user_by_email(demo.DEMO_PRACTITIONER)
    a = find_user_by_email(demo.DEMO_PATIENT)
    use_test_password(practitioner, a)
    appointment, follow_up = db.session.scalars(select(Appointment).where(Appointment.patient_id == a.id)
                                                .order_by(Appointment.starts_at)).all()
    appointment.patient_note = A_NOTE
    db.session.commit()

    b = User(email="bea.other@example.com", full_name="Bea Otherpatient", password_hash=a.password_hash,
             role="patient", timezone="Europe/Paris", health_data_consent_at=utcnow(), email_verified_at=utcnow())
    db.session.add(b)
    db.session.commit()
    b_appointment = fresh_appointment(b, follow_up.consultation_type)

    now = utcnow()
    payment = consultations.record_manual_payment(appointment, amount_minor=A_PAID,
                                                  method="cash", by=practitioner, now=now)
    upload = fresh_upload(a, A_FILE)
    course = db.session.scalar(select(Course))
    course_payment = _buy_course(a, course, fake_stripe) if fake_stripe else None
    enrollment = courses.enrollment_for(a, course) or courses.enrol(a, course, source=SOURCE_GRANTED, now=now,
                                                                    granted_by=practitioner)
    _complete_course(enrollment, course)
    profile = profile_for(practitioner)
    time_off = TimeOff(practitioner_id=profile.id, starts_at=now + timedelta(days=50),
                       ends_at=now + timedelta(days=51), reason="Conference")
    override = DateOverride(practitioner_id=profile.id, day=(now + timedelta(days=55)).date())
    db.session.add_all([time_off, override])
    feed_token = feed.rotate_token(profile, actor=practitioner)
    db.session.commit()
    held = fresh_hold(a, appointment.consultation_type) if fake_stripe else None
    intake = db.session.scalar(select(IntakeResponse).where(IntakeResponse.appointment_id == appointment.id))
    lesson = next(item for item in course.lessons if item.slug == LESSON)
    seeded = SeededPractice(
        practitioner=practitioner, a=a, b=b, appointment=appointment, follow_up=follow_up,
        b_appointment=b_appointment, intake=intake, payment=payment, upload=upload, course=course, lesson=lesson,
        resource=lesson.resources[0], enrollment=enrollment, time_off=time_off, override=override,
        feed_token=feed_token, reset_token=reset_token(a), course_payment=course_payment, held=held)
    seeded.diary = _seed_diary(a, practitioner)
    seeded.a_secrets = _secrets_of(seeded) + (A_DIARY, A_FLARE, A_MEDICINE)
    db.session.commit()
    return seeded


def _seed_diary(patient: User, practitioner: User) -> dict:
    """A diary entry (still editable), a flare that is over with an acute tryptase, and a medicine plan."""
    from decimal import Decimal

    from app.models.diary import DiaryEntry, Flare, MedicationLog, MedicationPlan, TryptaseResult

    now = utcnow()
    entry = DiaryEntry(patient_id=patient.id, kind="exposure", occurred_at=now - timedelta(hours=3), text=A_DIARY,
                       tags=["leftover"])
    flare = Flare(patient_id=patient.id, onset_at=now - timedelta(days=2), ended_at=now - timedelta(days=1, hours=20),
                  note=A_FLARE)
    plan = MedicationPlan(patient_id=patient.id, practitioner_id=profile_for(practitioner).id, medicine=A_MEDICINE,
                          steps=[{"from": (now.date() - timedelta(days=5)).isoformat(), "dose": "200 mg"}])
    db.session.add_all([entry, flare, plan])
    db.session.flush()
    db.session.add_all([TryptaseResult(patient_id=patient.id, flare_id=flare.id, kind="acute",
                                       value_ng_ml=Decimal("9.5"), drawn_at=flare.onset_at + timedelta(hours=2)),
                        MedicationLog(plan_id=plan.id, patient_id=patient.id, taken_on=now.date() - timedelta(days=1),
                                      status="taken")])
    db.session.commit()
    return {"entry": entry, "flare": flare, "plan": plan}


def use_test_password(*users: User) -> None:
    """The demo accounts get the suite's password (hashed at the suite's cheap cost)."""
    from app.accounts.passwords import hash_password

    hashed = hash_password(PASSWORD)
    for user in users:
        user.password_hash = hashed
    db.session.commit()


def _secrets_of(seeded: SeededPractice) -> tuple[str, ...]:
    """Strings that appear only in A's records: her name and email, her appointment note, intake answers
    (emergency contact, doctor, goals), her file's name and the sum she paid."""
    answers = seeded.intake.answers
    return (seeded.a.full_name, seeded.a.email, A_NOTE, A_FILE, A_PAID_TEXT, answers["emergency_contact_name"],
            answers["emergency_contact_phone"], answers["primary_care_doctor"], answers["consultation_goals"])


def _buy_course(patient: User, course: Course, fake_stripe) -> Payment:
    from app.billing import fulfilment

    now = utcnow()
    payment = purchase.find_or_create_payment(course, patient, now)
    db.session.commit()
    purchase.start(payment, now)
    db.session.commit()
    fake_stripe.pay(payment.checkout_session_id)
    fulfilment.fulfil_checkout(payment.checkout_session_id, now)
    db.session.commit()
    return payment


def _complete_course(enrollment: Enrollment, course: Course) -> None:
    """Every lesson done, as if she had enrolled a month ago (the later modules open after 7 and 14 days)."""
    enrollment.enrolled_at = utcnow() - timedelta(days=30)
    db.session.flush()
    for lesson in course.lessons:
        courses.complete_lesson(enrollment, lesson, utcnow())
    db.session.commit()


# --- factories --------------------------------------------------------------------------------------

def next_open_start(ct: ConsultationType):
    now = utcnow()
    starts = schedule.open_slots(ct, now + timedelta(days=2), now + timedelta(days=ct.horizon_days - 1), now)
    assert starts, "no open time left to book"
    return starts[0]


_spare_slots = itertools.count()


def appointment_row(patient: User, ct: ConsultationType, *, status: str = CONFIRMED, start=None,
                    **fields) -> Appointment:
    """An appointment written directly, by default at a time nothing else uses (from 200 days ahead, two
    hours apart): booking's own rules are tested elsewhere, and requests made during a test may have
    changed the hours that booking would check."""
    start = start or (utcnow().replace(minute=0, second=0, microsecond=0)
                      + timedelta(days=200, hours=2 * next(_spare_slots)))
    end = start + timedelta(minutes=ct.duration_minutes)
    appointment = Appointment(
        patient_id=patient.id, practitioner_id=ct.practitioner_id, consultation_type_id=ct.id, starts_at=start,
        ends_at=end, blocked_start=start - timedelta(minutes=ct.buffer_before_minutes),
        blocked_end=end + timedelta(minutes=ct.buffer_after_minutes), status=status,
        payment_status=UNPAID if status == PENDING_PAYMENT else PAY_AT_APPOINTMENT, price_minor=ct.price_minor,
        currency=ct.currency, patient_timezone=patient.timezone, booked_by_id=patient.id, **fields)
    db.session.add(appointment)
    db.session.commit()
    return appointment


@in_request
def fresh_appointment(patient: User, ct: ConsultationType) -> Appointment:
    return appointment_row(patient, ct)


@in_request
def fresh_hold(patient: User, ct: ConsultationType) -> Appointment:
    """A hold waiting for payment, with its Checkout Session (Stripe must be configured)."""
    appointment = appointment_row(patient, ct, status=PENDING_PAYMENT, hold_expires_at=utcnow() + booking.HOLD)
    consultations.ensure_checkout(appointment, utcnow())
    db.session.commit()
    return appointment


@in_request
def fresh_upload(patient: User, name: str = "lab-result.pdf") -> LabUpload:
    upload = uploads.store(patient, io.BytesIO(PDF), name, now=utcnow())
    db.session.commit()
    return upload


@in_request
def enrol(patient: User, course: Course) -> Enrollment:
    """Access granted by the practice (the welcome email is queued as usual)."""
    enrollment = courses.enrol(patient, course, source=SOURCE_GRANTED, now=utcnow(),
                               granted_by=find_user_by_email(demo.DEMO_PRACTITIONER))
    db.session.commit()
    return enrollment


def fresh_module(course: Course) -> Module:
    module = Module(position=len(course.modules), title="Scratch module")
    course.modules.append(module)
    db.session.commit()
    return module


def fresh_lesson(course: Course) -> Lesson:
    module = course.modules[0]
    lesson = Lesson(course_id=course.id, position=len(module.lessons), slug=f"scratch-{len(course.lessons)}",
                    title="Scratch lesson", body="Scratch.", minutes=1)
    module.lessons.append(lesson)
    db.session.commit()
    return lesson


def fresh_resource(lesson: Lesson) -> LessonResource:
    resource = LessonResource(position=len(lesson.resources), title="Scratch resource", body="Scratch.")
    lesson.resources.append(resource)
    db.session.commit()
    return resource


def fresh_time_off(practitioner: User, days_ahead: int) -> TimeOff:
    now = utcnow()
    row = TimeOff(practitioner_id=profile_for(practitioner).id, starts_at=now + timedelta(days=days_ahead),
                  ends_at=now + timedelta(days=days_ahead, hours=2))
    db.session.add(row)
    db.session.commit()
    return row


def fresh_override(practitioner: User, days_ahead: int) -> DateOverride:
    row = DateOverride(practitioner_id=profile_for(practitioner).id, day=(utcnow() + timedelta(days=days_ahead)).date())
    db.session.add(row)
    db.session.commit()
    return row


# --- URLs -----------------------------------------------------------------------------------------------

def url_values(s: SeededPractice, rule) -> dict:
    """A real value for every parameter of `rule`: A's records first of all. Routes that use up what they
    act on (cancel, delete, release) get a new one each time (FRESH), so every request meets the same state."""
    booking_pages = rule.rule.startswith("/book/")
    pays = rule.endpoint in ("booking.pay", "booking.pay_now") and s.held is not None
    values = {  # read only when the rule has the parameter: a request may have changed the others
        "appointment_id": lambda: (s.held if pays else s.appointment).id, "upload_id": lambda: s.upload.id,
        "step_key": lambda: "about", "response_id": lambda: s.intake.id,
        "payment_id": lambda: (s.course_payment or s.payment).id, "patient_id": lambda: s.a.id,
        "slug": lambda: s.initial_type.slug if booking_pages else s.course.slug, "lesson_slug": lambda: s.lesson.slug,
        "day": lambda: s.appointment.starts_at.date().isoformat() if booking_pages else s.override.day.isoformat(),
        "course_id": lambda: s.course.id, "module_id": lambda: s.lesson.module_id, "lesson_id": lambda: s.lesson.id,
        "resource_id": lambda: s.resource.id, "enrollment_id": lambda: s.enrollment.id,
        "type_id": lambda: s.initial_type.id, "time_off_id": lambda: s.time_off.id, "filename": lambda: "css/app.css",
        # Both the diary and the waitlist name their records `entry_id`.
        "entry_id": lambda: (fresh_waitlist_entry(s.a, s.initial_type).id if rule.endpoint.startswith("waitlist")
                             else s.diary["entry"].id),
        "flare_id": lambda: s.diary["flare"].id,
        "plan_id": lambda: s.diary["plan"].id,
        "token": lambda: s.feed_token if rule.endpoint == "calendar_feed.practitioner_feed" else s.reset_token,
        "offer_id": lambda: fresh_waitlist_offer(s.a, s.initial_type).id,
        "key": lambda: "profile-photo-not-uploaded",  # the seed has no photo (tests/integration/test_public_profile.py)
        "record_id": lambda: retained_record(s).id,
    }
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: no value for {sorted(missing)}: add one to url_values()"
    fresh = FRESH[rule.endpoint](s) if rule.endpoint in FRESH else {}
    return {name: fresh[name] if name in fresh else values[name]() for name in rule.arguments}


def retained_record(s: SeededPractice) -> RetainedPatient:
    """A former patient's record the practitioner keeps (written directly, as an erasure leaves it)."""
    kept = db.session.scalar(select(RetainedPatient).where(RetainedPatient.email == "cora@example.com"))
    if kept is None:
        now = utcnow()
        kept = RetainedPatient(former_user_id=999_999, practitioner_id=profile_for(s.practitioner).id,
                               full_name="Cora Former", email="cora@example.com", erased_at=now, retention_years=8,
                               keep_until=now + timedelta(days=8 * 365))
        db.session.add(kept)
        db.session.commit()
    return kept


def fresh_waitlist_entry(patient: User, ct: ConsultationType) -> WaitlistEntry:
    today = utcnow().date()
    entry = WaitlistEntry(patient_id=patient.id, consultation_type_id=ct.id, first_day=today + timedelta(days=2),
                          last_day=today + timedelta(days=20), timezone=patient.timezone, status=WAITING,
                          created_at=utcnow())
    db.session.add(entry)
    db.session.commit()
    return entry


def fresh_waitlist_offer(patient: User, ct: ConsultationType) -> WaitlistOffer:
    """A time held for the patient from the waitlist (written directly, like appointment_row)."""
    entry = fresh_waitlist_entry(patient, ct)
    hold = appointment_row(patient, ct, status=PENDING_PAYMENT, hold_expires_at=utcnow() + timedelta(hours=2))
    offer = WaitlistOffer(entry_id=entry.id, appointment_id=hold.id, starts_at=hold.starts_at, status=OFFER_OPEN,
                          offered_at=utcnow(), expires_at=hold.hold_expires_at)
    db.session.add(offer)
    db.session.commit()
    return offer


@in_request
def _leave_token(entry: WaitlistEntry) -> str:
    from app.notify.waitlist import leave_token

    return leave_token(entry)


def _fresh_a_appointment(s: SeededPractice) -> dict:
    return {"appointment_id": fresh_appointment(s.a, s.initial_type).id}


def _spare_upload(s: SeededPractice) -> LabUpload:
    """One of A's files other than her first, made if need be (she may keep 20)."""
    others = [upload for upload in uploads.uploads_for(s.a.id) if upload.id != s.upload.id]
    return others[0] if len(others) + 1 >= uploads.MAX_FILES else fresh_upload(s.a)


_days_ahead = itertools.count(40)  # distinct dates for the overrides and time off made to be deleted

FRESH = {
    "waitlist.leave_by_link": lambda s: {"token": _leave_token(fresh_waitlist_entry(s.a, s.initial_type))},
    "account.cancel": _fresh_a_appointment,
    "api.cancel_booking": _fresh_a_appointment,
    "practice.cancel": _fresh_a_appointment,
    "booking.release": lambda s: {"appointment_id": (fresh_hold(s.a, s.initial_type) if s.held
                                                     else fresh_appointment(s.a, s.initial_type)).id},
    "intake.delete_lab_file": lambda s: {"upload_id": _spare_upload(s).id},
    "practice_settings.delete_override": lambda s: {
        "day": fresh_override(s.practitioner, next(_days_ahead)).day.isoformat()},
    "practice_settings.delete_time_off": lambda s: {
        "time_off_id": fresh_time_off(s.practitioner, next(_days_ahead)).id},
    "course_editor.delete_module": lambda s: {"module_id": fresh_module(s.course).id},
    "course_editor.delete_lesson": lambda s: {"lesson_id": fresh_lesson(s.course).id},
    "course_editor.delete_resource": lambda s: {"resource_id": fresh_resource(s.lesson).id},
}
