"""The diary pages and the correlation cost the same number of SQL queries with a week of entries as with a
year of daily ones (a meal, a symptom entry and a tag every day, a flare with tryptase every fortnight,
medicine logs every day). Counted like tests/integration/test_query_counts.py, at the cursor."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from app.clock import utcnow
from app.diary.entries import correlation_for
from app.extensions import db
from app.models.diary import DiaryEntry, Flare, MedicationLog, MedicationPlan, TryptaseResult
from app.scheduling.profiles import profile_for
from tests.support.queries import counting_queries
from tests.support.seeded import seed_two_patients
from tests.support.visitors import Visitor

PATIENT_PAGES = ("/account/diary", "/account/diary/medicines")


def add_days(patient, plan, start_day: int, end_day: int) -> None:
    now = utcnow()
    foods = ["aged cheese", "spinach", "leftover curry", "rice", "chicken", "wine"]
    for n in range(start_day, end_day):
        at = now - timedelta(days=n, hours=5)
        db.session.add(DiaryEntry(patient_id=patient.id, kind="exposure", occurred_at=at, text=foods[n % len(foods)],
                                  tags=["leftover"] if n % 3 == 0 else ["fresh"]))
        db.session.add(DiaryEntry(patient_id=patient.id, kind="symptoms", occurred_at=at + timedelta(hours=3),
                                  ratings={"skin": n % 4, "gastrointestinal": (n + 1) % 4}))
        db.session.add(MedicationLog(plan_id=plan.id, patient_id=patient.id, taken_on=(now - timedelta(days=n)).date(),
                                     status="taken" if n % 5 else "missed"))
        if n % 14 == 0:
            flare = Flare(patient_id=patient.id, onset_at=at, ended_at=at + timedelta(hours=6))
            db.session.add(flare)
            db.session.flush()
            db.session.add(TryptaseResult(patient_id=patient.id, flare_id=flare.id, kind="acute",
                                          value_ng_ml=Decimal("8.0"), drawn_at=at + timedelta(hours=2)))
    db.session.commit()


def counts(app, s) -> dict[str, int]:
    out = {}
    for email, pages in ((s.a.email, PATIENT_PAGES), (s.practitioner.email, (f"/practice/patients/{s.a.id}",))):
        visitor = Visitor(app, email)
        for page in pages:
            visitor.client.get(page).close()
            with counting_queries() as statements, visitor.client.get(page) as response:
                assert response.status_code == 200, page
            out[page] = len(statements)
    patient_id = s.a.id  # read before counting: the test's own copy of A was expired by the requests
    with counting_queries() as statements:
        correlation_for(patient_id, utcnow())
    out["correlation"] = len(statements)
    return out


def test_diary_pages_and_correlation_query_counts_do_not_grow_with_a_year_of_entries(app):
    s = seed_two_patients()
    plan = MedicationPlan(patient_id=s.a.id, practitioner_id=profile_for(s.practitioner).id, medicine="LDN",
                          steps=[{"from": (utcnow().date() - timedelta(days=400)).isoformat(), "dose": "1.5 mg"}])
    db.session.add(plan)
    db.session.commit()
    add_days(s.a, plan, 1, 8)
    week = counts(app, s)
    add_days(s.a, plan, 8, 366)
    year = counts(app, s)
    print(f"diary queries with a week and a year of entries: { {k: (week[k], year[k]) for k in week} }")
    assert year == week
    assert year["correlation"] == 1
