"""Migrations, health check, error pages, email delivery and the CLI."""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text

from app import create_app
from app.extensions import db
from app.models.notify import OutboxMessage
from tests.support.web import post_form


@pytest.fixture
def empty_database_url(database_url):
    """A brand-new empty database of the same kind as the suite's."""
    if database_url.startswith("sqlite"):
        path = database_url.replace("sqlite:///", "")
        fresh = f"sqlite:///{os.path.dirname(path)}/fresh-{uuid.uuid4().hex}.sqlite3"
        yield fresh
        return
    name = f"fresh_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = database_url.rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_from_empty_database_produce_exactly_the_models_schema(app_config, empty_database_url):
    from flask_migrate import upgrade

    fresh = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with fresh.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_migration_gives_each_earlier_practitioner_her_profile(app_config, empty_database_url):
    """Accounts made before profiles came with the account got theirs on a first page view; the
    migration makes the missing ones (with her name and zone), for practitioners only, and only once."""
    from flask_migrate import downgrade, upgrade

    fresh = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with fresh.app_context():
        upgrade(revision="c1400000001")
        with db.engine.begin() as conn:
            for email, name, role, zone in (("dr@example.org", "Dr A", "practitioner", "Europe/London"),
                                            ("p@example.org", "Pat", "patient", "UTC")):
                conn.execute(text("INSERT INTO users (email, full_name, password_hash, role, timezone, "
                                  "email_opt_out, created_at) VALUES (:e, :n, 'x', :r, :z, false, "
                                  "CURRENT_TIMESTAMP)"), {"e": email, "n": name, "r": role, "z": zone})
        upgrade()
        downgrade(revision="c1400000001")
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT u.email, p.display_name, p.timezone, p.cancellation_notice_hours FROM practitioner_profiles p "
                "JOIN users u ON u.id = p.user_id")).all()
        db.engine.dispose()
    assert [tuple(row) for row in rows] == [("dr@example.org", "Dr A", "Europe/London", 48)]


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    # The head: the one revision no other migration revises.
    sources = [p.read_text() for p in Path("migrations/versions").glob("*.py")]
    revisions = {re.search(r"^revision = '(\w+)'", s, re.M).group(1) for s in sources}
    revised = {m.group(1) for s in sources for m in [re.search(r"^down_revision = '(\w+)'", s, re.M)] if m}
    [head] = revisions - revised
    assert response.get_json() == {"status": "ok", "migration": {"database": head, "code": head},
                                   "queue": {"last_periodic_run": None}}


def test_healthz_is_503_when_the_database_is_unreachable(app_config):
    unreachable = ("postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=1")
    down = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": unreachable})
    response = down.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] != "ok"


def test_pages_answer_a_friendly_503_when_the_database_is_unreachable(app_config):
    unreachable = ("postgresql+psycopg://postgres@127.0.0.1:1/nothing?connect_timeout=1")
    down = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": unreachable})
    # Logging in must read the database: a valid form (with its CSRF token) reaches that read.
    response = post_form(down.test_client(), "/auth/login", {"email": "ada@example.com", "password": "x" * 12})
    assert response.status_code == 503
    assert "reach our database right now" in response.get_data(as_text=True)


@pytest.mark.parametrize(("path", "status"), [("/no-such-page", 404), ("/api/v1/no-such-thing", 404)])
def test_not_found_is_a_page_for_people_and_json_for_the_api(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    if path.startswith("/api/"):
        body = response.get_json()
        assert body == {"error": {"code": "not_found", "message": body["error"]["message"]}}
    else:
        assert "find that page" in response.get_data(as_text=True)


def test_method_not_allowed_is_405(client):
    assert client.put("/").status_code == 405
    assert client.delete("/api/v1/openapi.json").get_json()["error"]["code"] == "method_not_allowed"


def test_unexpected_error_is_a_500_page_and_the_session_is_rolled_back(app, client):
    from app.models.accounts import User

    @app.get("/boom-for-test")
    def boom():
        db.session.add(User(email="half@example.com", full_name="Half", password_hash="x"))
        db.session.flush()
        raise RuntimeError("boom")

    response = client.get("/boom-for-test")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "half@example.com")) is None


def test_queued_email_is_sent_only_after_commit(app, mailbox):
    from app.notify.mail import deliver_committed, queue_email

    with app.test_request_context():
        queue_email("ada@example.com", "password_reset", subject="Rolled back", user=_FakeUser(), reset_path="/x")
        db.session.flush()
        db.session.rollback()
        assert deliver_committed() == 0
        queue_email("ada@example.com", "password_reset", subject="Committed", user=_FakeUser(), reset_path="/x")
        db.session.commit()
        assert deliver_committed() == 1
    messages = mailbox.wait_for("ada@example.com")
    assert [m["Subject"] for m in messages] == ["Committed"]
    assert messages[0].get_body(preferencelist=("html",)) is not None


