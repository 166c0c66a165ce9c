"""One kind of refusal (app/refusals.py) and its one handler (app/web/errors.py): a refusal that leaves a view
is answered with its status and message (the error page, or the API's JSON error under /api/), and nothing the
request wrote before it is kept."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import time_machine
from flask import jsonify
from sqlalchemy import func, select

from app.extensions import csrf, db
from app.models.accounts import User
from app.models.audit import AuditEvent
from app.models.notes import ConsultationNote
from app.notes import service as notes
from app.refusals import Refusal
from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import post_form

UTC = timezone.utc
NOW = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)


class PlanFrozen(Refusal):
    status = 409
    code = "plan_frozen"


@pytest.fixture
def halfway_routes(app):
    """A page and an API endpoint that write a row, then refuse (registered before the app's first request)."""
    def refuse_halfway(kind: str):
        db.session.add(User(email=f"half-{kind}@example.com", full_name="Half Written", password_hash="x",
                            role="patient", timezone="UTC"))
        db.session.flush()
        if kind == "coded":
            raise PlanFrozen("The plan is frozen until the review.")
        raise Refusal("That cannot be done now.", 409)

    def api_view(kind: str):
        refuse_halfway(kind)
        return jsonify({"done": True})

    def page_view(kind: str):
        refuse_halfway(kind)
        return "done"

    @app.after_request
    def commit_later(response):
        # Whatever commits later in the same request (app/web/sessions.py commits a session's last-seen
        # time when it first loads the user) must find the refused attempt already rolled back.
        db.session.commit()
        return response

    app.add_url_rule("/api/v1/test-refusal/<kind>", "test_refusal_api", csrf.exempt(api_view), methods=["POST"])
    app.add_url_rule("/test-refusal/<kind>", "test_refusal_page", csrf.exempt(page_view), methods=["POST"])
    return app


def half_written() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(User).where(User.full_name == "Half Written"))


@pytest.mark.parametrize(("kind", "status", "code", "message"), [
    ("plain", 409, "conflict", "That cannot be done now."),  # the status's own code, as error_response gives
    ("coded", 409, "plan_frozen", "The plan is frozen until the review."),
])
def test_a_refusal_under_the_api_is_its_json_error_and_nothing_is_written(halfway_routes, client, kind, status, code,
                                                                           message):
    response = client.post(f"/api/v1/test-refusal/{kind}")
    assert response.status_code == status
    assert response.get_json() == {"error": {"code": code, "message": message}}
    assert half_written() == 0


def test_a_refusal_on_a_page_is_the_error_page_with_its_message_and_nothing_is_written(halfway_routes, client):
    response = client.post("/test-refusal/plain")
    assert response.status_code == 409
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1>Conflict</h1>" in page and "That cannot be done now." in page and "Error 409." in page
    assert half_written() == 0


def test_a_refusal_after_a_real_view_wrote_keeps_nothing_of_it(client, auth, make_practice, make_user,
                                                               make_appointment, monkeypatch):
    """The note view no longer catches refusals: one raised after the note and its audit row were written
    answers the error page, and neither row is kept."""
    with time_machine.travel(NOW, tick=False):
        _dr, _profile, ct = make_practice()
        visit = make_appointment(ct, make_user("ada@example.com"), starts_at=datetime(2026, 12, 8, 14, tzinfo=UTC))
        real_save = notes.save

        def save_then_refuse(*args, **kwargs):
            real_save(*args, **kwargs)
            raise notes.NoteRefused("The note could not be kept.", 409)

        monkeypatch.setattr(notes, "save", save_then_refuse)
        auth.login("dr@example.com", DEFAULT_PASSWORD)
        path = f"/practice/appointments/{visit.id}"
        response = post_form(client, f"{path}/note", {"section-0": "Hives after meals", "action": "save"},
                             token_from=path)
    assert response.status_code == 409
    assert "The note could not be kept." in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ConsultationNote)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "consultation_note")) == 0
