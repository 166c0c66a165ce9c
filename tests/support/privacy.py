"""Factories shared by the privacy tests. Each kind of data is
made the way the app makes it: bookings through the booking service (Stripe-paid ones through the API
in test_privacy_erasure), enrolment with the course tests' factory, and intake steps, check-ins, lab
uploads, lesson progress, notes, payments and refunds through the real pages."""
from __future__ import annotations

import io
import re
from datetime import datetime, timezone

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.clock import utcnow
from app.models.scheduling import Appointment
from tests.conftest import DEFAULT_PASSWORD
from tests.support.courses import build_course, enrol, lesson_url
from tests.support.web import csrf_token, post_confirmed, post_form

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # a Tuesday
WEDNESDAY_10 = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York
THURSDAY_10 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 64

# Words that exist only in Ada's health data and notes, so a page or file can be searched for them.
NOTE = "Please use the side entrance"
PRACTITIONER_NOTE = "Tryptase follow-up, consider cromolyn"
REFUND_REASON = "Goodwill: reaction to latex gloves"
INTAKE_STEPS = {
    "about": {"date_of_birth": "1984-06-01", "sex_at_birth": "female", "emergency_contact_name": "Sam Doe",
              "emergency_contact_phone": "020 7946 0000", "heard_about_us": "friend"},
    "symptoms": {"sym_skin_hives.severity": "4", "sym_skin_hives.frequency": "daily",
                 "sym_gi_pain.severity": "3", "sym_gi_pain.frequency": "weekly"},
    "triggers": {"symptom_triggers": ["mould", "smells"], "symptom_triggers.detail": "Perfume"},
    "reactions": {"episodes_sudden_together": "no", "past_anaphylaxis": "yes", "carries_epinephrine": "yes",
                  "has_allergies": "no"},
    "history": {"liver_kidney": ["none"]},
    "medicines": {"opioid_use": "no", "opioid_recent": "no", "heart_bp_medicines": ["neither"], "ldn_takes": "yes",
                  "ldn_dose": "1.5",
                  "ldn_timing": "bedtime", "medications-0-name": "Cetirizine", "medications-0-dose": "10 mg",
                  "antihistamines_h1": "Cetirizine"},
    "lifestyle": {"low_histamine_diet": "now", "low_histamine_diet_effect": "much_better"},
    "goals": {"consultation_goals": "Fewer flares"},
    "visit": {"visit_sensitivities": ["fragrance_free", "latex"]},
}
CHECK_IN = {"sym_skin_hives.severity": "2", "sym_skin_hives.frequency": "weekly",
            "medication_changes-0-medicine": "Ketotifen", "medication_changes-0-change": "started"}


def login(client, email: str, password: str = DEFAULT_PASSWORD):
    return post_form(client, "/auth/login", {"email": email, "password": password})


def fill_intake(client, appointment: Appointment) -> None:
    for step, data in INTAKE_STEPS.items():
        response = post_form(client, f"/account/intake/{appointment.id}/{step}", {**data, "action": "next"})
        assert response.status_code == 303, step


def send_check_in(client) -> None:
    assert post_form(client, "/account/symptoms/check-in", CHECK_IN).status_code == 303


def upload(client, content: bytes, name: str, content_type: str = "application/pdf"):
    """POST a file as a browser would (encoded here, in memory)."""
    token = csrf_token(client, "/account/lab-results")
    boundary, body = encode_multipart({"csrf_token": token, "file": FileStorage(io.BytesIO(content), filename=name,
                                                                                content_type=content_type)})
    response = client.post("/account/lab-results", data=body,
                           content_type=f'multipart/form-data; boundary="{boundary}"')
    assert response.status_code == 303
    return response


def take_course(client, patient):
    """Enrolled, one lesson opened and one completed."""
    course = build_course()
    enrol(patient, course, at=utcnow())
    client.get(lesson_url("what-histamine-is"))
    assert post_form(client, f"{lesson_url('mast-cells')}/complete", {},
                     token_from=lesson_url("mast-cells")).status_code == 303
    return course


def write_notes(dr, appointment: Appointment, text: str = PRACTITIONER_NOTE) -> None:
    path = f"/practice/appointments/{appointment.id}"
    assert post_form(dr, f"{path}/note", {"section-3": text, "action": "sign"}, token_from=path).status_code == 303


def pay_by_hand_and_refund_part(dr, appointment: Appointment) -> None:
    """The practitioner records a cash payment of 300.00 and refunds 50.00 with a reason of her own."""
    path = f"/practice/appointments/{appointment.id}"
    assert post_form(dr, f"{path}/payments", {"amount": "300.00", "method": "cash"}, token_from=path).status_code == 303
    assert post_confirmed(dr, f"{path}/refund", {"amount": "50.00", "reason": REFUND_REASON},
                          token_from=path).status_code == 303


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
