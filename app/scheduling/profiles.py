"""The practitioner's profile: made with her account (accounts.service.create_user), with sensible
defaults she then edits on the practice pages."""
from __future__ import annotations

from sqlalchemy import select

from app.database import lock_for_writing
from app.extensions import db
from app.models.accounts import ROLE_PRACTITIONER, User
from app.models.scheduling import PractitionerProfile


def create_profile(user: User) -> PractitionerProfile:
    """The profile a new practitioner account starts with: her name and zone, the default policy."""
    profile = PractitionerProfile(user_id=user.id, display_name=user.full_name, timezone=user.timezone)
    db.session.add(profile)
    db.session.flush()
    return profile


def profile_for(user: User) -> PractitionerProfile:
    if user.role != ROLE_PRACTITIONER:
        raise ValueError("only a practitioner has a practice profile")
    profile = _find(user)
    if profile is None:
        profile = _make_missing_profile(user)
    return profile


def _make_missing_profile(user: User) -> PractitionerProfile:
    """Every practitioner account is made with its profile, and migration c17a00000001 gave one to those
    made before; this is only for a row written around the application. A request that has already
    changed something is a write: the profile joins its transaction. Otherwise the profile is made in a
    transaction of its own, after taking the write lock (a page that only reads runs, on SQLite, in a
    plain BEGIN that may not write) and looking again in case another request made it meanwhile."""
    if db.session.new or db.session.dirty or db.session.deleted:
        return create_profile(user)
    lock_for_writing()
    profile = _find(user)
    if profile is None:
        profile = create_profile(user)
        db.session.commit()
    return profile


def _find(user: User) -> PractitionerProfile | None:
    return db.session.scalar(select(PractitionerProfile).where(PractitionerProfile.user_id == user.id))


def the_practice() -> PractitionerProfile | None:
    """The practice's (first) practitioner: this product serves one practitioner's practice."""
    return db.session.scalar(select(PractitionerProfile).order_by(PractitionerProfile.id).limit(1))
