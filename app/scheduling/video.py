"""Video meeting links: a consultation type's fixed link, or a room of its own for each appointment
(Jitsi Meet: a room exists as soon as someone opens its address, so the address is the secret)."""
from __future__ import annotations

import secrets

from flask import current_app, has_app_context

from app.models.scheduling import JITSI_LINK, ConsultationType

DEFAULT_JITSI_BASE = "https://meet.jit.si"


def room_url(base: str) -> str:
    """A fresh, unguessable room: 128 bits from the OS's CSPRNG, URL-safe."""
    return f"{base.rstrip('/')}/{secrets.token_urlsafe(16)}"


def new_room_url(ct: ConsultationType) -> str | None:
    """The room for a new appointment of `ct`, or None when the type uses its fixed link."""
    if ct.mode != "video" or ct.video_link != JITSI_LINK:
        return None
    base = current_app.config.get("JITSI_BASE_URL", DEFAULT_JITSI_BASE) if has_app_context() else DEFAULT_JITSI_BASE
    return room_url(base)
