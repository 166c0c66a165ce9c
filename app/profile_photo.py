"""The practitioner's public profile photo: a PNG or JPEG of at most 2 MB, kept in shared storage
(app/storage.py: the database) under a random key, in the caller's transaction.

The type comes from the file's first bytes (app.intake.uploads.sniff, the lab uploads' check), never
from its name or the browser's Content-Type, and the photo is served with that type and `nosniff`.
Everything is checked before anything is written, so a refused upload leaves the old photo in place."""
from __future__ import annotations

import secrets
from typing import BinaryIO

from app import storage
from app.intake.uploads import UploadError, UploadTooLarge, sniff
from app.models.audit import record
from app.models.scheduling import PractitionerProfile

MAX_BYTES = 2 * 1024 * 1024
IMAGE_TYPES = {"image/png", "image/jpeg"}
ACCEPT = ".png,.jpg,.jpeg,image/png,image/jpeg"
CHUNK = 64 * 1024


def _read_limited(stream: BinaryIO) -> bytes:
    chunks, size = [], 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > MAX_BYTES:
            raise UploadTooLarge("That photo is larger than 2 MB. Please choose a smaller one.")
        chunks.append(chunk)
    return b"".join(chunks)


def save(profile: PractitionerProfile, stream: BinaryIO | None, filename: str | None, *, actor) -> None:
    if stream is None or not filename:
        raise UploadError("Choose a photo to upload.")
    content = _read_limited(stream)
    if not content:
        raise UploadError("That file is empty. Please choose the photo again.")
    kind = sniff(content[:16])
    if kind is None or kind.content_type not in IMAGE_TYPES:
        raise UploadError("That file is not a PNG or JPEG image (we check the file itself, not its name).")
    key = f"profile-photo-{secrets.token_hex(16)}"
    if profile.photo_key:
        storage.files().delete(profile.photo_key)
    storage.files().put(key, content)
    profile.photo_key, profile.photo_type = key, kind.content_type
    record("update", "profile_photo", profile.id, actor=actor,
           detail={"bytes": len(content), "type": kind.content_type})


def remove(profile: PractitionerProfile, *, actor) -> bool:
    if not profile.photo_key:
        return False
    storage.files().delete(profile.photo_key)
    profile.photo_key, profile.photo_type = None, ""
    record("delete", "profile_photo", profile.id, actor=actor)
    return True


def content_of(profile: PractitionerProfile | None, key: str) -> bytes | None:
    """The photo's bytes when `key` is the profile's current photo (an old key answers None)."""
    if profile is None or not profile.photo_key or key != profile.photo_key:
        return None
    return storage.files().get(key)
