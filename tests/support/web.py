"""Helpers for driving the app like a browser would: CSRF tokens from the page, forms, logins."""
from __future__ import annotations

import re

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_META.search(html)
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


def csrf_token(client, path: str = "/auth/login") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def post_form(client, path: str, data: dict, *, token_from: str | None = None, **kwargs):
    """POST like a browser: fetch the page's CSRF token first (from `token_from`, default `path`)."""
    token = csrf_token(client, token_from or path)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


class Auth:
    """The tutorial's `auth` fixture: log in and out through the real pages."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str):
        return post_form(self.client, "/auth/login", {"email": email, "password": password})

    def logout(self):
        return post_form(self.client, "/auth/logout", {}, token_from="/")

    def register(self, email: str, password: str = "correct horse battery", full_name: str = "Ada Patient",
                 timezone: str = "Europe/London", consent: bool = True, next: str | None = None):
        data = {"email": email, "password": password, "full_name": full_name, "timezone": timezone}
        if consent:
            data["consent"] = "y"
        path = "/auth/register" + (f"?next={next}" if next else "")
        return post_form(self.client, path, data)
