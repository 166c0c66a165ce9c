"""`flask seed-load`: the load-test data of the benchmarks (bench/loadgen.py), development only."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models.scheduling import CONFIRMED, Appointment


def test_seed_load_creates_the_appointments_and_a_second_run_changes_nothing(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-load", "--appointments", "12", "--patients", "3"])
    assert first.exit_code == 0, first.output
    assert "Created 12 confirmed load-30 appointments" in first.output
    assert db.session.scalar(select(func.count()).select_from(Appointment).where(Appointment.status == CONFIRMED)) == 12
    again = runner.invoke(args=["seed-load", "--appointments", "5"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    reset = runner.invoke(args=["seed-load", "--appointments", "5", "--reset"])
    assert "Removed earlier load-test data (12 appointments)" in reset.output
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 5


def test_seed_load_is_refused_where_demo_data_is_not_allowed(app):
    app.config["SEED_DEMO_ALLOWED"] = False
    result = app.test_cli_runner().invoke(args=["seed-load", "--appointments", "3"])
    assert result.exit_code != 0 and "refuses to run in production" in result.output
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0
