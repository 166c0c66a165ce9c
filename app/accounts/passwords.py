"""Password hashing (argon2id via argon2-cffi) and the password policy (NIST SP 800-63B style:
length over composition, and a list of common passwords)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 128
_hasher = PasswordHasher()
_COMMON = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# A hash of a random password, verified against when an email is unknown, so a failed login takes
# the same time whether or not the account exists.
DUMMY_HASH = _hasher.hash("not-a-real-password-0000")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = _COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def password_problem(password: str, *, email: str = "", full_name: str = "") -> str | None:
    """A clear message when the password is not acceptable, else None."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters. A few unrelated words make a strong password."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) < 3:
        return "This password is too common and easy to guess. Choose another."
    local = email.split("@")[0].lower()
    name = full_name.lower().replace(" ", "") if full_name else ""
    if (local and len(local) >= 4 and local in lowered) or (name and name == lowered):
        return "Don't use your email address or name as your password."
    return None
