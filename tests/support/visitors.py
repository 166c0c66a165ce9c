"""A visitor: one browser's test client, signed in or not, with its CSRF token and the red-flag screen
answered, so every request it sends gets past the checks that come before access."""
from __future__ import annotations

from app.intake.red_flags import QUESTIONS
from tests.support.web import csrf_token

PASSWORD = "correct horse battery"  # make_user's default, and the seeded practice's


class Visitor:
    def __init__(self, app, email: str | None, password: str = PASSWORD):
        self.client = app.test_client()
        self.email, self.password = email, password
        self.start()

    def start(self) -> None:
        """Sign in (again, after logging out) and take the session's CSRF token."""
        if self.email:
            self.client.post("/auth/login", data={"email": self.email, "password": self.password,
                                                  "csrf_token": csrf_token(self.client)})
        self.token = csrf_token(self.client, "/")
        # The red-flag screen is answered once per session, before the booking pages show times.
        self.client.post("/book/safety", data={"csrf_token": self.token, **{q.field: "no" for q in QUESTIONS}})

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token}, **kwargs)

    def post_json(self, path: str, body, **kwargs):
        return self.client.post(path, json=body, headers={"X-CSRFToken": self.token}, **kwargs)
