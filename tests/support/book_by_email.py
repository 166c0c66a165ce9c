"""Booking by email as a visitor does it (tests/integration/test_book_by_email*.py): her details for Thursday
10:00 in New York, then the emailed code."""
from __future__ import annotations

from datetime import datetime, timezone

from tests.support.visitors import Visitor
from tests.support.web import csrf_from

THURSDAY_10 = datetime(2026, 12, 3, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York, 15:00 in London
DETAILS = {"full_name": "Ada Lovelace", "email": "Ada@Example.com", "consent": "y",
           "start": f"{THURSDAY_10:%Y-%m-%dT%H:%M:%SZ}", "tz": "Europe/London"}


def give_details(visitor: Visitor, **changes):
    return visitor.post("/book/initial/details", {**DETAILS, **changes})


def enter_code(visitor: Visitor, code: str):
    token = csrf_from(visitor.client.get("/book/initial/code").get_data(as_text=True))
    return visitor.client.post("/book/initial/code", data={"code": code, "csrf_token": token})
