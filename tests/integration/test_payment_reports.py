"""The practitioner's payments page: monthly totals over every payment (not the latest 2,000), by
month of her own time zone; the CSV export holds every payment, with formula cells neutralised."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from app.extensions import db
from app.models.billing import Payment
from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import post_form

UTC = timezone.utc


def _payments(patient_id, rows):
    db.session.execute(insert(Payment), [
        {"patient_id": patient_id, "purpose": "appointment", "purpose_id": n, "description": "Consultation",
         "amount_minor": amount, "currency": "usd", "provider": "manual", "method": "cash", "status": "paid",
         "refunded_minor": refunded, "created_at": at, "paid_at": at, "updated_at": at}
        for n, (at, amount, refunded) in enumerate(rows)])
    db.session.commit()


def _practitioner(app):
    dr = app.test_client()
    post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    return dr


def test_monthly_totals_count_every_payment_in_the_practices_months(app, make_practice, make_user):
    make_practice()  # America/New_York
    patient = make_user("ada@example.com")
    old = datetime(2024, 1, 10, 15, tzinfo=UTC)
    rows = [(old + timedelta(minutes=n), 1000, 0) for n in range(2100)]  # older than the latest 2,000
    rows += [
        (datetime(2026, 3, 1, 4, 30, tzinfo=UTC), 500, 100),  # 23:30 on 28 February in New York
        (datetime(2026, 3, 1, 5, 30, tzinfo=UTC), 700, 0),  # 00:30 on 1 March in New York
        (datetime(2026, 11, 1, 3, 59, tzinfo=UTC), 300, 0),  # 23:59 EDT, 31 October
        (datetime(2026, 11, 1, 4, 0, tzinfo=UTC), 400, 0),  # 00:00 EDT, 1 November
    ]
    _payments(patient.id, rows)

    page = _practitioner(app).get("/practice/payments").get_data(as_text=True)
    totals = page.split("Totals per month", 1)[1].split("</table>", 1)[0]
    totals = re.sub(r' data-label="[^"]*"', "", totals)  # the column names a phone shows in each cell
    assert "<td>2024-01</td><td>USD</td><td>$21,000.00</td>" in totals  # 2,100 x $10, all of them
    assert "<td>2026-02</td><td>USD</td><td>$5.00</td><td>$1.00</td><td>$4.00</td>" in totals
    assert "<td>2026-03</td><td>USD</td><td>$7.00</td>" in totals
    assert "<td>2026-10</td><td>USD</td><td>$3.00</td>" in totals
    assert "<td>2026-11</td><td>USD</td><td>$4.00</td>" in totals


def test_the_csv_holds_every_payment_and_no_formula(app, make_practice, make_user):
    make_practice()
    patient = make_user("eve@example.com", full_name="=HYPERLINK(\"http://evil.example\",\"x\")")
    at = datetime(2025, 5, 5, 12, tzinfo=UTC)
    _payments(patient.id, [(at + timedelta(minutes=n), 1000, 0) for n in range(2005)])

    text = _practitioner(app).get("/practice/payments?format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2005
    assert {row["patient"] for row in rows} == {"'=HYPERLINK(\"http://evil.example\",\"x\")"}
