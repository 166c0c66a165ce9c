"""The main pages cost the same number of SQL queries whatever the amount of data: the practitioner's agenda
(/practice) and calendar (/practice/schedule), a patient's page (/practice/patients/<id>) and the patient's home
(/account), measured with 10 appointments and again after 990 more.

The appointments are ten minutes apart, alternately after and before now, so there are as many upcoming as
past ones at every size and the agenda (this week and the next seven days) shows most of them; half are
patient A's (both kinds of consultation, with intake answers, payments and check-ins), the others belong to
a rotating set of other patients. Queries are counted at the cursor, leaving out transaction control
(BEGIN, SAVEPOINT, RELEASE).
"""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import select

from app import demo
from app.clock import utcnow
from app.extensions import db
from app.intake.questionnaire import get_questionnaire
from app.models.accounts import User, find_user_by_email
from app.models.billing import Payment
from app.models.intake import IntakeResponse, SymptomCheckIn
from app.models.scheduling import Appointment, ConsultationType
from app.scheduling.profiles import profile_for
from tests.support.queries import counting_queries
from tests.support.seeded import PASSWORD, use_test_password
from tests.support.visitors import Visitor

PAGES = ("/practice", "/practice/schedule", "/practice/patients/{a}", "/account")
OTHER_PATIENTS = 40


class GrowingPractice:
    """The demo practice, with appointments added ten minutes apart from the start of this week."""

    def __init__(self):
        demo.seed()
        db.session.commit()
        self.practitioner = find_user_by_email(demo.DEMO_PRACTITIONER)
        self.a = find_user_by_email(demo.DEMO_PATIENT)
        use_test_password(self.practitioner, self.a)
        profile = profile_for(self.practitioner)
        self.types = [ConsultationType(practitioner_id=profile.id, slug=f"quick-{kind}", name=f"Quick {kind}",
                                       duration_minutes=10, price_minor=5000, currency="usd",
                                       intake_required=kind == "intake") for kind in ("intake", "check-in")]
        self.others = [User(email=f"other{n}@example.com", full_name=f"Other Patient {n}", role="patient",
                            password_hash=self.a.password_hash, timezone="Europe/Berlin")
                       for n in range(OTHER_PATIENTS)]
        db.session.add_all([*self.types, *self.others])
        db.session.commit()
        self.now = utcnow().replace(second=0, microsecond=0)
        self.busy = [(a.blocked_start, a.blocked_end) for a in db.session.scalars(select(Appointment))]
        self.appointments, self.added = len(self.busy), 0
        self.offsets = itertools.count(1)
        self.q = get_questionnaire()

    def grow_to(self, total: int) -> None:
        while self.appointments < total:
            step = next(self.offsets)  # 1, 2, 3...: alternately after and before now
            start = self.now + timedelta(minutes=10 * ((step + 1) // 2) * (1 if step % 2 else -1))
            end = start + timedelta(minutes=10)
            if any(s < end and start < e for s, e in self.busy):
                continue
            self._add(start, end, self.now)
            self.added += 1
            self.appointments += 1
            db.session.flush()
        db.session.commit()

    def _add(self, start: datetime, end: datetime, now: datetime) -> None:
        n = self.added
        ct = self.types[(n // 4) % 2]
        patient = self.a if (n // 2) % 2 == 0 else self.others[n % OTHER_PATIENTS]
        status = "cancelled" if n % 7 == 0 else ("confirmed" if start > now else "completed")
        appointment = Appointment(
            patient_id=patient.id, practitioner_id=ct.practitioner_id, consultation_type_id=ct.id,
            starts_at=start, ends_at=end, blocked_start=start, blocked_end=end, status=status,
            payment_status="pay_at_appointment", price_minor=ct.price_minor, currency=ct.currency,
            patient_timezone=patient.timezone, booked_by_id=patient.id, created_at=now)
        db.session.add(appointment)
        db.session.flush()
        if patient is not self.a:
            return
        if ct.intake_required and n % 4 == 0:
            db.session.add(IntakeResponse(patient_id=patient.id, appointment_id=appointment.id,
                                          questionnaire_version=self.q.version, answers={}, saved_steps=[],
                                          created_at=now, updated_at=now))
        if status != "cancelled" and n % 4 == 1:  # from the first few on, so both sizes list payments
            db.session.add(Payment(patient_id=patient.id, purpose="appointment", purpose_id=appointment.id,
                                       description=ct.name, amount_minor=ct.price_minor, currency=ct.currency,
                                       provider="manual", method="cash", status="paid", paid_at=now))
        if n % 10 == 0:
            db.session.add(SymptomCheckIn(patient_id=patient.id, questionnaire_version=self.q.version,
                                          answers={}, created_at=now - timedelta(days=n % 30)))


def queries_per_page(app, practice: GrowingPractice) -> dict[str, int]:
    counts = {}
    for email, pages in ((practice.practitioner.email, PAGES[:-1]), (practice.a.email, PAGES[-1:])):
        visitor = Visitor(app, email, PASSWORD)
        for page in pages:
            path = page.format(a=practice.a.id)
            visitor.client.get(path).close()  # once to warm the caches and the session's last-seen time
            with counting_queries() as statements, visitor.client.get(path) as response:
                assert response.status_code == 200, path
            counts[page] = len(statements)
    return counts


def test_main_pages_run_as_many_queries_with_1000_appointments_as_with_10(app):
    practice = GrowingPractice()
    practice.grow_to(10)
    few = queries_per_page(app, practice)
    practice.grow_to(1000)
    many = queries_per_page(app, practice)
    print(f"queries with 10 and 1,000 appointments: { {page: (few[page], many[page]) for page in PAGES} }")
    assert many == few
