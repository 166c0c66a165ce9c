"""Who she is booking with: the home page and /book show the practitioner from her profile (name, the
photo she uploads, credentials, bio), prices per consultation type, the practice's contact details and
a link to the privacy notice she edits; every page has a meta description; an empty practice still
answers 200 and reads sensibly."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models.scheduling import PractitionerProfile
from app.models.storage import StoredFile
from tests.conftest import DEFAULT_PASSWORD
from tests.support.web import csrf_token, post_form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
META = re.compile(r'<meta name="description" content="([^"]+)">')
POLICY = {"display_name": "Dr Maya Test", "credentials": "MD, IFMCP", "timezone": "America/New_York",
          "bio": "I treat mast cell disorders.\n\nI trained at St Elsewhere.", "contact_email": "hello@clinic.example",
          "contact_phone": "+1 212 555 0100", "cancellation_notice_hours": "48", "reschedule_notice_hours": "24",
          "max_reschedules": "2", "late_cancel_refund_percent": "0"}


def description(html: str) -> str:
    match = META.search(html)
    assert match, "no meta description"
    return match.group(1)


@pytest.fixture
def dr(app, make_practice):
    make_practice(description="A first look at your history.")
    practitioner = app.test_client()
    post_form(practitioner, "/auth/login", {"email": "dr@example.com", "password": DEFAULT_PASSWORD})
    return practitioner


def profile() -> PractitionerProfile:
    db.session.rollback()
    return db.session.scalar(select(PractitionerProfile))


def upload(dr, content: bytes, name: str):
    """POST the file as a browser would, the body encoded in memory (the test client would spool a large
    one to a temporary file it never closes)."""
    token = csrf_token(dr, "/practice/policy")
    boundary, body = encode_multipart({"csrf_token": token, "photo": FileStorage(io.BytesIO(content), filename=name)})
    return dr.post("/practice/profile/photo", data=body, content_type=f'multipart/form-data; boundary="{boundary}"')


@pytest.mark.parametrize("path", ["/", "/book", "/privacy-notice"])
def test_pages_answer_on_an_empty_database_with_a_description(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert len(description(html)) > 50
    assert "None" not in html and "Your practitioner" not in html


def test_the_privacy_notice_says_when_there_is_none_yet(client, make_practice):
    make_practice()
    html = client.get("/privacy-notice").get_data(as_text=True)
    assert "The practice has not published its privacy notice here yet." in html
    assert 'href="mailto:dr@example.com"' in html  # who to ask meanwhile: her sign-in address


def test_a_practice_with_an_empty_profile_reads_sensibly(client, make_practice):
    make_practice()  # a name from her account; no credentials, bio, photo, contact or notice
    for path in ("/", "/book"):
        html = client.get(path).get_data(as_text=True)
        assert "Your practitioner: Dr Maya Test</h2>" in html
        assert 'href="mailto:dr@example.com"' in html and "tel:" not in html and "<img" not in html
        assert 'href="/privacy-notice"' in html
        assert "None" not in html
    home = client.get("/").get_data(as_text=True)
    assert "Initial consultation</a>: 60 minutes, video call, <strong>$300.00</strong>" in home


def test_her_profile_shows_on_home_and_book_with_prices_and_contact(client, dr):
    assert post_form(dr, "/practice/policy", POLICY).status_code == 303
    home = client.get("/").get_data(as_text=True)
    book = client.get("/book").get_data(as_text=True)
    for html in (home, book):
        assert "Your practitioner: Dr Maya Test, MD, IFMCP</h2>" in html
        assert "<p>I treat mast cell disorders.</p>" in html and "<p>I trained at St Elsewhere.</p>" in html
        assert 'href="mailto:hello@clinic.example"' in html and 'href="tel:+12125550100"' in html
        assert 'href="/privacy-notice"' in html
    assert "<strong>$300.00</strong>" in home  # the price per type (on /book the type list shows it)
    assert "$300.00" in book
    assert "with Dr Maya Test, MD, IFMCP" in description(home) and "with Dr Maya Test, MD, IFMCP" in description(book)


def test_the_privacy_notice_she_writes_is_published_sanitised(client, dr):
    notice = "# How we use your data\n\nWe keep **clinical records**.<script>alert(1)</script>\n\n" \
             "[Contact us](javascript:alert(2))"
    assert post_form(dr, "/practice/policy", {**POLICY, "privacy_notice": notice}).status_code == 303
    html = client.get("/privacy-notice").get_data(as_text=True)
    assert "<h2>How we use your data</h2>" in html and "<strong>clinical records</strong>" in html
    assert "<script" not in html.split('<div class="prose">')[1] and "alert(1)" not in html
    assert 'href="javascript' not in html  # the link is refused: it stays as plain text
    assert "collects, uses and keeps your personal and health information" in description(html)
    assert "has not published" not in html


def test_a_photo_she_uploads_is_shown_and_served_with_its_type(client, dr):
    assert upload(dr, PNG, "me.png").status_code == 303
    key = profile().photo_key
    home = client.get("/").get_data(as_text=True)
    assert f'src="/practitioner/photo/{key}" alt="Photo of Dr Maya Test"' in home
    assert f'src="/practitioner/photo/{key}"' in client.get("/book").get_data(as_text=True)
    photo = client.get(f"/practitioner/photo/{key}")
    assert photo.status_code == 200 and photo.data == PNG
    assert photo.mimetype == "image/png" and photo.headers["X-Content-Type-Options"] == "nosniff"


def test_a_new_photo_replaces_the_old_one_and_its_bytes(client, dr):
    upload(dr, PNG, "me.png")
    old = profile().photo_key
    assert upload(dr, JPEG, "me.jpg").status_code == 303
    new = profile()
    assert new.photo_key != old and new.photo_type == "image/jpeg"
    assert client.get(f"/practitioner/photo/{old}").status_code == 404
    assert db.session.get(StoredFile, old) is None
    assert client.get(f"/practitioner/photo/{new.photo_key}").mimetype == "image/jpeg"


@pytest.mark.parametrize("content, name, status, message", [
    (b"%PDF-1.7 a lab report", "me.png", 422, "is not a PNG or JPEG image"),  # the name says PNG; the bytes do not
    (b"<svg onload=alert(1)>", "me.svg", 422, "is not a PNG or JPEG image"),
    (b"", "me.png", 422, "That file is empty"),
    (PNG + b"\x00" * (2 * 1024 * 1024), "big.png", 413, "larger than 2 MB"),
])
def test_a_photo_that_is_not_an_image_or_too_large_is_refused_and_keeps_the_old(client, dr, content, name, status,
                                                                                 message):
    upload(dr, PNG, "me.png")
    before = profile().photo_key
    response = upload(dr, content, name)
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert profile().photo_key == before
    assert db.session.scalar(select(StoredFile.key).where(StoredFile.key != before)) is None  # nothing half-written


def test_removing_the_photo(client, dr):
    upload(dr, PNG, "me.png")
    key = profile().photo_key
    assert post_form(dr, "/practice/profile/photo/delete", {}, token_from="/practice/policy").status_code == 303
    assert profile().photo_key is None and client.get(f"/practitioner/photo/{key}").status_code == 404
    assert "<img" not in client.get("/").get_data(as_text=True)


def test_a_patient_cannot_change_the_photo(client, dr, make_user, auth):
    make_user("ada@example.com")
    auth.login("ada@example.com", DEFAULT_PASSWORD)
    response = post_form(client, "/practice/profile/photo", {"photo": (io.BytesIO(PNG), "me.png")},
                         token_from="/account", content_type="multipart/form-data")
    assert response.status_code == 403 and profile().photo_key is None


@pytest.mark.parametrize("path", ["/", "/book", "/privacy-notice", "/courses", "/auth/login", "/auth/register",
                                  "/book/safety"])
def test_every_public_page_has_a_meta_description(client, make_practice, path):
    make_practice()
    response = client.get(path)
    assert response.status_code == 200
    assert len(description(response.get_data(as_text=True))) > 50
