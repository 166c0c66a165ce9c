"""Lab result uploads: PDF, PNG or JPEG, at most 10 MB each and 20 per patient.

The type comes from the file's first bytes (its magic number), never from its name or the browser's
Content-Type. The bytes go to shared storage (app/storage.py: the database) under a random key, in the
same transaction as the row that keeps the patient's own file name for the download. Everything is
checked before anything is written, so a refused upload leaves nothing behind.
"""
from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import func, select

from app import storage
from app.extensions import db
from app.models.accounts import User
from app.models.audit import record
from app.models.intake import LabUpload
from app.refusals import Refusal

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 20
CHUNK = 64 * 1024
ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str
    label: str


# Signatures: PDF "%PDF-" (ISO 32000), PNG's 8-byte signature, JPEG's SOI marker followed by a marker.
_SIGNATURES = (
    (b"%PDF-", Kind("application/pdf", ".pdf", "PDF")),
    (b"\x89PNG\r\n\x1a\n", Kind("image/png", ".png", "PNG image")),
    (b"\xff\xd8\xff", Kind("image/jpeg", ".jpg", "JPEG image")),
)


class UploadError(Refusal):
    pass


class UploadTooLarge(UploadError):
    status = 413


def sniff(head: bytes) -> Kind | None:
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def clean_name(name: str | None, kind: Kind) -> str:
    """The patient's file name for display and download: no path, no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = base.strip().strip(".") or f"lab-result{kind.extension}"
    return base[:200]


def count_for(patient_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(LabUpload).where(LabUpload.patient_id == patient_id)) or 0


def uploads_for(patient_id: int) -> list[LabUpload]:
    return list(db.session.scalars(select(LabUpload).where(LabUpload.patient_id == patient_id)
                                   .order_by(LabUpload.created_at.desc(), LabUpload.id.desc())).all())


def content_of(upload: LabUpload) -> bytes | None:
    """The file's bytes from shared storage (None if they are not stored)."""
    return storage.files().get(upload.stored_name)


def _read_limited(stream: BinaryIO) -> bytes:
    chunks, size = [], 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > MAX_BYTES:
            raise UploadTooLarge("That file is larger than 10 MB. Please upload a smaller file, for example "
                                 "a PDF of the report or a photo of each page.")
        chunks.append(chunk)
    return b"".join(chunks)


def store(patient: User, stream: BinaryIO | None, filename: str | None, *, now: datetime) -> LabUpload:
    """Check and store one file, bytes and row, in the caller's transaction. Returns the new row."""
    if stream is None or not filename:
        raise UploadError("Choose a file to upload.")
    if count_for(patient.id) >= MAX_FILES:
        raise UploadError(f"You can keep at most {MAX_FILES} files. Delete one you no longer need first.")
    content = _read_limited(stream)
    if not content:
        raise UploadError("That file is empty. Please choose the file again.")
    kind = sniff(content[:16])
    if kind is None:
        raise UploadError("That file is not a PDF, PNG or JPEG (we check the file itself, not its name). "
                          "Please save or scan the report as one of these.")
    stored = secrets.token_hex(16) + kind.extension
    storage.files().put(stored, content)
    upload = LabUpload(patient_id=patient.id, stored_name=stored, original_name=clean_name(filename, kind),
                       content_type=kind.content_type, size_bytes=len(content),
                       sha256=hashlib.sha256(content).hexdigest(), created_at=now)
    db.session.add(upload)
    db.session.flush()
    record("upload", "lab_upload", upload.id, actor=patient, patient_id=patient.id,
           detail={"bytes": len(content), "type": kind.content_type})
    return upload


def delete(patient: User, upload: LabUpload) -> None:
    """Delete the row and the file's bytes in the caller's transaction."""
    storage.files().delete(upload.stored_name)
    db.session.delete(upload)
    record("delete", "lab_upload", upload.id, actor=patient, patient_id=patient.id)


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"
