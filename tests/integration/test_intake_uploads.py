"""Lab result uploads: the type comes from the content, sizes and counts are limited, a refused file
leaves nothing behind, and files go only to their patient and the practitioner, as no-store attachments."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.extensions import db
from app.intake.uploads import MAX_BYTES, MAX_FILES
from app.models.audit import AuditEvent
from app.models.intake import LabUpload
from app.models.scheduling import Appointment
from app.models.storage import StoredFile
from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import csrf_token, post_form

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


@pytest.fixture
def app_config(app_config, tmp_path):
    """Uploads in this test's own folder, so a test can see every file written (or none left behind)."""
    return {**app_config, "UPLOAD_FOLDER": str(tmp_path / "uploads")}


@pytest.fixture
def folder(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])


@pytest.fixture
def patient(make_user, auth):
    user = make_user("ada@example.com")
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    return user


def upload(client, content: bytes, name: str, content_type: str = "application/pdf"):
    """POST the file as a browser would. The body is encoded here, in memory: the test client would spool a
    large one to a temporary file it never closes."""
    token = csrf_token(client, "/account/lab-results")
    boundary, body = encode_multipart({"csrf_token": token, "file": FileStorage(io.BytesIO(content), filename=name,
                                                                                content_type=content_type)})
    return client.post("/account/lab-results", data=body, content_type=f'multipart/form-data; boundary="{boundary}"')


def stored(folder: Path) -> list[str]:
    """The keys in shared storage; nothing is ever written to the host's upload folder."""
    assert not folder.exists() or list(folder.iterdir()) == []
    db.session.expire_all()
    return sorted(db.session.scalars(select(StoredFile.key)))


def rows() -> list[LabUpload]:
    db.session.expire_all()
    return list(db.session.scalars(select(LabUpload).order_by(LabUpload.id)))


def test_a_pdf_is_stored_under_a_random_name_outside_public_folders(client, patient, folder):
    response = upload(client, PDF, "tryptase March.pdf")
    assert response.status_code == 303
    [row] = rows()
    assert (row.original_name, row.content_type, row.size_bytes) == ("tryptase March.pdf", "application/pdf", len(PDF))
    assert stored(folder) == [row.stored_name]
    assert "tryptase" not in row.stored_name and len(row.stored_name) == 36
    assert db.session.get(StoredFile, row.stored_name).content == PDF
    assert "tryptase March.pdf" in client.get("/account/lab-results").get_data(as_text=True)


def test_the_owner_downloads_it_as_an_attachment_that_is_not_cached_or_sniffed(client, patient):
    upload(client, PNG, "rash.png", "image/png")
    [row] = rows()
    response = client.get(f"/account/lab-results/{row.id}")
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Disposition"] == "attachment; filename=rash.png"
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_type_comes_from_the_content_not_the_name_or_the_browser(client, patient):
    assert upload(client, JPEG, "scan.pdf", "application/pdf").status_code == 303
    assert rows()[0].content_type == "image/jpeg"


@pytest.mark.parametrize(("content", "name", "content_type"), [
    (b"This is just text pretending to be a report.\n", "report.pdf", "application/pdf"),
    (b"<html><script>alert(1)</script></html>", "labs.png", "image/png"),
    (b"GIF89a" + b"\x00" * 32, "scan.jpg", "image/jpeg"),
])
def test_a_spoofed_file_is_refused_with_a_clear_message_and_nothing_is_stored(client, patient, folder, content,
                                                                              name, content_type):
    response = upload(client, content, name, content_type)
    assert response.status_code == 422
    assert "is not a PDF, PNG or JPEG (we check the file itself, not its name)" in response.get_data(as_text=True)
    assert rows() == [] and stored(folder) == []


def test_a_file_over_10_mb_is_refused_and_nothing_is_stored(client, patient, folder):
    response = upload(client, PDF + b"0" * (MAX_BYTES - len(PDF) + 1), "big.pdf")
    assert response.status_code == 413
    assert "larger than 10 MB" in response.get_data(as_text=True)
    assert rows() == [] and stored(folder) == []


def test_a_file_of_exactly_10_mb_is_accepted(client, patient):
    assert upload(client, PDF + b"0" * (MAX_BYTES - len(PDF)), "exactly.pdf").status_code == 303
    assert rows()[0].size_bytes == MAX_BYTES


def test_a_request_over_the_server_limit_gets_a_friendly_page_and_nothing_is_stored(client, patient, folder):
    response = upload(client, PDF + b"0" * (12 * 1024 * 1024), "huge.pdf")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "each file can be at most 10 MB" in page and "<h1>Lab results</h1>" in page
    assert rows() == [] and stored(folder) == []


def test_an_empty_or_missing_file_is_refused(client, patient):
    assert upload(client, b"", "empty.pdf").status_code == 422
    assert post_form(client, "/account/lab-results", {}).status_code == 422
    assert rows() == []


def test_at_most_20_files_are_kept(client, patient, folder):
    for n in range(MAX_FILES):
        assert upload(client, PDF, f"report-{n}.pdf").status_code == 303
    response = upload(client, PDF, "one-too-many.pdf")
    assert response.status_code == 422
    assert "at most 20 files" in response.get_data(as_text=True)
    assert len(rows()) == MAX_FILES and len(stored(folder)) == MAX_FILES


def test_deleting_a_file_removes_the_row_and_the_stored_file(client, patient, folder):
    upload(client, PDF, "old.pdf")
    [row] = rows()
    assert post_form(client, f"/account/lab-results/{row.id}/delete", {},
                     token_from="/account/lab-results").status_code == 303
    assert rows() == [] and stored(folder) == []


def test_another_patients_file_is_404(app, client, patient, make_user):
    upload(client, PDF, "mine.pdf")
    [row] = rows()
    make_user("bea@example.com")
    other = app.test_client()
    post_form(other, "/auth/login", {"email": "bea@example.com", "password": DEFAULT_PASSWORD})
    assert other.get(f"/account/lab-results/{row.id}").status_code == 404
    assert post_form(other, f"/account/lab-results/{row.id}/delete", {}, token_from="/account").status_code == 404
    assert len(rows()) == 1


def test_the_practitioner_downloads_her_patients_file_and_the_read_is_audited(app, client, patient, make_practice):
    _, profile, ct = make_practice()
    start = datetime(2030, 1, 7, 15, 0, tzinfo=timezone.utc)
    db.session.add(Appointment(patient_id=patient.id, practitioner_id=profile.id, consultation_type_id=ct.id,
                               starts_at=start, ends_at=start + timedelta(hours=1), blocked_start=start,
                               blocked_end=start + timedelta(hours=1), status="confirmed", price_minor=30000,
                               currency="usd", patient_timezone="Europe/London"))
    db.session.commit()
    upload(client, PDF, "labs.pdf")
    [row] = rows()
    dr = app.test_client()
    post_form(dr, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    response = dr.get(f"/practice/patients/{patient.id}/lab-results/{row.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "view", AuditEvent.object_type == "lab_upload", AuditEvent.object_id == str(row.id),
        AuditEvent.patient_id == patient.id)) == 1
    assert dr.get(f"/practice/patients/{patient.id + 100}/lab-results/{row.id}").status_code == 404
