"""Consultation notes on the practitioner's appointment page: a draft she saves, then signs; corrections
for 24 hours after signing; then locked, with dated addenda only. Every read and write is audited, a
patient never reaches a note, and her note template changes new notes only."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.audit import AuditEvent
from app.models.notes import ConsultationNote
from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import post_form

UTC = timezone.utc
NOW = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
VISIT = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)  # an hour ago


pytestmark = pytest.mark.frozen_at(NOW)


@pytest.fixture
def visit(make_practice, make_user, make_appointment, frozen):
    _user, _profile, ct = make_practice()
    ada = make_user("ada@example.com", full_name="Ada Patient")
    return make_appointment(ct, ada, starts_at=VISIT)


@pytest.fixture
def dr(client, auth, visit):
    auth.login("dr@example.com", DEFAULT_PASSWORD)
    return client


def page_of(client, visit) -> str:
    response = client.get(f"/practice/appointments/{visit.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def write(client, visit, action="save", **sections):
    path = f"/practice/appointments/{visit.id}"
    return post_form(client, f"{path}/note", {**sections, "action": action}, token_from=path)


def the_note() -> ConsultationNote:
    db.session.rollback()
    return db.session.scalar(select(ConsultationNote))


def audits(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "consultation_note",
                                                            AuditEvent.action == action)))


def test_a_draft_is_saved_then_signed_with_the_soap_sections(dr, visit):
    html = page_of(dr, visit)
    for title in ("Subjective", "Objective", "Assessment", "Plan"):
        assert 'for="section-' in html and f">{title}</label>" in html
    assert write(dr, visit, **{"section-0": "Hives after meals", "section-3": "Start a diary"}).status_code == 303
    note = the_note()
    assert (note.status, note.signed_at, [s["text"] for s in note.sections]) == (
        "draft", None, ["Hives after meals", "", "", "Start a diary"])
    assert "Draft" in page_of(dr, visit)
    signed = write(dr, visit, "sign", **{"section-0": "Hives after meals", "section-3": "Start a diary"})
    assert signed.status_code == 303
    note = the_note()
    assert (note.status, note.signed_at) == ("signed", NOW)
    assert [a.detail["sections_changed"] for a in audits("update")] == [["Subjective", "Plan"]]
    assert len(audits("sign")) == 1


def test_a_signed_note_can_be_corrected_for_24_hours_then_only_addenda(dr, auth, visit, frozen):
    write(dr, visit, "sign", **{"section-3": "Start a diary"})
    frozen.shift(timedelta(hours=23))
    auth.login("dr@example.com", DEFAULT_PASSWORD)  # signed out meanwhile (automatic log-off)
    assert write(dr, visit, **{"section-3": "Start a diary and cetirizine"}).status_code == 303
    assert the_note().sections[3]["text"] == "Start a diary and cetirizine"
    assert audits("update")[-1].detail["after_signing"] is True
    frozen.shift(timedelta(hours=1))
    auth.login("dr@example.com", DEFAULT_PASSWORD)
    refused = write(dr, visit, **{"section-3": "Rewritten history"})
    assert refused.status_code == 409 and "locked" in refused.get_data(as_text=True)
    assert the_note().sections[3]["text"] == "Start a diary and cetirizine"
    html = page_of(dr, visit)
    assert "Locked" in html and 'name="section-3"' not in html
    path = f"/practice/appointments/{visit.id}"
    assert post_form(dr, f"{path}/note/addenda", {"text": "Tryptase came back 6.1"}, token_from=path).status_code == 303
    [addendum] = the_note().addenda
    assert (addendum.text, addendum.created_at) == ("Tryptase came back 6.1", NOW + timedelta(hours=24))
    assert "Tryptase came back 6.1" in page_of(dr, visit)


@pytest.mark.parametrize(("fields", "status", "message"), [
    ({"action": "sign"}, 422, "Write something in the note before you sign it"),
    ({"action": "publish", "section-0": "x"}, 422, "Choose to save the draft or to sign the note"),
    ({"action": "save", "section-0": "x" * 20_001}, 422, "at most 20,000 characters"),
])
def test_bad_note_input_is_refused_and_nothing_is_written(dr, visit, fields, status, message):
    path = f"/practice/appointments/{visit.id}"
    response = post_form(dr, f"{path}/note", fields, token_from=path)
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert the_note() is None


def test_an_addendum_needs_a_signed_note(dr, visit):
    path = f"/practice/appointments/{visit.id}"
    response = post_form(dr, f"{path}/note/addenda", {"text": "Too early"}, token_from=path)
    assert response.status_code == 409 and "Sign the note first" in response.get_data(as_text=True)


def test_reading_the_note_is_audited(dr, visit):
    write(dr, visit, **{"section-0": "Hives"})
    page_of(dr, visit)
    [viewed] = audits("view")
    assert (viewed.object_id, viewed.patient_id) == (str(the_note().id), visit.patient_id)


def test_the_next_visit_shows_the_previous_signed_note_and_a_draft_never(dr, visit, make_appointment):
    write(dr, visit, "sign", **{"section-3": "Low histamine trial for 4 weeks"})
    follow_up = make_appointment(visit.consultation_type, visit.patient_id, starts_at=VISIT + timedelta(days=28))
    html = page_of(dr, follow_up)
    previous = html[html.index('id="prep-previous-title"'):]
    assert "Low histamine trial for 4 weeks" in previous
    write(dr, follow_up, **{"section-3": "Draft plan"})
    third = make_appointment(visit.consultation_type, visit.patient_id, starts_at=VISIT + timedelta(days=56))
    html = page_of(dr, third)
    assert "Draft plan" not in html and "Low histamine trial for 4 weeks" in html


def test_a_patient_never_reaches_a_note(client, auth, dr, visit):
    write(dr, visit, "sign", **{"section-0": "Confidential assessment"})
    auth.logout()
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    assert "Confidential assessment" not in client.get(f"/account/appointments/{visit.id}").get_data(as_text=True)
    assert client.get(f"/practice/appointments/{visit.id}").status_code == 403
    path = f"/account/appointments/{visit.id}"
    assert post_form(client, f"/practice/appointments/{visit.id}/note", {"section-0": "x"}, token_from=path
                     ).status_code == 403


def test_her_template_shapes_new_notes_and_leaves_started_ones_alone(dr, visit, make_appointment):
    write(dr, visit, **{"section-0": "Started with SOAP"})
    response = post_form(dr, "/practice/note-template", {"sections": "Story\nTriggers\nPlan"})
    assert response.status_code == 303
    assert [s["title"] for s in the_note().sections] == ["Subjective", "Objective", "Assessment", "Plan"]
    later = make_appointment(visit.consultation_type, visit.patient_id, starts_at=VISIT + timedelta(days=7))
    html = page_of(dr, later)
    assert ">Story</label>" in html and ">Triggers</label>" in html and ">Subjective</label>" not in html


@pytest.mark.parametrize(("sections", "message"), [
    ("", "Give at least one section"),
    ("\n".join(f"S{n}" for n in range(13)), "at most 12 sections"),
    ("Plan\nplan", "Each section needs its own title"),
    ("x" * 81, "at most 80 characters"),
])
def test_a_bad_template_is_refused_with_a_message(dr, sections, message):
    response = post_form(dr, "/practice/note-template", {"sections": sections})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
