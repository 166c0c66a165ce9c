"""Lab files in shared storage (issue 12): two app instances with their own upload folders over one
database serve the same files, the export carries the bytes, and after erasure no copy is left in the
database (its files, or a pg_dump) nor in either upload folder."""
from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import LargeBinary, select
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from app.models.intake import LabUpload
from app.models.storage import StoredFile
from tests.conftest import DEFAULT_PASSWORD, IsolatedClient
from tests.support.privacy import login, upload
from tests.support.web import post_form


@pytest.fixture
def app_config(app_config, tmp_path):
    """Host A's own upload folder (host B, `other_host`, has another beside it)."""
    return {**app_config, "UPLOAD_FOLDER": str(tmp_path / "host-a")}


@pytest.fixture
def other_host(app_config, tmp_path):
    """A second web server: its own app and upload folder, the same database."""
    other = create_app({**app_config, "UPLOAD_FOLDER": str(tmp_path / "host-b")})
    other.test_client_class = IsolatedClient
    yield other
    with other.app_context():
        db.engine.dispose()


@pytest.fixture
def content() -> bytes:
    # A real PDF header, then bytes that occur nowhere else, to grep for.
    return b"%PDF-1.7\n" + secrets.token_hex(24).encode() + b"\n%%EOF\n"


@pytest.fixture
def ada(make_user):
    return make_user("ada@example.com")


def _client(app_):
    client = app_.test_client()
    assert login(client, "ada@example.com").status_code == 303
    return client


def test_a_file_uploaded_on_one_host_downloads_and_exports_on_the_other(app, other_host, ada, content, tmp_path):
    here, there = _client(app), _client(other_host)
    assert upload(here, content, "tryptase.pdf").status_code == 303
    upload_id = db.session.scalar(select(LabUpload.id))

    download = there.get(f"/account/lab-results/{upload_id}")
    assert download.status_code == 200 and download.data == content

    exported = post_form(there, "/account/export", {})
    archive = zipfile.ZipFile(io.BytesIO(exported.data))
    [listed] = json.loads(archive.read("data.json"))["lab_results"]
    assert listed["file"] is not None and archive.read(listed["file"]) == content
    assert not any(p.is_file() for p in tmp_path.rglob("*") if "host-" in str(p))  # no host keeps its own copy


def test_after_erasure_no_copy_of_the_file_is_left_anywhere(app, other_host, ada, content, tmp_path):
    here, there = _client(app), _client(other_host)
    assert upload(here, content, "tryptase.pdf").status_code == 303
    assert db.session.scalar(select(StoredFile.content)) == content  # it was stored, so absence below means erased
    db.session.remove()  # this test's own session holds nothing open

    assert post_form(there, "/account/delete", {"password": DEFAULT_PASSWORD}).status_code == 303

    marker = content[9:57]  # the random part
    needles = (marker, marker.hex().encode())  # raw (SQLite, storage) or hex (bytea in pg_dump)
    for dump_name, dump in _database_dumps(app):
        assert not any(n in dump for n in needles), f"the erased file's bytes are still in {dump_name}"
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes(), path


def _database_dumps(app_) -> list[tuple[str, bytes]]:
    url = make_url(app_.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        base = Path(url.database)
        return [(p.name, p.read_bytes()) for p in (base, Path(f"{base}-wal"), Path(f"{base}-shm")) if p.exists()]
    pg_dump = shutil.which("pg_dump")
    if pg_dump:
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        dump = subprocess.run([pg_dump, "--data-only", plain], capture_output=True, check=True, timeout=60,
                              env={**os.environ}).stdout
        return [("pg_dump", dump)]
    dumps = []  # no pg_dump here: every bytea column of every table
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, LargeBinary):
                values = db.session.scalars(select(column)).all()
                dumps.append((f"{table.name}.{column.name}", b"".join(v or b"" for v in values)))
    return dumps


def test_files_left_in_an_upload_folder_are_copied_in_once(app, ada, content):
    from app.clock import utcnow

    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True)
    (folder / "0123abcd.pdf").write_bytes(content)
    db.session.add_all([LabUpload(patient_id=ada.id, stored_name=name, original_name="old.pdf",
                                  content_type="application/pdf", size_bytes=len(content), sha256="-",
                                  created_at=utcnow()) for name in ("0123abcd.pdf", "elsewhere.pdf")])
    db.session.commit()
    first = app.test_cli_runner().invoke(args=["import-uploads"])
    assert "copied 1 file(s)" in first.output and "1 listed file(s) are not on this host" in first.output
    db.session.expire_all()
    assert db.session.get(StoredFile, "0123abcd.pdf").content == content
    assert "copied 0 file(s)" in app.test_cli_runner().invoke(args=["import-uploads"]).output
