"""Calendar credentials at rest: the address, user name and password as one Fernet token.

The key is CALENDAR_ENCRYPTION_KEY when set (a Fernet key: `python -c "from cryptography.fernet import
Fernet; print(Fernet.generate_key().decode())"`), else derived from SECRET_KEY with HKDF-SHA256, so
changing SECRET_KEY without setting CALENDAR_ENCRYPTION_KEY makes saved calendars unreadable (each
then shows an error asking to add it again; nothing else breaks).
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

_INFO = b"homeostasis calendar credentials v1"


class UnreadableSecret(ValueError):
    pass


@dataclass(frozen=True)
class CalendarSecret:
    url: str
    username: str = ""
    password: str = ""


def _fernet() -> Fernet:
    configured = current_app.config.get("CALENDAR_ENCRYPTION_KEY")
    if configured:
        return Fernet(configured.encode() if isinstance(configured, str) else configured)
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        str(current_app.config["SECRET_KEY"]).encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret: CalendarSecret) -> str:
    plain = json.dumps({"url": secret.url, "username": secret.username, "password": secret.password})
    return _fernet().encrypt(plain.encode()).decode()


def unseal(token: str) -> CalendarSecret:
    try:
        values = json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError):
        raise UnreadableSecret("The saved address and password cannot be read with this server's key "
                               "(was SECRET_KEY changed?). Remove the calendar and add it again.") from None
    return CalendarSecret(values["url"], values.get("username", ""), values.get("password", ""))
