"""Production fails fast (issue 12): each setting that would quietly weaken it stops the start, with a
message naming the setting; SQL errors never carry bound values into the log."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db
from config import ConfigError, ProductionConfig

GOOD = {"SECRET_KEY": "k" * 48, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "MAIL_BACKEND": "smtp",
        "BASE_URL": "https://practice.example", "SQLALCHEMY_DATABASE_URI": "sqlite://"}


def production(**overrides) -> type:
    return type("Deployed", (ProductionConfig,), {**GOOD, **overrides})


def test_a_sound_production_config_starts():
    assert create_app(production()).config["ENV_NAME"] == "production"


@pytest.mark.parametrize("overrides, named", [
    ({"SECRET_KEY": "x"}, "SECRET_KEY"),
    ({"SECRET_KEY": "k" * 31}, "SECRET_KEY"),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI"),
    ({"MAIL_BACKEND": "console"}, "MAIL_BACKEND"),
    ({"BASE_URL": "http://127.0.0.1:5000"}, "BASE_URL"),
])
def test_production_refuses_to_start_on(overrides, named):
    with pytest.raises(ConfigError, match=named):
        create_app(production(**overrides))


def test_an_unknown_environment_name_is_refused_not_taken_for_development(monkeypatch):
    monkeypatch.setenv("HOMEOSTASIS_ENV", "prod")
    # By name: test_security reloads the config module, after which its ConfigError is another class object.
    with pytest.raises(Exception, match="HOMEOSTASIS_ENV='prod'") as refused:
        create_app()
    assert type(refused.value).__name__ == "ConfigError"


def test_a_failing_statement_logs_the_sql_but_not_the_values(app, caplog):
    # hide_parameters hides SQLAlchemy's bound values; PostgreSQL's own error DETAIL ("Failing row
    # contains (...)") would repeat them, and is dropped from the logged traceback.
    secret = "my-private-intake-answer-4711"

    @app.get("/_boom")
    def _boom():
        db.session.execute(text("INSERT INTO users (email) VALUES (:answer)"), {"answer": secret})

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/_boom")
    assert response.status_code == 500
    assert "INSERT INTO users" in caplog.text  # the error was logged, with its statement
    assert secret not in caplog.text
