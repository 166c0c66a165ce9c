"""The first run: the practitioner created by the CLI on an empty database (tests/integration/test_first_run.py
and its browser twin)."""
from __future__ import annotations

from app.models.accounts import find_user_by_email

EMAIL = "dr@example.org"
PASSWORD = "a long practice passphrase"


def create_practitioner(app, email: str = EMAIL, zone: str = "Europe/London"):
    result = app.test_cli_runner().invoke(
        args=["create-practitioner", "--email", email, "--name", "Dr A", "--timezone", zone, "--password-stdin"],
        input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert f"Created practitioner {email}" in result.output
    return find_user_by_email(email)
