"""Demo data for development (`flask seed-demo`). Idempotent: running it twice changes nothing."""
from __future__ import annotations

from flask import current_app

from app.accounts import service
from app.models.accounts import ROLE_PRACTITIONER, find_user_by_email

DEMO_PRACTITIONER = "practitioner@example.com"


def seed() -> bool:
    if find_user_by_email(DEMO_PRACTITIONER):
        return False
    user = service.create_user(email=DEMO_PRACTITIONER, full_name="Dr. Maya Lindqvist",
                               password=current_app.config["DEMO_PASSWORD"], timezone="America/New_York",
                               role=ROLE_PRACTITIONER)
    return True