def test_smtp_down_keeps_the_message_and_a_later_run_delivers_it_once(app, mailbox):
    from app.notify.mail import deliver_committed, deliver_due, queue_email

    working_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    with app.test_request_context():
        queue_email("ada@example.com", "password_reset", subject="Retry me", user=_FakeUser(), reset_path="/x")
        db.session.commit()
        assert deliver_committed() == 0
    message = db.session.scalar(select(OutboxMessage))
    assert message.sent_at is None and message.attempts == 1 and message.last_error
    app.config["MAIL_PORT"] = working_port
    import time_machine

    with time_machine.travel(message.next_attempt_at, tick=False):
        assert deliver_due() == (1, 0)
        assert deliver_due() == (0, 0)
    assert len(mailbox.wait_for("ada@example.com")) == 1


class _FakeUser:
    full_name = "Ada Patient"


def test_create_practitioner_command(app):
    from app.models.accounts import User

    result = app.test_cli_runner().invoke(
        args=["create-practitioner", "--email", "Dr@Example.com", "--name", "Dr Who", "--timezone",
              "Europe/Paris", "--password-stdin"], input="a strong practitioner passphrase\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert (user.email, user.role, user.timezone) == ("dr@example.com", "practitioner", "Europe/Paris")


def test_create_practitioner_refuses_weak_password_and_unknown_zone(app):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["create-practitioner", "--email", "dr@example.com", "--name", "Dr",
                               "--password-stdin"], input="short\n")
    assert weak.exit_code != 0 and "at least 10" in weak.output
    zone = runner.invoke(args=["create-practitioner", "--email", "dr@example.com", "--name", "Dr",
                               "--timezone", "Nowhere/Land", "--password-stdin"], input="a strong passphrase\n")
    assert zone.exit_code != 0 and "unknown time zone" in zone.output


def test_seed_demo_creates_the_demo_practitioner_once(app, client, auth):
    runner = app.test_cli_runner()
    assert "Demo data ready" in runner.invoke(args=["seed-demo"]).output
    assert "already present" in runner.invoke(args=["seed-demo"]).output
    response = auth.login("practitioner@example.com", app.config["DEMO_PASSWORD"])
    assert response.headers["Location"] == "/practice"


def test_seed_demo_refuses_in_production(app):
    app.config["SEED_DEMO_ALLOWED"] = False
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "refuses to run in production" in result.output


def test_the_retention_migration_keeps_every_row_and_refuses_to_downgrade_over_retained_records(
        app_config, empty_database_url):
    """c17r00000001 rebuilds medication_plans on SQLite (the parent of medication_logs, ON DELETE CASCADE):
    the logs survive, both ways; a downgrade is refused while a retained record exists (it has no account)."""
    from flask_migrate import downgrade, upgrade

    counted = ("users", "intake_responses", "lab_uploads", "medication_plans", "medication_logs", "appointments")
    fresh = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with fresh.app_context():
        upgrade(revision="c17g00000002")
        with db.engine.begin() as conn:
            run = lambda sql: conn.execute(text(sql))  # noqa: E731
            run("INSERT INTO users (id, email, full_name, password_hash, role, timezone, email_opt_out, created_at) "
                "VALUES (1, 'p@example.org', 'Pat', 'x', 'patient', 'UTC', false, CURRENT_TIMESTAMP)")
            run("INSERT INTO intake_responses (patient_id, version, questionnaire_version, answers, saved_steps, "
                "status, created_at, updated_at) VALUES (1, 1, '2026.3', '{}', '[]', 'completed', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
            run("INSERT INTO lab_uploads (patient_id, stored_name, original_name, content_type, size_bytes, sha256, "
                "created_at) VALUES (1, 'k1', 'a.pdf', 'application/pdf', 3, 'x', CURRENT_TIMESTAMP)")
            run("INSERT INTO medication_plans (id, patient_id, medicine, formulation, steps, instructions, created_at) "
                "VALUES (1, 1, 'Cromolyn', '', '[]', '', CURRENT_TIMESTAMP)")
            run("INSERT INTO medication_logs (plan_id, patient_id, taken_on, status, side_effects, created_at) "
                "VALUES (1, 1, '2026-12-01', 'taken', '', CURRENT_TIMESTAMP)")

        def counts():
            with db.engine.connect() as conn:
                return [conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in counted]

        before = counts()
        upgrade()
        assert counts() == before == [1, 1, 1, 1, 1, 0]
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO retained_patients (former_user_id, full_name, email, erased_at, "
                              "retention_years, basis, keep_until) VALUES (1, 'Pat', 'p@example.org', "
                              "CURRENT_TIMESTAMP, 8, 'adult', CURRENT_TIMESTAMP)"))
        with pytest.raises(SystemExit):  # Flask-Migrate logs the migration's RuntimeError and exits 1
            downgrade(revision="c17g00000002")
        with db.engine.begin() as conn:  # nothing was changed: the record and the schema are still there
            assert conn.execute(text("SELECT COUNT(*) FROM retained_patients")).scalar() == 1
            conn.execute(text("DELETE FROM retained_patients"))
        downgrade(revision="c17g00000002")
        assert counts() == before
        upgrade()
        assert counts() == before
        db.engine.dispose()
