"""Signing up through the pages: the 6-digit code emailed at sign-up, read from the test mailbox (the
real SMTP server the worker delivers to) and typed in at /auth/verify, as a person would."""
from __future__ import annotations

import re

from tests.support.mailbox import Mailbox, text_of
from tests.support.web import post_form

CODE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)


def emailed_code(mailbox: Mailbox, email: str) -> str:
    """The code in the latest verification email to `email`."""
    messages = [m for m in mailbox.wait_for(email) if "code" in str(m["Subject"])]
    assert messages, f"no verification email to {email}"
    match = CODE.search(text_of(messages[-1]))
    assert match, "the verification email has no code"
    return match.group(1)


def verify_email(client, mailbox: Mailbox, email: str, next: str | None = None):
    """Type the emailed code into /auth/verify; returns the response (303 on success)."""
    data = {"code": emailed_code(mailbox, email)}
    if next:
        data["next"] = next
    return post_form(client, "/auth/verify", data)


def register_and_verify(auth, mailbox: Mailbox, email: str, **kwargs):
    """Sign up through the page and confirm the address with the emailed code."""
    response = auth.register(email, **kwargs)
    assert response.status_code == 303, response.get_data(as_text=True)
    return verify_email(auth.client, mailbox, email)
