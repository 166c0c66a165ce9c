"""Booking with name and email when payments are on (issue 21 points 3 and 5): the code page says she pays
now and its button goes on to Stripe Checkout (tests/support/fakestripe.py), the time held while she pays."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models.accounts import find_user_by_email
from app.models.scheduling import Appointment
from tests.support.book_by_email import DETAILS, enter_code, give_details
from tests.support.verification import emailed_code
from tests.support.visitors import Visitor

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


pytestmark = pytest.mark.payments  # payments on, against the fake Stripe server


def test_with_payments_on_the_code_leads_to_stripe_with_the_time_held(app, make_practice, mailbox, fake_stripe):
    with time_machine.travel(NOW, tick=True):
        make_practice()
        visitor = Visitor(app, None)
        give_details(visitor)
        page = visitor.client.get("/book/initial/code").get_data(as_text=True)
        assert "Continue to payment: $300.00" in page and "You pay <strong>$300.00</strong> next" in page
        answer = enter_code(visitor, emailed_code(mailbox, "ada@example.com"))
        assert answer.status_code == 303 and answer.headers["Location"].startswith(fake_stripe.url)
        db.session.commit()
        held = db.session.scalars(select(Appointment)).one()
        assert held.status == "pending_payment" and held.patient_id == find_user_by_email("ada@example.com").id
        assert held.starts_at.isoformat().startswith(DETAILS["start"][:16])
