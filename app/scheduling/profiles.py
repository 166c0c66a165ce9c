"""The practitioner's profile: created with sensible defaults the first time it is needed."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models.accounts import ROLE_PRACTITIONER, User
from app.models.scheduling import PractitionerProfile


def profile_for(user: User) -> PractitionerProfile:
    if user.role != ROLE_PRACTITIONER:
        raise ValueError("only a practitioner has a practice profile")
    profile = db.session.scalar(select(PractitionerProfile).where(PractitionerProfile.user_id == user.id))
    if profile is None:
        profile = PractitionerProfile(user_id=user.id, display_name=user.full_name, timezone=user.timezone)
        db.session.add(profile)
        db.session.flush()
    return profile


def the_practice() -> PractitionerProfile | None:
    """The practice's (first) practitioner: this product serves one practitioner's practice."""
    return db.session.scalar(select(PractitionerProfile).order_by(PractitionerProfile.id).limit(1))
