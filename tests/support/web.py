"""Helpers for driving the app like a browser would: CSRF tokens from the page, forms, logins."""
from __future__ import annotations

import re
from html.parser import HTMLParser

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


class _ConfirmForm(HTMLParser):
    """The form on a confirmation page: the one carrying a hidden confirm=1 (its action and fields)."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append((attributes.get("action") or "", {}))
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1][1][attributes["name"]] = attributes.get("value") or ""


def confirmation_form(html: str) -> tuple[str, dict]:
    parser = _ConfirmForm()
    parser.feed(html)
    found = [form for form in parser.forms if form[1].get("confirm") == "1"]
    assert len(found) == 1, "the page has no confirmation form"
    return found[0]


def post_confirmed(client, path: str, data: dict, *, token_from: str | None = None, **kwargs):
    """Submit a form that asks for confirmation, as a person does: the first POST must change nothing
    and answer 200 with the confirmation page; then its own submit. A refusal of the first POST (a
    4xx) is returned as it is."""
    first = post_form(client, path, data, token_from=token_from, **kwargs)
    if first.status_code != 200:
        return first
    action, fields = confirmation_form(first.get_data(as_text=True))
    return client.post(action, data=fields, **kwargs)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
