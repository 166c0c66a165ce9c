"""Buying the course through the payments mechanism: a Payment with purpose "course" and
purpose_id = the course's id, paid on Stripe Checkout, honoured here exactly once.

Fulfilment (app.billing.fulfilment) locks the payment and calls `on_paid` only on its way from open
to paid, whoever gets there first (webhook or success page). The enrolment's unique index on
(patient, course) is the second guard: a patient who pays twice (two tabs, or access granted by
the practitioner while a checkout was open) is enrolled once and the later payment is refunded.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import select

from app.billing import checkout, purposes
from app.courses import service
from app.extensions import db
from app.models.accounts import User
from app.models.billing import OPEN, PURPOSE_COURSE, Payment
from app.models.courses import SOURCE_PURCHASE, Course
from app.notify.mail import queue_email

ALREADY_ENROLLED = "Already enrolled in this course: the payment was not needed"
COURSE_GONE = "The course is no longer available"
# start_checkout hands back a session that still has this long to run; an older one gets a new payment.
REUSABLE_FOR = timedelta(minutes=2)


def find_or_create_payment(course: Course, patient: User, now: datetime) -> Payment:
    """The patient's open payment for this course whose checkout can still be used, or a new one.
    The price comes from the database, never from the form."""
    reusable = db.session.scalar(select(Payment).where(
        Payment.purpose == PURPOSE_COURSE, Payment.purpose_id == course.id, Payment.patient_id == patient.id,
        Payment.status == OPEN, Payment.amount_minor == course.price_minor, Payment.currency == course.currency,
        Payment.checkout_expires_at > now + REUSABLE_FOR).order_by(Payment.id.desc()).limit(1))
    if reusable is not None:
        return reusable
    return checkout.create_payment(patient=patient, purpose=PURPOSE_COURSE, purpose_id=course.id,
                                   description=course.title[:200], amount_minor=course.price_minor,
                                   currency=course.currency)


def start(payment: Payment, now: datetime) -> str:
    """The Checkout URL (call after the commit that wrote the payment; commit again afterwards).
    Raises checkout.CheckoutUnavailable when Stripe cannot be reached."""
    success, cancel = checkout.return_urls(payment)
    return checkout.start_checkout(payment, now=now, success_url=success, cancel_url=cancel)


def on_paid(payment: Payment, now: datetime) -> str | None:
    course = db.session.get(Course, payment.purpose_id)
    patient = payment.patient
    if course is None:
        return COURSE_GONE
    if patient is None:
        return "The account that paid no longer exists"
    existing = service.enrollment_for(patient, course)
    if existing is not None and existing.payment_id == payment.id:
        return None  # this very payment enrolled the patient already
    if existing is None:
        try:
            service.enrol(patient, course, source=SOURCE_PURCHASE, now=now, payment=payment)
            return None
        except service.AlreadyEnrolled:
            pass  # enrolled a moment ago by another payment or by the practitioner
    queue_email(patient.email, "course_already_enrolled", subject="Your payment has been refunded in full",
                patient=patient, course=course, payment=payment,
                course_path=url_for("courses.learn", slug=course.slug))
    return ALREADY_ENROLLED


def on_lapsed(payment: Payment, now: datetime) -> None:
    """Nothing was held for the checkout, so there is nothing to release."""


def landing(payment: Payment) -> str:
    course = db.session.get(Course, payment.purpose_id)
    if course is None:
        return url_for("courses.catalogue")
    return url_for("courses.landing", slug=course.slug)


def register_purpose() -> None:
    """The course is something a payment buys (called by the app factory; billing never imports courses)."""
    purposes.register(PURPOSE_COURSE, on_paid=on_paid, on_lapsed=on_lapsed, landing=landing)
