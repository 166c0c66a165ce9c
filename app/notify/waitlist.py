"""Waitlist emails (through the outbox, like every other message) and the signed one-click link to
leave the waitlist, which works without signing in and carries no health data."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.clock import utcnow
from app.extensions import db
from app.models.waitlist import WaitlistEntry, WaitlistOffer
from app.notify.mail import queue_for
from app.scheduling import waitlist

SALT = "waitlist-leave"


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def leave_token(entry: WaitlistEntry) -> str:
    """Names the entry and its creation instant, so the link cannot leave another (or a later) entry."""
    return _signer().dumps([entry.id, int(entry.created_at.timestamp())])


def entry_from_token(token: str) -> WaitlistEntry | None:
    try:
        entry_id, created = _signer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    entry = db.session.get(WaitlistEntry, entry_id) if isinstance(entry_id, int) else None
    if entry is None or int(entry.created_at.timestamp()) != created:
        return None
    return entry


def leave_url(entry: WaitlistEntry) -> str:
    return f"{current_app.config['BASE_URL']}/waitlist/leave/{leave_token(entry)}"


def offer_made(offer: WaitlistOffer) -> None:
    entry = offer.entry
    patient = entry.patient
    ct = entry.consultation_type
    queue_for(patient, "waitlist_offer", subject=f"A time for your {ct.name.lower()} is held for you",
              essential=True, kind="waitlist_offer", dedupe_key=f"waitlist-offer:{offer.id}",
              offer=offer, appointment=offer.appointment, ct=ct, profile=ct.practitioner, patient=patient,
              zone=entry.timezone, offer_url=f"{current_app.config['BASE_URL']}/account/waitlist/offers/{offer.id}",
              leave_url=leave_url(entry))


def joined(entry: WaitlistEntry) -> None:
    patient = entry.patient
    queue_for(patient, "waitlist_joined", subject=f"You are on the waitlist: {entry.consultation_type.name}",
              essential=True, kind="waitlist_joined", dedupe_key=f"waitlist-joined:{entry.id}",
              entry=entry, ct=entry.consultation_type, patient=patient, leave_url=leave_url(entry))


def hold_length() -> timedelta:
    return timedelta(minutes=current_app.config.get("WAITLIST_HOLD_MINUTES", 120))


def process(now=None, *, take_payment: bool, practitioner_id: int | None = None) -> int:
    """What `flask process-waitlist` (or a task queue) runs: offer open times with this app's settings.
    `take_payment`: whether an offer is a hold waiting for payment (payments are on) or a booking."""
    offers = waitlist.offer_open_times(now or utcnow(), hold=hold_length(), practitioner_id=practitioner_id,
                                       take_payment=take_payment, notify=offer_made)
    return len(offers)
